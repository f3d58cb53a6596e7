"""NodeCore over a real store and the fake runtime: apps, contexts, calls, commits, deltas."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import (
    ApplicationNotFound,
    ContextNotFound,
    FunctionCallError,
    InvalidModule,
    MethodNotFound,
    Uninitialized,
)
from calimero_devnet.ids import sha256
from calimero_devnet.node.clock import MAX_INDEX
from calimero_devnet.node.core import ContextAlreadyExists, NodeCore, context_id_for_seed
from calimero_devnet.node.delta import decode, verify
from calimero_devnet.node.results import CommitNotice
from calimero_devnet.testing.fake_clock import FakeClock
from calimero_devnet.testing.fake_runtime import FakeRuntime, fake_wasm

SEED = b"devnet-seed"


def open_node(home: Path, index: int = 1, **options: object) -> NodeCore:
    options.setdefault("runtime", FakeRuntime())
    options.setdefault("wall_clock", FakeClock())
    return NodeCore.open(home, name=home.name, index=index, **options)  # type: ignore[arg-type]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeCore]:
    with open_node(tmp_path / "a") as core:
        yield core


@pytest.fixture
def ctx(node: NodeCore) -> bytes:
    app_id = node.install_application(fake_wasm(), source="test")
    return node.create_context(app_id, seed=SEED).id


def call(node: NodeCore, ctx: bytes, method: str, **args: str) -> object:
    output = node.execute(ctx, method, json.dumps(args).encode()).output
    return None if output is None else json.loads(output)


def runtime_of(node: NodeCore) -> FakeRuntime:
    runtime = node._seat.runtime
    assert isinstance(runtime, FakeRuntime)
    return runtime


# identity and applications


def test_the_identity_is_created_once_and_kept(tmp_path: Path) -> None:
    with open_node(tmp_path / "a") as first:
        key = first.public_key
    with open_node(tmp_path / "a") as again, open_node(tmp_path / "b") as other:
        assert again.public_key == key == again.identity.public_key
        assert other.public_key != key


def test_install_is_content_addressed_and_idempotent(node: NodeCore) -> None:
    wasm = fake_wasm()
    app_id = node.install_application(wasm, source="file:///kv.wasm", metadata=b"m")
    assert app_id == sha256(wasm)
    assert node.install_application(wasm, source="elsewhere") == app_id
    info = node.application(app_id)
    assert (info.size, info.source, info.metadata) == (len(wasm), "file:///kv.wasm", b"m")
    assert "set" in info.methods
    assert node.applications() == [info]
    assert runtime_of(node).loads == 1


def test_install_refuses_what_is_not_wasm(node: NodeCore) -> None:
    with pytest.raises(InvalidModule):
        node.install_application(b"#!/bin/sh", source="x")
    assert node.applications() == []


def test_unknown_application(node: NodeCore) -> None:
    with pytest.raises(ApplicationNotFound, match="not installed on node a"):
        node.application(b"\x01" * 32)
    with pytest.raises(ApplicationNotFound):
        node.create_context(b"\x01" * 32)


# contexts


def test_create_runs_init_and_records_the_genesis_delta(node: NodeCore, ctx: bytes) -> None:
    info = node.context(ctx)
    assert ctx == context_id_for_seed(SEED)
    assert info.initialized
    assert info.delta_count == 1
    assert info.pending == 0
    assert info.members == (node.public_key,)
    assert runtime_of(node).calls == [("init", b"{}")]
    genesis = decode(node.store.delta(ctx, info.heads[0]) or b"")
    assert genesis.parents == ()
    assert genesis.author == node.public_key
    assert info.root_hash is not None
    assert node.contexts() == [info]
    assert node.check_consistency(ctx) == []


def test_seeded_ids_agree_across_nodes_and_random_ids_differ(tmp_path: Path) -> None:
    with open_node(tmp_path / "a") as a, open_node(tmp_path / "b", index=2) as b:
        ids = []
        for core in (a, b):
            app = core.install_application(fake_wasm(), source="t")
            ids.append(core.create_context(app, seed=SEED).id)
            ids.append(core.create_context(app).id)
        assert ids[0] == ids[2]
        assert len(set(ids)) == 3


def test_a_second_create_with_the_same_seed_is_refused(node: NodeCore, ctx: bytes) -> None:
    app_id = node.context(ctx).application_id
    with pytest.raises(ContextAlreadyExists, match="already exists"):
        node.create_context(app_id, seed=SEED)


def test_an_app_without_init_is_ready_with_no_delta(node: NodeCore) -> None:
    app_id = node.install_application(fake_wasm("bare", with_init=False), source="t")
    info = node.create_context(app_id, b"")
    assert info.initialized
    assert info.heads == ()
    assert info.delta_count == 0
    assert call(node, info.id, "len") == 0


def test_init_params_reach_init_and_a_failing_init_stores_nothing(node: NodeCore) -> None:
    app_id = node.install_application(fake_wasm(), source="t")
    node.create_context(app_id, b'{"x":1}')
    assert runtime_of(node).calls[-1] == ("init", b'{"x":1}')
    runtime_of(node).call = _trapping  # type: ignore[method-assign,assignment]
    with pytest.raises(FunctionCallError):
        node.create_context(app_id, seed=b"other")
    assert len(node.contexts()) == 1


def _trapping(*args: object, **kwargs: object) -> object:
    raise FunctionCallError("guest panicked: nope")


# calls


def test_a_committed_call_becomes_a_signed_delta_on_the_heads(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    after = node.context(ctx)
    delta = result.delta
    assert delta is not None
    assert delta.parents == before.heads
    assert after.heads == (delta.id,)
    assert after.delta_count == 2
    assert after.root_hash == result.root_hash != before.root_hash
    assert [e.kind for e in result.events] == ["ItemSet"]
    assert delta.events == result.events
    assert decode(node.store.delta(ctx, delta.id) or b"") == delta
    verify(delta, after.members)
    assert delta.max_time_now > 0
    assert delta.hlc.time > delta.max_time_now
    assert call(node, ctx, "get", key="a") == "1"
    assert node.check_consistency(ctx) == []


def test_a_view_produces_no_delta(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    result = node.execute(ctx, "entries", b"")
    assert (result.delta, result.output) == (None, b"{}")
    assert result.root_hash == before.root_hash
    assert node.context(ctx) == before
    assert runtime_of(node).calls[-1] == ("entries", b"{}")  # empty args become {}


def test_errors_for_unknown_context_and_method(node: NodeCore, ctx: bytes) -> None:
    with pytest.raises(ContextNotFound, match="not found on node a"):
        node.execute(b"\x09" * 32, "get", b"{}")
    with pytest.raises(ContextNotFound):
        node.context(b"\x09" * 32)
    with pytest.raises(MethodNotFound, match="nope"):
        node.execute(ctx, "nope", b"{}")


def test_an_app_error_carries_its_json_and_stores_nothing(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    with pytest.raises(FunctionCallError) as caught:
        node.execute(ctx, "fail", b"{}")
    assert caught.value.data == {"kind": "NotFound", "data": "zz"}
    assert caught.value.to_json()["type"] == "FunctionCallError"
    assert node.store.state_get(ctx, b"kv:never") is None
    assert node.context(ctx) == before


def test_a_trap_stores_nothing(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    with pytest.raises(FunctionCallError, match="boom"):
        node.execute(ctx, "trap", b"{}")
    assert node.context(ctx) == before


def test_writes_without_commit_are_dropped_with_a_warning(
    node: NodeCore, ctx: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = node.execute(ctx, "write_no_commit", b"{}")
    assert result.delta is None
    assert node.store.state_get(ctx, b"kv:lost") is None
    assert "did not commit" in caplog.text
    assert "write_no_commit" in caplog.text


def test_an_uninitialized_context_refuses_calls_but_sync_next(node: NodeCore, ctx: bytes) -> None:
    record = node.store.context(ctx)
    assert record is not None
    batch = node.store.batch()
    batch.put_context(record.model_copy(update={"initialized": False}))
    node.store.write(batch)
    with pytest.raises(Uninitialized):
        node.execute(ctx, "get", b'{"key":"a"}')
    with pytest.raises(MethodNotFound):
        node.execute(ctx, "nope", b"{}")
    result = node.execute(ctx, "__calimero_sync_next", b'[["set","a","1"]]')
    assert result.delta is None
    assert node.context(ctx).initialized
    assert call(node, ctx, "get", key="a") == "1"


def test_a_local_sync_next_keeps_writes_and_root_but_makes_no_delta(
    node: NodeCore, ctx: bytes
) -> None:
    before = node.context(ctx)
    notices: list[CommitNotice] = []
    node.subscribe(notices.append)
    result = node.execute(ctx, "__calimero_sync_next", b'[["set","z","9"]]')
    after = node.context(ctx)
    assert result.delta is None
    assert after.root_hash == result.root_hash != before.root_hash
    assert (after.heads, after.delta_count) == (before.heads, before.delta_count)
    assert [n.delta for n in notices] == [None]
    node.execute(ctx, "__calimero_sync_next", b"")  # an empty artifact is a no-op
    assert runtime_of(node).calls[-1] == ("__calimero_sync_next", b"")


def test_time_now_is_unique_per_node_and_monotonic(node: NodeCore, ctx: bytes) -> None:
    values = [call(node, ctx, "now") for _ in range(5)]
    assert all(isinstance(v, int) and v & MAX_INDEX == 1 for v in values)
    assert values == sorted(set(values))  # type: ignore[type-var]


def test_the_clock_never_goes_back_across_a_restart(tmp_path: Path) -> None:
    wall = FakeClock()
    with open_node(tmp_path / "a", wall_clock=wall) as core:
        app_id = core.install_application(fake_wasm(), source="t")
        ctx = core.create_context(app_id, seed=SEED).id
        core.execute(ctx, "set", b'{"key":"a","value":"1"}')
        last = call(core, ctx, "now")
    wall.advance(-3_600_000_000_000)  # the wall clock stepped back an hour
    with open_node(tmp_path / "a", wall_clock=wall) as core:
        assert call(core, ctx, "now") > last  # type: ignore[operator]


def test_private_storage_is_node_local_and_kept_without_commit(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    node.execute(ctx, "private_set", b'{"key":"p","value":"secret"}')
    assert call(node, ctx, "private_get", key="p") == "secret"
    assert node.store.private_get(ctx, b"p") == b"secret"
    assert node.context(ctx) == before
    assert node.store.state_get(ctx, b"p") is None


# subscribers


def test_subscribers_hear_each_commit_until_they_unsubscribe(node: NodeCore, ctx: bytes) -> None:
    notices: list[CommitNotice] = []
    unsubscribe = node.subscribe(notices.append)
    result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    node.execute(ctx, "get", b'{"key":"a"}')
    assert len(notices) == 1
    assert notices[0] == CommitNotice(ctx, result.root_hash, result.events, result.delta)
    unsubscribe()
    unsubscribe()
    node.execute(ctx, "set", b'{"key":"b","value":"2"}')
    assert len(notices) == 1


def test_a_failing_subscriber_never_breaks_a_commit(
    node: NodeCore, ctx: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(notice: CommitNotice) -> None:
        raise RuntimeError("listener bug")

    node.subscribe(broken)
    with caplog.at_level(logging.ERROR):
        result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    assert result.delta is not None
    assert "listener" in caplog.text
    assert node.context(ctx).heads == (result.delta.id,)


# consistency


def test_check_consistency_reports_bad_heads_and_counts(node: NodeCore, ctx: bytes) -> None:
    node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    record = node.store.context(ctx)
    assert record is not None
    batch = node.store.batch()
    batch.put_context(record.model_copy(update={"heads": [b"\x07" * 32], "delta_count": 9}))
    node.store.write(batch)
    problems = node.check_consistency(ctx)
    assert any("is not a stored delta without children" in p for p in problems)
    assert any("has no children but is not a head" in p for p in problems)
    assert any("delta_count is 9 but 2" in p for p in problems)


# applying peers' deltas (the hook the sync layer drives)


def join(src: NodeCore, dst: NodeCore, ctx: bytes) -> None:
    """Give ``dst`` a byte-exact snapshot of ``ctx`` from ``src``, as the sync layer will."""
    record = src.store.context(ctx)
    assert record is not None
    dst.install_application(src.store.app_blob(record.application_id) or b"", source="peer")
    batch = dst.store.batch()
    for key, value in src.store.state_items(ctx):
        batch.put_state(ctx, key, value)
    for delta_id, wire in src.store.deltas(ctx):
        batch.put_delta(ctx, delta_id, wire)
    members = [*record.members, dst.public_key]
    batch.put_context(record.model_copy(update={"members": members}))
    dst.store.write(batch)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[NodeCore, NodeCore, bytes]]:
    with open_node(tmp_path / "a", 1) as a, open_node(tmp_path / "b", 2) as b:
        ctx = a.create_context(a.install_application(fake_wasm(), source="t"), seed=SEED).id
        join(a, b, ctx)
        yield a, b, ctx


def same_everywhere(a: NodeCore, b: NodeCore, ctx: bytes) -> None:
    assert a.context(ctx).heads == b.context(ctx).heads
    assert a.context(ctx).root_hash == b.context(ctx).root_hash
    assert list(a.store.state_items(ctx)) == list(b.store.state_items(ctx))
    assert a.check_consistency(ctx) == b.check_consistency(ctx) == []


def test_a_peer_delta_replays_its_artifact_exactly(pair: tuple[NodeCore, NodeCore, bytes]) -> None:
    a, b, ctx = pair
    delta = a.execute(ctx, "set", b'{"key":"k","value":"v"}').delta
    assert delta is not None
    notices: list[CommitNotice] = []
    b.subscribe(notices.append)
    notice = b.apply_delta(delta)
    assert notice is not None
    assert notices == [notice]
    assert notice.delta == delta
    assert runtime_of(b).calls[-1] == ("__calimero_sync_next", delta.payload)
    assert b.clock.last >= delta.hlc.time
    same_everywhere(a, b, ctx)
    assert b.apply_delta(delta) is None  # already known: nothing happens
    assert b.context(ctx).delta_count == 2


def test_concurrent_writes_merge_into_two_heads_then_collapse(
    pair: tuple[NodeCore, NodeCore, bytes],
) -> None:
    a, b, ctx = pair
    genesis = a.context(ctx).heads
    from_a = a.execute(ctx, "set", b'{"key":"x","value":"1"}').delta
    from_b = b.execute(ctx, "set", b'{"key":"y","value":"2"}').delta
    assert from_a is not None
    assert from_b is not None
    assert from_a.parents == from_b.parents == genesis
    assert from_a.hlc.time & MAX_INDEX == 1
    assert from_b.hlc.time & MAX_INDEX == 2
    a.apply_delta(from_b)
    b.apply_delta(from_a)
    assert a.context(ctx).heads == tuple(sorted([from_a.id, from_b.id]))
    same_everywhere(a, b, ctx)
    merge = a.execute(ctx, "set", b'{"key":"z","value":"3"}').delta
    assert merge is not None
    assert set(merge.parents) == {from_a.id, from_b.id}
    b.apply_delta(merge)
    assert b.context(ctx).heads == (merge.id,)
    same_everywhere(a, b, ctx)


def test_a_delta_with_unapplied_parents_is_refused(pair: tuple[NodeCore, NodeCore, bytes]) -> None:
    a, b, ctx = pair
    first = a.execute(ctx, "set", b'{"key":"x","value":"1"}').delta
    second = a.execute(ctx, "set", b'{"key":"y","value":"2"}').delta
    assert first is not None
    assert second is not None
    before = b.context(ctx)
    with pytest.raises(ValueError, match="unapplied parents"):
        b.apply_delta(second)
    assert b.context(ctx) == before


def test_an_app_without_sync_next_cannot_apply_deltas(tmp_path: Path) -> None:
    with open_node(tmp_path / "a", 1) as a, open_node(tmp_path / "b", 2) as b:
        app_id = a.install_application(fake_wasm("x", with_sync_next=False), source="t")
        ctx = a.create_context(app_id, seed=SEED).id
        join(a, b, ctx)
        delta = a.execute(ctx, "set", b'{"key":"x","value":"1"}').delta
        assert delta is not None
        with pytest.raises(FunctionCallError, match="__calimero_sync_next"):
            b.apply_delta(delta)


CRASH_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from calimero_devnet.node.core import NodeCore
    from calimero_devnet.testing.fake_runtime import FakeRuntime, fake_wasm
    core = NodeCore.open(Path(sys.argv[1]), index=1, runtime=FakeRuntime())
    ctx = core.create_context(core.install_application(fake_wasm(), source="t"), seed=b"s").id
    print(ctx.hex(), flush=True)
    for i in range(1_000_000):
        core.execute(ctx, "set", b'{"key":"k%d","value":"v"}' % i)
        print(i, flush=True)
    """
)


@pytest.mark.integration
def test_sigkill_mid_stream_leaves_the_context_consistent(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", CRASH_CHILD, str(tmp_path / "n")]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as child:
        assert child.stdout is not None
        ctx = bytes.fromhex(child.stdout.readline().decode())
        acknowledged = [int(child.stdout.readline()) for _ in range(200)]
        child.send_signal(signal.SIGKILL)  # somewhere inside a later call
        child.wait(timeout=30)
    with open_node(tmp_path / "n") as core:
        assert core.check_consistency(ctx) == []
        entries = call(core, ctx, "entries")
        assert isinstance(entries, dict)
        assert {f"k{i}" for i in acknowledged} <= set(entries)
        assert len(entries) == core.context(ctx).delta_count - 1  # one delta per set, + genesis
