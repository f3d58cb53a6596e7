"""JS-like apps on real NodeCores: host collections in the call, commit and apply paths."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError, ParseError
from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.digest import recompute_digest
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import DeltaKind, decode
from calimero_devnet.testing.fake_clock import FakeClock
from tests.fixtures import load_wat
from tests.node.core_helpers import join
from tests.node.js_helpers import (
    CRASH_CHILD,
    FORGERIES,
    add_member_without_state,
    converged,
    entries,
    forged_delta,
    put,
    stored,
)

SEED = b"js-seed"
LAG_NS = 10_000_000_000
Pair = tuple[NodeCore, NodeCore, bytes]
Walls = tuple[FakeClock, FakeClock]


@pytest.fixture
def walls() -> Walls:
    return FakeClock(), FakeClock()


@pytest.fixture
def pair(tmp_path: Path, runtime: Runtime, walls: Walls) -> Iterator[Pair]:
    with (
        NodeCore.open(tmp_path / "a", index=1, runtime=runtime, wall_clock=walls[0]) as a,
        NodeCore.open(tmp_path / "b", index=2, runtime=runtime, wall_clock=walls[1]) as b,
    ):
        ctx = a.create_context(a.install_application(load_wat("js_like"), source="t"), seed=SEED)
        join(a, b, ctx.id)
        yield a, b, ctx.id


def test_set_get_remove_run_through_execute(pair: Pair) -> None:
    a, _, ctx = pair
    genesis = a.context(ctx)
    assert genesis.delta_count == 1
    assert genesis.root_hash == recompute_digest(a.store.state_reader(ctx))
    result = a.execute(ctx, "set", b'k="1"')
    assert result.delta is not None
    assert result.delta.kind is DeltaKind.HOST_ACTIONS
    assert result.delta.parents == genesis.heads
    [action] = act.decode_actions(result.delta.payload)
    assert isinstance(action, act.MapSet)
    assert (action.key, action.value) == (b"k", b'"1"')
    assert result.root_hash == a.context(ctx).root_hash != genesis.root_hash
    assert a.execute(ctx, "get", b"k").output == b'"1"'
    assert entries(a, ctx) == {b"k": b'"1"'}
    assert a.execute(ctx, "remove", b"k").output == b'"1"'
    assert a.execute(ctx, "get", b"k").output == b"null"
    assert a.context(ctx).delta_count == 3
    assert a.check_consistency(ctx) == []


def test_views_make_no_delta(pair: Pair) -> None:
    a, _, ctx = pair
    put(a, ctx, "k", "1")
    before = stored(a, ctx)
    for method, args in (("get", b"k"), ("entries", b""), ("remove", b"absent")):
        assert a.execute(ctx, method, args).delta is None
    assert stored(a, ctx) == before


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("set_then_trap", "the app executed `unreachable`"),
        ("set_then_err", 'returned an error: "refused"'),
        ("set_and_commit", "called commit .* and also changed host collections"),
        ("bad_id", "js_crdt_map_get: collection id must be exactly 32 bytes"),
    ],
)
def test_a_failed_call_persists_nothing(pair: Pair, method: str, message: str) -> None:
    a, _, ctx = pair
    before = stored(a, ctx)
    with pytest.raises(FunctionCallError, match=message):
        a.execute(ctx, method, b"k=1")
    assert stored(a, ctx) == before
    assert a.execute(ctx, "get", b"k").output == b"null"


def test_concurrent_writes_converge_in_both_orders(pair: Pair) -> None:
    a, b, ctx = pair
    from_a, from_b = put(a, ctx, "k", '"a"'), put(b, ctx, "k", '"b"')
    assert from_a.parents == from_b.parents
    b.apply_delta(from_a)
    a.apply_delta(from_b)
    converged(a, b, ctx)
    assert len(a.context(ctx).heads) == 2
    values = {}
    for delta in (from_a, from_b):
        [action] = act.decode_actions(delta.payload)
        assert isinstance(action, act.MapSet)
        values[action.hlc] = action.value
    assert entries(a, ctx) == {b"k": values[max(values)]}  # LWW by HLC, on both nodes
    merge = put(a, ctx, "k", '"c"')
    assert set(merge.parents) == {from_a.id, from_b.id}
    b.apply_delta(merge)
    converged(a, b, ctx)
    assert entries(b, ctx) == {b"k": b'"c"'}


def test_a_receiver_advances_its_clock_past_the_delta(pair: Pair, walls: Walls) -> None:
    a, b, ctx = pair
    walls[1].advance(-LAG_NS)
    delta = put(a, ctx, "k", '"a"')
    b.apply_delta(delta)
    assert b.clock.last >= delta.hlc.time
    later = put(b, ctx, "k", '"b"')
    assert later.hlc.time > delta.hlc.time
    a.apply_delta(later)
    converged(a, b, ctx)
    assert entries(a, ctx) == {b"k": b'"b"'}


def test_a_write_over_an_unobserved_stamp_is_accepted_by_peers(pair: Pair, walls: Walls) -> None:
    a, b, ctx = pair
    walls[1].advance(-LAG_NS)
    put(a, ctx, "k", '"a"')
    join(a, b, ctx)  # b holds a's stamp by snapshot, its clock never saw it
    later = put(b, ctx, "k", '"b"')  # stamped past a's entry: its delta HLC must be too
    a.apply_delta(later)
    converged(a, b, ctx)
    assert entries(a, ctx) == {b"k": b'"b"'}


def test_a_duplicate_delta_is_a_noop(pair: Pair) -> None:
    a, b, ctx = pair
    delta = put(a, ctx, "k", '"1"')
    assert b.apply_delta(delta) is not None
    before = stored(b, ctx)
    assert b.apply_delta(delta) is None
    assert a.apply_delta(delta) is None  # its author knows it too
    assert stored(b, ctx) == before
    converged(a, b, ctx)


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_payload_is_refused_with_nothing_written(pair: Pair, name: str) -> None:
    a, b, ctx = pair
    delta = forged_delta(a, ctx, name)
    before, clock, reason = stored(b, ctx), b.clock.last, FORGERIES[name][1]
    with pytest.raises(ParseError, match=f"is refused, nothing was written: .*{reason}"):
        b.apply_delta(delta)
    assert stored(b, ctx) == before
    assert b.clock.last == clock
    assert b.check_consistency(ctx) == []


def test_each_commit_is_one_batch(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, ctx = pair
    delta = put(a, ctx, "k", '"1"')
    steps: list[tuple[NodeCore, Callable[[], object]]] = [
        (a, lambda: a.execute(ctx, "set", b'j="2"')),
        (b, lambda: b.apply_delta(delta)),
    ]
    for node, step in steps:
        batches: list[object] = []
        monkeypatch.setattr(node.store, "write", batches.append)  # a crash at the write
        before = stored(node, ctx)
        step()
        assert len(batches) == 1
        assert stored(node, ctx) == before  # nothing reached the store another way
        monkeypatch.undo()
        step()
        assert node.check_consistency(ctx) == []
    assert entries(a, ctx) == {b"j": b'"2"', b"k": b'"1"'}
    assert entries(b, ctx) == {b"k": b'"1"'}


def test_a_peer_can_replay_a_js_context_from_genesis(tmp_path: Path, runtime: Runtime) -> None:
    with (
        NodeCore.open(tmp_path / "a", index=1, runtime=runtime, wall_clock=FakeClock()) as a,
        NodeCore.open(tmp_path / "b", index=2, runtime=runtime, wall_clock=FakeClock()) as b,
    ):
        ctx = a.create_context(a.install_application(load_wat("js_like"), source="t"), seed=SEED).id
        add_member_without_state(a, b, ctx)
        [(_, genesis)] = list(a.store.deltas(ctx))
        b.apply_delta(decode(genesis))
        assert b.context(ctx).initialized
        b.apply_delta(put(a, ctx, "k", '"1"'))
        converged(a, b, ctx)


def test_the_default_runtime_serves_js_and_rust_apps(tmp_path: Path) -> None:
    with NodeCore.open(tmp_path / "n", index=1, wall_clock=FakeClock()) as node:
        js = node.create_context(node.install_application(load_wat("js_like"), source="js")).id
        rust = node.create_context(node.install_application(load_wat("kv_store"), source="rs")).id
        assert put(node, js, "k", '"1"').kind is DeltaKind.HOST_ACTIONS
        rust_delta = node.execute(rust, "set", b'{"key":"k","value":"1"}').delta
        assert rust_delta is not None
        assert rust_delta.kind is DeltaKind.WASM_ARTIFACT
        assert rust_delta.payload[:1] == b"\x00"  # the app's own artifact, as before
        assert list(node.store.state_items(rust, lay.NS)) == []
        assert node.check_consistency(js) == node.check_consistency(rust) == []


def test_state_scans_stop_at_the_prefix(tmp_path: Path, runtime: Runtime) -> None:
    with NodeCore.open(tmp_path / "n", index=1, runtime=runtime) as node:
        ctx, after = b"\x11" * 32, b"\x11" * 31 + b"\x12"
        batch = node.store.batch()
        for key in (b"jsc", b"jsc\x00", b"jsc\x00a", b"jsc\x00\xff", b"jsc\x01"):
            batch.put_state(ctx, key, b"v")
        batch.put_state(after, b"jsc\x00b", b"v")
        node.store.write(batch)
        view = node.store.state_reader(ctx)
        assert [k for k, _ in view.scan(b"jsc\x00")] == [b"jsc\x00", b"jsc\x00a", b"jsc\x00\xff"]
        assert [k for k, _ in view.scan(b"")] == [k for k, _ in node.store.state_items(ctx)]


@pytest.mark.integration
def test_sigkill_mid_stream_leaves_a_js_context_consistent(tmp_path: Path) -> None:
    wasm = tmp_path / "js_like.wasm"
    wasm.write_bytes(load_wat("js_like"))
    argv = [sys.executable, "-c", CRASH_CHILD, str(tmp_path / "n"), str(wasm)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as child:
        assert child.stdout is not None
        ctx = bytes.fromhex(child.stdout.readline().decode())
        acknowledged = [int(child.stdout.readline()) for _ in range(200)]
        child.send_signal(signal.SIGKILL)  # somewhere inside a later call
        child.wait(timeout=30)
    with NodeCore.open(tmp_path / "n", index=1) as core:
        assert core.check_consistency(ctx) == []
        assert core.context(ctx).root_hash == recompute_digest(core.store.state_reader(ctx))
        keys = set(entries(core, ctx))
        assert {b"k%d" % i for i in acknowledged} <= keys
        assert len(keys) == core.context(ctx).delta_count - 1  # one delta per set, + genesis
