"""Unit tests of the causal DAG: every rule on small, hand-built histories."""

from __future__ import annotations

import sys

import pytest

from calimero_devnet.errors import StoreError
from calimero_devnet.node.sync.dag import CausalDag
from tests.unit.dag_fakes import SECOND, FakeDelta, chain, fake_id, make


def applied_in_order(dag: CausalDag[FakeDelta], ready: tuple[FakeDelta, ...]) -> None:
    """Confirm ``ready`` deltas the way the I/O shell does."""
    for delta in ready:
        dag.mark_applied(delta)


def test_genesis_applies_and_becomes_the_head() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    genesis = make("g")
    result = dag.receive(genesis, 0)
    assert result.ready == (genesis,)
    assert (result.missing, result.duplicate) == ((), False)
    assert not dag.heads  # not confirmed yet
    dag.mark_applied(genesis)
    assert dag.heads == (genesis.id,)
    assert dag.is_applied(genesis.id)


@pytest.mark.parametrize("state", ["applied", "applying", "pending"])
def test_a_known_delta_is_a_duplicate_with_no_effect(state: str) -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    parent = make("p")
    delta = make("d", [parent]) if state == "pending" else parent
    dag.receive(delta, 0)
    if state == "applied":
        dag.mark_applied(delta)
    before = (dag.heads, dag.missing(), dag.statistics().pending)
    result = dag.receive(delta, 1)
    assert result.duplicate
    assert (result.ready, result.missing) == ((), ())
    assert (dag.heads, dag.missing(), dag.statistics().pending) == before
    assert dag.statistics().duplicates == 1


def test_a_child_before_its_parent_waits_and_names_the_missing_parent() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    parent = make("p")
    child = make("c", [parent])
    result = dag.receive(child, 0)
    assert result.ready == ()
    assert result.missing == (parent.id,)
    assert dag.is_pending(child.id)
    assert dag.missing() == (parent.id,)
    result = dag.receive(parent, 1)
    assert result.ready == (parent, child)
    assert dag.missing() == ()
    applied_in_order(dag, result.ready)
    assert dag.heads == (child.id,)


def test_a_parent_already_pending_is_not_reported_missing() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b, c = chain(3)
    assert dag.receive(b, 0).missing == (a.id,)
    assert dag.receive(c, 0).missing == ()
    assert dag.missing() == (a.id,)
    assert dag.missing_for(c.id) == (a.id,)


def test_a_diamond_delivered_backwards_applies_in_causal_order() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a = make("a")
    b, c = make("b", [a]), make("c", [a])
    d = make("d", [b, c])
    assert dag.receive(d, 0).missing == tuple(dict.fromkeys((b.id, c.id)))
    assert dag.receive(c, 0).missing == (a.id,)
    assert dag.receive(b, 0).missing == (a.id,)
    ready = dag.receive(a, 0).ready
    assert ready[0] == a
    assert ready[-1] == d
    assert set(ready[1:3]) == {b, c}
    applied_in_order(dag, ready)
    assert dag.heads == (d.id,)


def test_concurrent_heads_are_sorted_and_a_local_write_collapses_them() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    root = make("root")
    left, right = make("l", [root]), make("r", [root])
    for delta in (root, left, right):
        applied_in_order(dag, dag.receive(delta, 0).ready)
    assert dag.heads == tuple(sorted((left.id, right.id)))
    assert dag.local_parents() == dag.heads
    local = FakeDelta(fake_id("local"), dag.local_parents())
    assert dag.heads_after(local) == (local.id,)
    dag.mark_applied(local)
    assert dag.heads == (local.id,)


def test_heads_after_keeps_heads_the_delta_does_not_build_on() -> None:
    dag: CausalDag[FakeDelta] = CausalDag.restore(
        [b"\x01" * 32, b"\x02" * 32], [b"\x01" * 32, b"\x02" * 32]
    )
    child = FakeDelta(b"\x03" * 32, (b"\x01" * 32,))
    assert dag.heads_after(child) == (b"\x02" * 32, b"\x03" * 32)


def test_a_5000_deep_chain_in_reverse_cascades_without_recursion() -> None:
    deltas = chain(5000)
    dag: CausalDag[FakeDelta] = CausalDag()
    for delta in reversed(deltas[1:]):
        assert dag.receive(delta, 0).ready == ()
    assert dag.statistics().pending == 4999
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive cascade would blow up far before 5000
    try:
        ready = dag.receive(deltas[0], 0).ready
    finally:
        sys.setrecursionlimit(limit)
    assert ready == tuple(deltas)
    applied_in_order(dag, ready)
    assert dag.heads == (deltas[-1].id,)
    stats = dag.statistics()
    assert (stats.applied, stats.pending, stats.applying, stats.missing) == (5000, 0, 0, 0)


def test_a_child_of_a_delta_being_applied_is_released_at_once() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    parent, child = chain(2)
    assert dag.receive(parent, 0).ready == (parent,)
    assert dag.is_applying(parent.id)
    assert dag.receive(child, 0).ready == (child,)
    applied_in_order(dag, (parent, child))
    assert dag.heads == (child.id,)


def test_the_pending_limit_evicts_the_oldest_first() -> None:
    dag: CausalDag[FakeDelta] = CausalDag(max_pending=3)
    orphans = [make(f"o{i}", [make(f"missing{i}")]) for i in range(4)]
    for moment, orphan in enumerate(orphans):
        dag.receive(orphan, moment)
    assert not dag.is_pending(orphans[0].id)
    assert all(dag.is_pending(o.id) for o in orphans[1:])
    stats = dag.statistics()
    assert (stats.pending, stats.evicted, stats.missing) == (3, 1, 3)


def test_an_evicted_parent_is_missing_again_for_its_waiting_children() -> None:
    dag: CausalDag[FakeDelta] = CausalDag(max_pending=2)
    a, b, c = chain(3)
    dag.receive(b, 0)
    dag.receive(c, 1)
    dag.receive(make("x", [make("y")]), 2)  # full: b (the oldest) goes
    assert not dag.is_known(b.id)
    assert b.id in dag.missing()
    assert dag.missing_for(c.id) == (b.id,)
    assert dag.receive(b, 3).missing == (a.id,)


def test_evict_drops_only_deltas_older_than_the_age_limit() -> None:
    dag: CausalDag[FakeDelta] = CausalDag(max_pending_age=60 * SECOND)
    old, young = make("old", [make("p1")]), make("young", [make("p2")])
    dag.receive(old, 0)
    dag.receive(young, 30 * SECOND)
    assert dag.evict(59 * SECOND) == ()
    assert dag.evict(60 * SECOND) == (old.id,)
    assert dag.is_pending(young.id)
    dag.receive(make("later"), 90 * SECOND)  # receive evicts too
    assert not dag.is_pending(young.id)
    assert dag.statistics().evicted == 2


def test_restore_rebuilds_from_applied_ids_and_heads() -> None:
    a, b, c = chain(3)
    dag: CausalDag[FakeDelta] = CausalDag.restore([a.id, b.id], [b.id])
    assert dag.heads == (b.id,)
    assert dag.receive(b, 0).duplicate
    assert dag.receive(c, 0).ready == (c,)
    sibling = make("s", [a])  # builds on an old, non-head ancestor
    assert dag.receive(sibling, 0).ready == (sibling,)


def test_restore_refuses_heads_that_are_not_applied() -> None:
    with pytest.raises(StoreError, match="inconsistent"):
        CausalDag.restore([b"\x01" * 32], [b"\x02" * 32])


def test_mark_applied_refuses_to_break_causal_order_or_repeat() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b = chain(2)
    dag.receive(b, 0)
    with pytest.raises(ValueError, match="pending"):
        dag.mark_applied(b)
    with pytest.raises(ValueError, match="unapplied parent"):
        dag.mark_applied(make("orphan", [make("nowhere")]))
    dag.mark_applied(a)
    with pytest.raises(ValueError, match="already applied"):
        dag.mark_applied(a)


def test_abandon_forgets_the_failed_delta_and_what_builds_on_it() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b, c, d = chain(4)
    other = make("other", [make("elsewhere")])
    late = FakeDelta(fake_id("late"), (c.id, other.parents[0]))
    assert dag.receive(a, 0).ready == (a,)
    assert dag.receive(b, 0).ready == (b,)
    assert dag.receive(c, 0).ready == (c,)
    dag.receive(late, 0)  # waits only for the unknown "elsewhere": c counts as present
    assert dag.abandon(b.id) == (b.id, c.id)
    assert dag.abandon(b.id) == ()
    assert not dag.is_known(b.id)
    assert not dag.is_known(c.id)
    assert dag.missing_for(late.id) == tuple(sorted((c.id, other.parents[0])))
    dag.mark_applied(a)
    assert dag.receive(b, 1).ready == (b,)
    assert dag.receive(d, 1).missing == (c.id,)
    assert dag.receive(c, 1).ready == (c, d)


def test_missing_for_names_the_unknown_delta_itself_or_nothing_once_present() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b = chain(2)
    assert dag.missing_for(a.id) == (a.id,)
    dag.receive(a, 0)
    assert dag.missing_for(a.id) == ()
    assert dag.missing_for(b.id) == (b.id,)


def test_statistics_count_every_kind_of_delta() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b = chain(2)
    dag.receive(a, 0)
    dag.receive(make("orphan", [make("nowhere")]), 0)
    dag.receive(a, 0)
    stats = dag.statistics()
    assert (stats.applied, stats.applying, stats.pending, stats.heads) == (0, 1, 1, 0)
    assert (stats.missing, stats.evicted, stats.duplicates) == (1, 0, 1)
    dag.mark_applied(a)
    dag.receive(b, 0)
    dag.mark_applied(b)
    stats = dag.statistics()
    assert (stats.applied, stats.applying, stats.heads) == (2, 0, 1)


def test_a_zero_pending_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CausalDag(max_pending=0)


def test_waiting_lists_each_pending_delta_with_the_parents_it_waits_for() -> None:
    dag: CausalDag[FakeDelta] = CausalDag()
    a, b, c = chain(3)
    dag.receive(c, 0)
    dag.receive(b, 1)
    assert dag.waiting() == {c.id: frozenset({b.id}), b.id: frozenset({a.id})}
    applied_in_order(dag, dag.receive(a, 2).ready)
    assert dag.waiting() == {}
