"""Unit tests of the replication reducers: validation, fetching, rate limits, joining."""

from __future__ import annotations

from logging import DEBUG, ERROR, INFO, WARNING

import pytest

from calimero_devnet.errors import ContextNotFound
from calimero_devnet.node.sync.context import announce_period
from calimero_devnet.node.sync.fetch import FetchPlan
from calimero_devnet.node.sync.messages import (
    ApplyDeltas,
    DeltaBroadcast,
    Effect,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    InstallSnapshot,
    Log,
    Publish,
    Reply,
    RequestSnapshot,
    SendFetch,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)
from calimero_devnet.node.sync.protocol import SyncConfig, SyncState
from tests.unit.dag_fakes import SECOND, FakeDelta, FakeHlc, chain, fake_id, make

CTX = b"\xc0" * 32
NOW = 1_700_000_000 * SECOND
MEMBERS = {"a", "b"}


class Node:
    """A SyncState with an in-memory store and a shell that applies at once."""

    def __init__(self, config: SyncConfig | None = None) -> None:
        self.store: dict[bytes, FakeDelta] = {}
        self.snapshot: Snapshot | None = None
        self.applied: list[FakeDelta] = []
        self.sync: SyncState[FakeDelta] = SyncState(
            config or SyncConfig(node="me"),
            verify=self.verify,
            lookup=lambda _ctx, delta_id: self.store.get(delta_id),
            snapshot_of=lambda _ctx: self.snapshot,
        )

    @staticmethod
    def verify(context: bytes, delta: FakeDelta) -> str | None:
        if context != CTX:
            return "wrong context"
        if delta.content_id() != delta.id:
            return "id does not match its content"
        return None if delta.author in MEMBERS else f"author {delta.author} is not a member"

    def run(self, effects: list[Effect[FakeDelta]]) -> list[Effect[FakeDelta]]:
        """Apply ``ApplyDeltas`` like a shell would; return every other effect."""
        rest: list[Effect[FakeDelta]] = []
        for effect in effects:
            if isinstance(effect, ApplyDeltas):
                for delta in effect.deltas:
                    self.store[delta.id] = delta
                    self.applied.append(delta)
                    self.sync.applied(effect.context, delta)
            else:
                rest.append(effect)
        return rest

    def hear(self, delta: FakeDelta, sender: str = "a", now: int = NOW) -> list[Effect[FakeDelta]]:
        return self.run(self.sync.handle(DeltaBroadcast(sender, CTX, delta), now))


def fetches(effects: list[Effect[FakeDelta]]) -> list[tuple[str, tuple[bytes, ...]]]:
    return [(e.peer, e.request.ids) for e in effects if isinstance(e, SendFetch)]


def logs(effects: list[Effect[FakeDelta]], level: int) -> list[str]:
    return [e.text for e in effects if isinstance(e, Log) and e.level == level]


def opened(config: SyncConfig | None = None) -> Node:
    node = Node(config)
    node.sync.open_context(CTX)
    return node


def test_a_valid_broadcast_is_applied_and_moves_the_heads() -> None:
    node = opened()
    a, b = chain(2)
    assert node.hear(a) == []
    assert node.hear(b) == []
    assert node.applied == [a, b]
    assert node.sync.dag(CTX).heads == (b.id,)


FORGED = FakeDelta(fake_id("forged"), (), FakeHlc(NOW), "a", ("label", "forged"))
STRANGER = make("stranger", author="mallory")


@pytest.mark.parametrize(("bad", "reason"), [(FORGED, "id does not"), (STRANGER, "not a member")])
def test_an_invalid_delta_is_dropped_with_a_warning(bad: FakeDelta, reason: str) -> None:
    node = opened()
    effects = node.hear(bad)
    assert any(reason in text for text in logs(effects, WARNING))
    assert not node.sync.dag(CTX).is_known(bad.id)
    assert node.applied == []


def test_a_forged_copy_of_a_wanted_delta_does_not_cancel_its_fetch() -> None:
    node = opened()
    a, b = chain(2)
    node.hear(b, sender="b")
    forged = FakeDelta(a.id, (), FakeHlc(NOW), "a", ("label", "evil"))
    node.hear(forged, sender="c")
    assert fetches(node.sync.tick(NOW + 2 * SECOND)) == [("b", (a.id,))]
    node.run(node.sync.handle(FetchResponse("b", CTX, (a,), ()), NOW + 2 * SECOND))
    assert node.applied == [a, b]


def test_a_delta_more_than_5_s_ahead_is_refused_and_5_s_is_accepted() -> None:
    node = opened()
    too_far = make("far", time=NOW + 5 * SECOND + 1)
    effects = node.hear(too_far)
    assert any("ahead of our clock" in text for text in logs(effects, WARNING))
    assert not node.sync.dag(CTX).is_known(too_far.id)
    at_limit = make("edge", time=NOW + 5 * SECOND)
    assert node.hear(at_limit) == []
    assert node.applied == [at_limit]
    assert node.hear(too_far, now=NOW + SECOND) == []  # acceptable once our clock catches up


def test_an_orphan_makes_its_sender_the_one_asked_for_the_parent() -> None:
    node = opened()
    a, b = chain(2)
    assert fetches(node.hear(b, sender="b")) == [("b", (a.id,))]
    announced = next(e for e in node.sync.tick(NOW) if isinstance(e, Publish))
    assert announced.message == HeadsAnnouncement("me", CTX, ())  # nothing applied yet
    response = FetchResponse("b", CTX, (a,), ())
    assert node.run(node.sync.handle(response, NOW)) == []
    assert node.applied == [a, b]


def test_the_same_missing_id_is_not_requested_again_before_the_retry_delay() -> None:
    node = opened(SyncConfig("me", fetch_retry_after=2 * SECOND))
    a, b, c = chain(3)
    sibling = make("s", [a])
    assert fetches(node.hear(c, sender="a")) == [("a", (b.id,))]
    assert fetches(node.hear(b, sender="b")) == [("b", (a.id,))]
    assert fetches(node.hear(sibling, sender="a", now=NOW + SECOND)) == []  # a.id asked 1 s ago
    assert fetches(node.sync.tick(NOW + SECOND)) == []
    assert fetches(node.sync.tick(NOW + 2 * SECOND)) == [("a", (a.id,))]  # next peer in turn
    assert fetches(node.sync.tick(NOW + 5 * SECOND)) == []  # the second retry waits 4 s
    assert fetches(node.sync.tick(NOW + 6 * SECOND)) == [("b", (a.id,))]


def test_not_found_moves_on_to_the_next_peer_at_once() -> None:
    node = opened()
    a, b = chain(2)
    node.hear(b, sender="a")
    node.run(node.sync.handle(HeadsAnnouncement("b", CTX, (b.id,)), NOW))
    effects = node.sync.handle(FetchResponse("a", CTX, (), (a.id,)), NOW)
    assert fetches(effects) == [("b", (a.id,))]


def test_heads_announcements_fetch_unknown_heads_only() -> None:
    node = opened()
    a, b = chain(2)
    node.hear(a)
    assert fetches(node.sync.handle(HeadsAnnouncement("b", CTX, (a.id,)), NOW)) == []
    assert fetches(node.sync.handle(HeadsAnnouncement("b", CTX, (b.id,)), NOW)) == [("b", (b.id,))]


def test_an_announced_pending_head_fetches_its_missing_ancestors() -> None:
    node = opened()
    a, b, c = chain(3)
    node.hear(c, sender="a")  # asks a for b
    effects = node.sync.handle(HeadsAnnouncement("b", CTX, (c.id,)), NOW)
    assert fetches(effects) == []  # b.id was asked of "a" just now
    assert fetches(node.sync.tick(NOW + 2 * SECOND)) == [("b", (b.id,))]
    node.hear(b, sender="b", now=NOW + 2 * SECOND)
    assert node.sync.dag(CTX).missing() == (a.id,)


def test_a_fetch_request_is_answered_with_found_and_not_found_ids() -> None:
    node = opened()
    a = make("a")
    node.hear(a)
    unknown = fake_id("u")
    effects = node.sync.handle(FetchRequest("b", CTX, (a.id, unknown), "b/replies"), NOW)
    assert effects == [Reply("b/replies", FetchResponse("me", CTX, (a,), (unknown,)))]


def test_own_echoes_are_ignored_and_unknown_contexts_logged() -> None:
    node = opened()
    assert node.sync.handle(DeltaBroadcast("me", CTX, make("a")), NOW) == []
    assert not node.sync.dag(CTX).is_known(make("a").id)
    effects = node.sync.handle(HeadsAnnouncement("b", b"\x00" * 32, ()), NOW)
    assert logs(effects, DEBUG)
    with pytest.raises(ContextNotFound, match="open or join"):
        node.sync.dag(b"\x00" * 32)


def test_heads_are_announced_at_most_once_per_period() -> None:
    node = opened(SyncConfig("me", announce_every=SECOND))
    node.hear(make("a"))
    assert [e for e in node.sync.tick(NOW) if isinstance(e, Publish)] == [
        Publish(HeadsAnnouncement("me", CTX, (make("a").id,)))
    ]
    assert node.sync.tick(NOW + SECOND // 2) == []
    assert len(node.sync.tick(NOW + SECOND)) == 1
    assert len(node.sync.announce(NOW + SECOND)) == 1  # on reconnect: at once


def test_the_heads_period_stretches_with_the_peers_up_to_three_times() -> None:
    assert announce_period(SECOND, 0) == announce_period(SECOND, 10) == SECOND
    assert announce_period(SECOND, 20) == 2 * SECOND
    assert announce_period(SECOND, 29) == int(2.9 * SECOND)
    assert announce_period(SECOND, 63) == 3 * SECOND


def test_a_paced_context_announces_at_its_own_period() -> None:
    node = opened(SyncConfig("me", announce_every=SECOND))
    node.sync.pace(CTX, 3 * SECOND)
    assert len(node.sync.tick(NOW)) == 1
    assert node.sync.tick(NOW + 2 * SECOND) == []
    assert len(node.sync.tick(NOW + 3 * SECOND)) == 1
    node.sync.pace(b"\x00" * 32, SECOND)  # an untracked context: nothing to pace


def test_tick_evicts_stale_orphans_and_gives_up_their_fetches() -> None:
    node = opened(SyncConfig("me", max_pending_age=60 * SECOND))
    _a, b = chain(2)
    node.hear(b, sender="b")
    effects = node.sync.tick(NOW + 60 * SECOND)
    warnings = logs(effects, WARNING)
    assert any("evicted 1 delta" in text for text in warnings)
    assert any("gave up fetching 1 delta" in text for text in warnings)
    assert not node.sync.dag(CTX).is_known(b.id)
    assert fetches(node.sync.tick(NOW + 70 * SECOND)) == []


def test_a_local_delta_is_recorded_and_published() -> None:
    node = opened()
    node.hear(make("a"))
    parents = node.sync.dag(CTX).local_parents()
    local = FakeDelta(fake_id("local"), parents, FakeHlc(NOW), "a")
    assert node.sync.local_delta(CTX, local) == [Publish(DeltaBroadcast("me", CTX, local))]
    assert node.sync.dag(CTX).heads == (local.id,)


def test_a_failed_apply_is_forgotten_and_fetched_again_later() -> None:
    node = opened()
    a, b = chain(2)
    effects = node.sync.handle(DeltaBroadcast("a", CTX, a), NOW)
    assert effects == [ApplyDeltas(CTX, (a,))]
    effects = node.sync.apply_failed(CTX, a.id, "the app trapped")
    assert any("the app trapped" in text for text in logs(effects, ERROR))
    assert not node.sync.dag(CTX).is_known(a.id)
    assert fetches(node.hear(b)) == [("a", (a.id,))]


def test_a_joiner_installs_a_snapshot_then_applies_what_it_heard_meanwhile() -> None:
    node = Node()
    a, b, c = chain(3)
    effects = node.sync.join_context(CTX, ["b"], NOW)
    assert effects == [RequestSnapshot("b", SnapshotRequest("me", CTX, "me"))]
    assert node.sync.joining(CTX)
    assert node.hear(c, sender="a") == []  # kept; no history fetched
    assert node.sync.handle(HeadsAnnouncement("a", CTX, (c.id,)), NOW) == []
    snapshot = Snapshot(CTX, ((b"k", b"v"),), b"\x01" * 32, (b.id,), (a.id, b.id))
    effects = node.run(node.sync.handle(SnapshotResponse("b", CTX, snapshot), NOW))
    assert effects[0] == InstallSnapshot(snapshot)
    assert logs(effects, INFO)
    assert node.applied == [c]
    assert node.sync.dag(CTX).heads == (c.id,)
    assert not node.sync.joining(CTX)


def test_a_joiner_asks_the_next_peer_after_a_timeout_or_a_bad_answer() -> None:
    node = Node(SyncConfig("me", snapshot_timeout=10 * SECOND))
    node.sync.join_context(CTX, ["b"], NOW)
    node.sync.handle(HeadsAnnouncement("c", CTX, (fake_id("h"),)), NOW)
    assert node.sync.tick(NOW + 9 * SECOND) == []
    effects = node.sync.tick(NOW + 10 * SECOND)
    assert logs(effects, WARNING)
    assert [e.peer for e in effects if isinstance(e, RequestSnapshot)] == ["c"]
    effects = node.sync.handle(SnapshotResponse("c", CTX, None), NOW + 11 * SECOND)
    assert any("no state" in text for text in logs(effects, WARNING))
    assert [e.peer for e in effects if isinstance(e, RequestSnapshot)] == ["b"]
    stray = node.sync.handle(SnapshotResponse("c", CTX, None), NOW + 12 * SECOND)
    assert logs(stray, DEBUG)


def test_a_late_snapshot_from_a_peer_asked_earlier_is_installed() -> None:
    # Under load the first peer answers after the timeout, while the joiner waits for the
    # second: its good snapshot must end the join rather than restart the wait.
    node = Node(SyncConfig("me", snapshot_timeout=10 * SECOND))
    node.sync.join_context(CTX, ["b", "c"], NOW)
    node.sync.tick(NOW + 10 * SECOND)  # b silent: c asked
    snapshot = Snapshot(CTX, (), None, (), ())
    effects = node.sync.handle(SnapshotResponse("b", CTX, snapshot), NOW + 11 * SECOND)
    assert effects[0] == InstallSnapshot(snapshot)
    assert not node.sync.joining(CTX)


def test_a_bad_late_answer_does_not_ask_again_while_the_current_peer_is_awaited() -> None:
    node = Node(SyncConfig("me", snapshot_timeout=10 * SECOND))
    node.sync.join_context(CTX, ["b", "c"], NOW)
    node.sync.tick(NOW + 10 * SECOND)  # c asked
    effects = node.sync.handle(SnapshotResponse("b", CTX, None), NOW + 11 * SECOND)
    assert logs(effects, WARNING)
    assert not [e for e in effects if isinstance(e, RequestSnapshot)]
    assert node.sync.joining(CTX)


def test_a_snapshot_with_heads_outside_its_applied_ids_is_refused() -> None:
    node = Node()
    node.sync.join_context(CTX, ["b"], NOW)
    bad = Snapshot(CTX, (), None, (fake_id("h"),), ())
    effects = node.sync.handle(SnapshotResponse("b", CTX, bad), NOW)
    assert any("heads that are not" in text for text in logs(effects, WARNING))
    assert node.sync.joining(CTX)


def test_snapshot_requests_are_served_but_not_while_joining() -> None:
    node = opened()
    node.snapshot = Snapshot(CTX, (), None, (), ())
    request = SnapshotRequest("b", CTX, "b/replies")
    expected: Reply[FakeDelta] = Reply("b/replies", SnapshotResponse("me", CTX, node.snapshot))
    assert node.sync.handle(request, NOW) == [expected]
    joiner = Node()
    joiner.snapshot = node.snapshot
    joiner.sync.join_context(CTX, [], NOW)
    assert joiner.sync.handle(request, NOW) == [
        Reply("b/replies", SnapshotResponse("me", CTX, None))
    ]


def test_fetch_plan_batches_ids_per_peer_within_the_size_limit() -> None:
    plan = FetchPlan(max_ids_per_request=2)
    ids = [fake_id(str(i)) for i in range(3)]
    for delta_id in ids:
        plan.want(delta_id, "p", NOW)
    assert plan.due(NOW) == [("p", tuple(ids[:2])), ("p", (ids[2],))]
    plan.got(ids[0])
    assert len(plan) == 2
    assert ids[0] not in plan
