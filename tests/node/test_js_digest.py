"""JS-app root hashes on real NodeCores: folded per commit, order-independent, checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.node.collections import digest
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.digest import DIGEST_KEY, recompute_digest
from calimero_devnet.node.replication.snapshot import (
    export_snapshot,
    install_snapshot,
    read_join_info,
)
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.testing.fake_clock import FakeClock
from tests.fixtures import load_wat
from tests.node.core_helpers import join
from tests.node.js_helpers import entries, put

Trio = tuple[NodeCore, NodeCore, NodeCore, bytes]


@pytest.fixture
def trio(tmp_path: Path, runtime: Runtime) -> Iterator[Trio]:
    """Node a creates a JS context; b joins by a test copy, c by a real snapshot install."""
    opened = [
        NodeCore.open(tmp_path / name, index=i, runtime=runtime, wall_clock=FakeClock())
        for i, name in enumerate("abc", start=1)
    ]
    a, b, c = opened
    try:
        ctx = a.create_context(a.install_application(load_wat("js_like"), source="t")).id
        join(a, b, ctx)
        c.install_application(load_wat("js_like"), source="peer")
        snapshot = export_snapshot(a.store, ctx)
        assert snapshot is not None
        install_snapshot(c.store, snapshot, read_join_info(snapshot), c.public_key, c.clock.last)
        yield a, b, c, ctx
    finally:
        for node in opened:
            node.close()


def roots_agree(nodes: tuple[NodeCore, ...], ctx: bytes) -> None:
    """Assert every node's root hash is the same recomputed digest and the store is sound."""
    for node in nodes:
        assert node.context(ctx).root_hash == recompute_digest(node.store.state_reader(ctx))
        assert node.check_consistency(ctx) == []
    assert len({node.context(ctx).root_hash for node in nodes}) == 1


def test_a_snapshot_carries_the_accumulator(trio: Trio) -> None:
    a, _, c, ctx = trio
    stored = a.store.state_get(ctx, DIGEST_KEY)
    assert stored is not None
    assert c.store.state_get(ctx, DIGEST_KEY) == stored
    assert c.context(ctx).root_hash == a.context(ctx).root_hash


def test_roots_agree_whatever_order_deltas_arrive_in(trio: Trio) -> None:
    a, b, c, ctx = trio
    from_a = [put(a, ctx, key, '"a"') for key in ("x", "y", "z")]
    from_b = [put(b, ctx, key, '"b"') for key in ("y", "w")]
    for delta in from_b:
        a.apply_delta(delta)
    for delta in from_a:
        b.apply_delta(delta)
    for delta in (from_a[0], from_b[0], from_a[1], from_b[1], from_a[2]):
        c.apply_delta(delta)
    roots_agree((a, b, c), ctx)
    merge = put(c, ctx, "v", '"c"')
    for node in (a, b):
        node.apply_delta(merge)
    roots_agree((a, b, c), ctx)
    assert entries(a, ctx) == entries(b, ctx) == entries(c, ctx)
    assert len(entries(a, ctx)) == 5


def test_commits_and_applies_never_rescan(trio: Trio, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, _, ctx = trio
    for i in range(20):
        b.apply_delta(put(a, ctx, f"k{i}", '"v"'))

    def refuse(store: object) -> None:
        raise AssertionError("a commit rescanned every record")

    monkeypatch.setattr(digest, "recompute_accumulator", refuse)
    delta = put(a, ctx, "k0", '"w"')
    b.apply_delta(delta)
    monkeypatch.undo()
    roots_agree((a,), ctx)
    assert b.context(ctx).root_hash == recompute_digest(b.store.state_reader(ctx))


@pytest.mark.parametrize("what", ["changed record", "removed record", "record without fold"])
def test_check_consistency_catches_a_tampered_record(trio: Trio, what: str) -> None:
    a, _, _, ctx = trio
    put(a, ctx, "k", '"v"')
    [(key, value), *_] = list(a.store.state_items(ctx, lay.ENTRY))
    tamper = {
        "changed record": (key, value[:-1] + bytes([value[-1] ^ 1])),
        "removed record": (key, None),
        "record without fold": (lay.entry_key(b"\x05" * 32, b"x"), b"v"),
    }[what]
    batch = a.store.batch()
    batch.put_state(ctx, *tamper)
    a.store.write(batch)
    [problem] = a.check_consistency(ctx)
    assert f"digest accumulator under {DIGEST_KEY!r}" in problem
    assert "changed outside a commit; rejoin the context by snapshot" in problem
