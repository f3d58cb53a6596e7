"""Tests the merge rules of the entry collections (map, set, vector) across two nodes."""

from __future__ import annotations

from collections.abc import Callable

from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.testing.collections_node import SimNode, shared_pair, sync


def push(vector: bytes, *values: bytes) -> Callable[[CollectionsSession], None]:
    """A call body pushing ``values`` in order."""

    def body(s: CollectionsSession) -> None:
        for value in values:
            s.vector_push(vector, value)

    return body


# -- map ---------------------------------------------------------------------------------


def test_map_insert_get_remove_report_previous_values() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)

    def body(s: CollectionsSession) -> list[object]:
        return [
            s.map_insert(m, b"k", b"1"),
            s.map_insert(m, b"k", b"2"),
            s.map_get(m, b"k"),
            s.map_contains(m, b"k"),
            s.map_remove(m, b"k"),
            s.map_remove(m, b"k"),
            s.map_contains(m, b"k"),
            s.map_get(m, b"k"),
        ]

    results, _ = a.call(body)
    assert results == [None, b"1", b"2", True, b"2", None, False, None]


def test_map_remove_of_a_missing_key_records_nothing() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    assert a.call(lambda s: s.map_remove(m, b"nope")) == (None, None)


def test_map_concurrent_inserts_at_equal_time_are_won_by_the_higher_node_id() -> None:
    a, b, m = shared_pair(CollectionsSession.map_new)
    a.time = b.time = 100
    _, from_a = a.call(lambda s: s.map_insert(m, b"k", b"from-a"))
    _, from_b = b.call(lambda s: s.map_insert(m, b"k", b"from-b"))
    sync([a, b], from_b, from_a)
    assert a.read(lambda s: s.map_get(m, b"k")) == b"from-b"
    assert b.read(lambda s: s.map_get(m, b"k")) == b"from-b"


def test_map_tombstone_beats_an_earlier_insert_and_loses_to_a_later_one() -> None:
    a, b, m = shared_pair(CollectionsSession.map_new)
    _, seed = a.call(lambda s: s.map_insert(m, b"k", b"v0"))
    sync([a, b], seed)
    a.time, b.time = 200, 150
    _, removal = a.call(lambda s: s.map_remove(m, b"k"))
    _, earlier = b.call(lambda s: s.map_insert(m, b"k", b"early"))
    sync([a, b], earlier, removal)
    assert a.read(lambda s: s.map_get(m, b"k")) is None
    b.time = 300
    _, later = b.call(lambda s: s.map_insert(m, b"k", b"late"))
    sync([a, b], later)
    assert a.read(lambda s: s.map_get(m, b"k")) == b"late"


def test_map_iter_payload_is_key_ordered_and_exact() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    a.call(lambda s: [s.map_insert(m, k, v) for k, v in [(b"b", b"2"), (b"a", b""), (b"c", b"3")]])
    a.call(lambda s: s.map_remove(m, b"c"))
    payload = a.read(lambda s: s.map_iter(m))
    assert payload == b"\x02\0\0\0" + b"\x01\0\0\0a\0\0\0\0" + b"\x01\0\0\0b\x01\0\0\x002"


def test_a_local_write_wins_over_a_slot_stamped_ahead_of_the_local_clock() -> None:
    a, b, m = shared_pair(CollectionsSession.map_new, observe=False)
    b.time = 10_000
    _, ahead = b.call(lambda s: s.map_insert(m, b"k", b"ahead"))
    a.receive(ahead or b"")
    assert a.time < 10_000  # this clock lags: the session must still stamp after the slot
    a.call(lambda s: s.map_insert(m, b"k", b"mine"))
    assert a.read(lambda s: s.map_get(m, b"k")) == b"mine"


# -- set ---------------------------------------------------------------------------------


def test_set_insert_contains_remove_len_iter() -> None:
    a, _, st = shared_pair(CollectionsSession.set_new)

    def body(s: CollectionsSession) -> list[object]:
        return [
            s.set_insert(st, b"y"),
            s.set_insert(st, b"x"),
            s.set_insert(st, b"x"),
            s.set_len(st),
            s.set_iter(st),
            s.set_remove(st, b"y"),
            s.set_remove(st, b"y"),
            s.set_contains(st, b"y"),
            s.set_contains(st, b"x"),
        ]

    results, _ = a.call(body)
    assert results == [
        True,
        True,
        False,
        2,
        b"\x02\0\0\0\x01\0\0\0x\x01\0\0\0y",
        True,
        False,
        False,
        True,
    ]


def test_set_concurrent_add_wins_over_remove() -> None:
    a, b, st = shared_pair(CollectionsSession.set_new)
    _, seed = a.call(lambda s: s.set_insert(st, b"x"))
    sync([a, b], seed)
    _, removal = a.call(lambda s: s.set_remove(st, b"x"))
    _, readd = b.call(lambda s: s.set_insert(st, b"x"))
    sync([a, b], removal, readd)
    assert a.read(lambda s: s.set_values(st)) == [b"x"]


def test_set_clear_removes_observed_elements_only() -> None:
    a, b, st = shared_pair(CollectionsSession.set_new)
    _, seed = a.call(lambda s: [s.set_insert(st, e) for e in (b"1", b"2")])
    sync([a, b], seed)
    cleared, clear = a.call(lambda s: s.set_clear(st))
    _, concurrent = b.call(lambda s: s.set_insert(st, b"3"))
    sync([a, b], concurrent, clear)
    assert cleared is True
    assert b.read(lambda s: s.set_values(st)) == [b"3"]
    assert a.call(lambda s: s.set_clear(st))[0] is True
    assert a.call(lambda s: s.set_clear(st)) == (False, None)


def test_set_remove_before_its_add_arrives_still_removes_it() -> None:
    a, b, st = shared_pair(CollectionsSession.set_new)
    c = SimNode(2)
    _, add = a.call(lambda s: s.set_insert(st, b"x"))
    b.receive(add or b"")
    _, remove = b.call(lambda s: s.set_remove(st, b"x"))
    for delta in (remove, add):  # out of causal order on c
        c.receive(delta or b"")
    a.receive(remove or b"")
    assert c.read(lambda s: s.set_values(st)) == []
    assert c.digest() == a.digest() == b.digest()


# -- vector ------------------------------------------------------------------------------


def test_vector_push_get_len_pop() -> None:
    a, _, v = shared_pair(CollectionsSession.vector_new)

    def body(s: CollectionsSession) -> list[object]:
        s.vector_push(v, b"1")
        s.vector_push(v, b"2")
        return [s.vector_len(v), s.vector_get(v, 0), s.vector_get(v, 2), s.vector_pop(v)]

    results, _ = a.call(body)
    assert results == [2, b"1", None, b"2"]
    assert a.call(lambda s: [s.vector_pop(v), s.vector_pop(v), s.vector_len(v)])[0] == [
        b"1",
        None,
        0,
    ]


def test_vector_concurrent_appends_are_ordered_by_hlc_then_node() -> None:
    a, b, v = shared_pair(CollectionsSession.vector_new)
    a.time = b.time = 50
    _, from_a = a.call(push(v, b"a1", b"a2"))
    b.time = 50
    _, from_b = b.call(lambda s: s.vector_push(v, b"b1"))
    sync([a, b], from_a, from_b)
    # a1 = (51, 1), b1 = (51, 2), a2 = (52, 1)
    assert b.read(lambda s: s.vector_values(v)) == [b"a1", b"b1", b"a2"]


def test_vector_concurrent_pops_of_the_same_element_remove_it_once() -> None:
    a, b, v = shared_pair(CollectionsSession.vector_new)
    _, seed = a.call(push(v, b"1", b"2", b"3"))
    sync([a, b], seed)
    _, pop_a = a.call(lambda s: s.vector_pop(v))
    _, pop_b = b.call(lambda s: s.vector_pop(v))
    sync([a, b], pop_a, pop_b)
    assert a.read(lambda s: s.vector_values(v)) == [b"1", b"2"]


def test_vector_push_lands_last_even_when_the_clock_lags() -> None:
    a, b, v = shared_pair(CollectionsSession.vector_new, observe=False)
    b.time = 9_999
    _, ahead = b.call(lambda s: s.vector_push(v, b"remote"))
    a.receive(ahead or b"")
    a.call(lambda s: s.vector_push(v, b"local"))
    assert a.read(lambda s: s.vector_values(v)) == [b"remote", b"local"]
