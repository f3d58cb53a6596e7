"""NodeCore applying peers' deltas (the hook the sync layer drives), and crash safety."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.state.clock import MAX_INDEX
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.results import CommitNotice
from calimero_devnet.testing.fake_runtime import fake_wasm
from tests.node.core_helpers import SEED, call, join, open_node, runtime_of


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
    from calimero_devnet.node.state.core import NodeCore
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
