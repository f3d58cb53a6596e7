"""What a member sends when many nodes join or come back: one answer for many, not one each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.node.replication import reads
from calimero_devnet.node.replication.engine import ReplicaEngine
from calimero_devnet.node.replication.outbox import Cast, Outgoing, Send
from calimero_devnet.node.replication.snapshot import export_snapshot
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.sync.dag import SECOND
from calimero_devnet.node.sync.membership import MembersUpdate, create_members_update
from calimero_devnet.node.sync.messages import (
    HeadsAnnouncement,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)
from calimero_devnet.testing.fake_runtime import fake_wasm
from tests.node.core_helpers import SEED, open_node

JOINERS = 5


def test_one_batch_of_snapshot_requests_gets_one_snapshot_and_one_member_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports: list[bytes] = []

    def counted(store: NodeStore, context: bytes) -> Snapshot | None:
        exports.append(context)
        return export_snapshot(store, context)

    monkeypatch.setattr(reads, "export_snapshot", counted)
    with open_node(tmp_path / "a") as core:
        ctx = core.create_context(core.install_application(fake_wasm(), source="t"), seed=SEED).id
        sent: list[Outgoing] = []
        engine = ReplicaEngine(core, sent.extend)
        sent.clear()
        joiners = [(f"j{n}", NodeIdentity.generate()) for n in range(JOINERS)]
        intros = [create_members_update(key, name, ctx, (key.public_key,)) for name, key in joiners]
        asks = [SnapshotRequest(name, ctx, name) for name, _ in joiners]
        engine.handle([*intros, *asks], time.time_ns())

        answers = [item for item in sent if isinstance(item, Send)]
        assert [item.peer for item in answers] == [name for name, _ in joiners]
        first = answers[0].message
        assert isinstance(first, SnapshotResponse)
        assert first.snapshot is not None
        assert all(item.message is first for item in answers)  # one object, encoded once
        assert exports == [ctx]
        casts = [item.message for item in sent if isinstance(item, Cast)]
        lists = [m for m in casts if isinstance(m, MembersUpdate)]
        assert len(lists) == 1
        assert set(lists[0].members) == {core.public_key} | {k.public_key for _, k in joiners}
        assert len([m for m in casts if isinstance(m, HeadsAnnouncement)]) == 1


@pytest.fixture
def member(tmp_path: Path) -> Iterator[tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]]]:
    with open_node(tmp_path / "a") as core:
        ctx = core.create_context(core.install_application(fake_wasm(), source="t"), seed=SEED).id
        sent: list[Outgoing] = []
        engine = ReplicaEngine(core, sent.extend)
        sent.clear()
        yield core, ctx, engine, sent


def stored(core: NodeCore, ctx: bytes) -> ContextRecord:
    """The context's record as the store has it now."""
    record = core.store.context(ctx)
    assert record is not None
    return record


def casts_of(sent: list[Outgoing], kind: type) -> list[object]:
    return [
        item.message for item in sent if isinstance(item, Cast) and isinstance(item.message, kind)
    ]


def test_a_new_peer_with_our_heads_gets_no_announcement_back_and_one_without_does(
    member: tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]],
) -> None:
    core, ctx, engine, sent = member
    record = stored(core, ctx)
    heads = tuple(record.heads)
    now = time.time_ns()
    engine.handle([HeadsAnnouncement("j1", ctx, heads)], now)  # a joiner, just installed
    assert casts_of(sent, HeadsAnnouncement) == []
    engine.handle([HeadsAnnouncement("j2", ctx, (b"\x05" * 32,))], now + SECOND)
    assert len(casts_of(sent, HeadsAnnouncement)) == 1


def test_a_peer_heard_lately_with_heads_we_lack_is_answered_at_most_once_a_period(
    member: tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]],
) -> None:
    _, ctx, engine, sent = member
    now = time.time_ns()
    engine.handle([HeadsAnnouncement("p", ctx, (b"\x05" * 32,))], now)  # new: answered
    engine.handle([HeadsAnnouncement("p", ctx, (b"\x06" * 32,))], now + SECOND // 2)
    assert len(casts_of(sent, HeadsAnnouncement)) == 1  # a write on its way, not news
    engine.handle([HeadsAnnouncement("p", ctx, (b"\x07" * 32,))], now + SECOND)
    assert len(casts_of(sent, HeadsAnnouncement)) == 2


def test_a_peer_back_after_a_silence_gets_our_heads_and_member_list(
    member: tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]],
) -> None:
    core, ctx, engine, sent = member
    engine.members.grant(ctx, NodeIdentity.generate().public_key)
    now = time.time_ns()
    engine.handle([HeadsAnnouncement("p", ctx, (b"\x05" * 32,))], now)
    assert len(casts_of(sent, MembersUpdate)) == 1  # the grant's, at the end of that job
    sent.clear()
    engine.handle([HeadsAnnouncement("p", ctx, (b"\x06" * 32,))], now + 5 * SECOND)
    assert len(casts_of(sent, HeadsAnnouncement)) == 1
    (shared,) = casts_of(sent, MembersUpdate)
    assert isinstance(shared, MembersUpdate)
    record = stored(core, ctx)
    assert set(shared.members) == set(record.members)


def test_a_peer_back_with_our_very_heads_still_gets_the_member_list(
    member: tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]],
) -> None:
    core, ctx, engine, sent = member
    engine.members.grant(ctx, NodeIdentity.generate().public_key)
    record = stored(core, ctx)
    now = time.time_ns()
    engine.handle([HeadsAnnouncement("p", ctx, tuple(record.heads))], now)
    sent.clear()
    engine.handle([HeadsAnnouncement("p", ctx, tuple(record.heads))], now + 5 * SECOND)
    assert casts_of(sent, HeadsAnnouncement) == []  # nothing it lacks
    assert len(casts_of(sent, MembersUpdate)) == 1  # but members may have joined meanwhile


def test_with_twenty_peers_heard_a_member_announces_every_two_periods(
    member: tuple[NodeCore, bytes, ReplicaEngine, list[Outgoing]],
) -> None:
    core, ctx, engine, sent = member
    record = stored(core, ctx)
    now = time.time_ns()
    engine.handle([HeadsAnnouncement(f"p{n}", ctx, tuple(record.heads)) for n in range(20)], now)
    engine.tick(now)
    announced = len(casts_of(sent, HeadsAnnouncement))
    engine.tick(now + 3 * SECOND // 2)
    assert len(casts_of(sent, HeadsAnnouncement)) == announced  # not yet: the period is 2 s
    engine.tick(now + 2 * SECOND)
    assert len(casts_of(sent, HeadsAnnouncement)) == announced + 1
