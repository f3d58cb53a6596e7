"""Tests the value collections (LWW, counter, user, frozen), the root document and errors."""

from __future__ import annotations

import hashlib

import pytest

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.model import CollectionError, DeltaRejectedError, Hlc
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.testing.collections_node import SimNode, shared_pair, sync

# -- LWW register ------------------------------------------------------------------------


def test_lww_set_get_timestamp_and_empty() -> None:
    a, _, r = shared_pair(CollectionsSession.lww_new)
    assert a.read(lambda s: (s.lww_get(r), s.lww_timestamp(r))) == (None, None)
    changed, _ = a.call(lambda s: [s.lww_set(r, b"v"), s.lww_set(r, b"v"), s.lww_set(r, b"w")])
    assert changed == [True, False, True]
    stamp = a.read(lambda s: s.lww_timestamp(r))
    assert stamp == Hlc(a.time, a.node_id)
    assert stamp is not None
    assert len(stamp.to_bytes()) == 24
    a.call(lambda s: s.lww_set(r, None))  # has_value = 0
    assert a.read(lambda s: (s.lww_get(r), s.lww_timestamp(r))) == (None, None)


def test_lww_concurrent_sets_tie_break_by_node_id() -> None:
    a, b, r = shared_pair(CollectionsSession.lww_new)
    a.time = b.time = 7
    _, from_a = a.call(lambda s: s.lww_set(r, b"a"))
    _, from_b = b.call(lambda s: s.lww_set(r, None))
    sync([a, b], from_a, from_b)
    assert a.read(lambda s: s.lww_get(r)) is None  # (8, node 2) beats (8, node 1)


# -- counter -----------------------------------------------------------------------------


def test_counter_sums_executors_and_merges_by_max() -> None:
    a, b, c = shared_pair(CollectionsSession.counter_new)
    _, first = a.call(lambda s: s.counter_increment(c))
    _, more = a.call(lambda s: s.counter_increment(c, by=3))
    _, from_b = b.call(lambda s: s.counter_increment(c))
    sync([a, b], more, from_b, first)  # the stale total (1) arrives last and changes nothing
    assert b.read(lambda s: s.counter_value(c)) == 5
    assert b.read(lambda s: s.counter_get_executor_count(c)) == 1
    assert b.read(lambda s: s.counter_get_executor_count(c, a.executor)) == 4
    assert b.read(lambda s: s.counter_get_executor_count(c, b"\0" * 32)) == 0


def test_counter_refuses_bad_increments_and_executor_ids() -> None:
    a, _, c = shared_pair(CollectionsSession.counter_new)
    with pytest.raises(CollectionError, match="increments"):
        a.call(lambda s: s.counter_increment(c, by=0))
    with pytest.raises(CollectionError, match="executor id must be exactly 32 bytes"):
        a.read(lambda s: s.counter_get_executor_count(c, b"short"))


# -- user storage ------------------------------------------------------------------------


def test_user_storage_slots_are_per_executor() -> None:
    a, b, u = shared_pair(CollectionsSession.user_storage_new)
    old, from_a = a.call(lambda s: [s.user_storage_insert(u, b"1"), s.user_storage_insert(u, b"2")])
    assert old == [None, b"1"]
    sync([a, b], from_a)
    assert b.read(lambda s: (s.user_storage_get(u), s.user_storage_contains(u))) == (None, False)
    assert b.read(lambda s: s.user_storage_get_for_user(u, a.executor)) == b"2"
    assert b.read(lambda s: s.user_storage_contains_user(u, a.executor)) is True
    removed, from_a = a.call(lambda s: [s.user_storage_remove(u), s.user_storage_remove(u)])
    assert removed == [b"2", None]
    sync([a, b], from_a)
    assert b.read(lambda s: s.user_storage_contains_user(u, a.executor)) is False


def test_user_storage_refuses_writes_to_another_executors_slot() -> None:
    a, b, u = shared_pair(CollectionsSession.user_storage_new)
    forged = act.encode_actions([act.UserSet(id=u, user=b.executor, hlc=(99, 1), value=b"x")])
    before = b.digest()
    with pytest.raises(DeltaRejectedError, match="only that executor may write its own slot"):
        b.receive(forged, author=a.executor)
    assert b.digest() == before
    b.receive(forged, author=b.executor)  # the owner's own write is accepted
    assert b.read(lambda s: s.user_storage_get(u)) == b"x"


# -- frozen storage ----------------------------------------------------------------------


def test_frozen_storage_is_content_addressed_and_add_only() -> None:
    a, b, f = shared_pair(CollectionsSession.frozen_storage_new)
    digest, from_a = a.call(lambda s: s.frozen_storage_add(f, b"blob"))
    assert digest == hashlib.sha256(b"\x04\0\0\0blob").digest()  # upstream's: Borsh Vec<u8>
    assert a.call(lambda s: s.frozen_storage_add(f, b"blob")) == (digest, None)
    sync([a, b], from_a, from_a)
    assert b.read(lambda s: s.frozen_storage_get(f, digest)) == b"blob"
    assert b.read(lambda s: s.frozen_storage_contains(f, digest)) is True
    assert b.read(lambda s: s.frozen_storage_contains(f, b"\0" * 32)) is False
    assert not hasattr(CollectionsSession, "frozen_storage_remove")
    with pytest.raises(CollectionError, match="js_frozen_storage_get: hash must be exactly 32"):
        b.read(lambda s: s.frozen_storage_get(f, b"abc"))


def test_user_and_frozen_storage_iterate_as_maps() -> None:
    a, b, u = shared_pair(CollectionsSession.user_storage_new)
    _, from_a = a.call(lambda s: s.user_storage_insert(u, b"mine"))
    sync([a, b], from_a, from_a)
    assert b.read(lambda s: s.map_entries(u)) == [(a.executor, b"mine")]
    f = b.call(lambda s: s.frozen_storage_new())[0]
    digest, _ = b.call(lambda s: s.frozen_storage_add(f, b"ice"))
    assert b.read(lambda s: s.map_entries(f)) == [(digest, b"ice")]
    c = b.call(lambda s: s.counter_new())[0]
    with pytest.raises(CollectionError, match=r"js_crdt_map_iter: collection .* is a counter"):
        b.read(lambda s: s.map_entries(c))


# -- root document and errors ------------------------------------------------------------


def test_root_document_is_lww_by_hlc() -> None:
    a, b = SimNode(0), SimNode(1)
    assert a.read(lambda s: s.read_root_state()) is None
    a.time, b.time = 10, 20
    _, from_b = b.call(lambda s: s.persist_root_state(b'{"n":"b"}', 1, 2))
    _, from_a = a.call(lambda s: s.persist_root_state(b'{"n":"a"}', 1, 3))
    sync([a, b], from_b, from_a)
    assert a.read(lambda s: s.read_root_state()) == b'{"n":"b"}'


def test_misuse_names_the_import_and_the_problem() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    with pytest.raises(CollectionError, match=r"js_crdt_set_insert: .* is a map, not a set"):
        a.call(lambda s: s.set_insert(m, b"x"))
    with pytest.raises(CollectionError, match=r"js_crdt_vector_len: no collection 0{64}"):
        a.read(lambda s: s.vector_len(b"\0" * 32))
    with pytest.raises(CollectionError, match="js_crdt_map_get: collection id must be exactly"):
        a.read(lambda s: s.map_get(b"\0" * 31, b"k"))


def test_reads_produce_no_delta_and_writes_do() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    session = CollectionsSession(a.kv, a.executor, a.tick)
    session.map_get(m, b"k")
    session.map_iter(m)
    assert session.flush_delta() is None
    session.map_insert(m, b"k", b"v")
    delta = session.flush_delta()
    assert delta is not None
    assert delta == session.call_delta()
    assert act.decode_actions(delta) == list(session.actions)
