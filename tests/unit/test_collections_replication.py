"""Tests replication of host collections: nesting, deltas, atomic merges, digests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.digest import recompute_digest, visible_digest
from calimero_devnet.node.collections.layout import NS
from calimero_devnet.node.collections.model import CollectionKind, DeltaRejectedError
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.testing.collections_node import SimNode, shared_pair, sync
from calimero_devnet.testing.memory_kv import MemoryKV


def add_to_group(groups: bytes, name: bytes, member: bytes) -> Callable[[CollectionsSession], None]:
    """A call body: add ``member`` to the set stored under ``name`` in map ``groups``."""

    def body(s: CollectionsSession) -> None:
        inner = s.map_get(groups, name)
        if inner is None:
            inner = s.set_new()
            s.map_insert(groups, name, inner)
        s.set_insert(inner, member)

    return body


def test_nested_map_of_sets_replicates_creation_and_inner_mutations() -> None:
    a, b, groups = shared_pair(CollectionsSession.map_new)
    _, created = a.call(add_to_group(groups, b"admins", b"alice"))
    b.receive(created or b"")
    inner = b.read(lambda s: s.map_get(groups, b"admins"))
    assert inner is not None
    assert b.read(lambda s: s.set_values(inner)) == [b"alice"]
    _, from_b = b.call(add_to_group(groups, b"admins", b"bob"))
    a.receive(from_b or b"")
    assert a.read(lambda s: s.set_values(inner)) == [b"alice", b"bob"]
    assert a.digest() == b.digest()


def add_to_child(groups: bytes, name: bytes, member: bytes) -> Callable[[CollectionsSession], None]:
    """As ``add_to_group``, with the inner set's id derived from the map and key."""

    def body(s: CollectionsSession) -> None:
        inner = s.map_child(groups, name, CollectionKind.SET)
        s.map_insert(groups, name, inner)
        s.set_insert(inner, member)

    return body


def members(s: CollectionsSession, groups: bytes, name: bytes) -> list[bytes]:
    """The elements of the set stored under ``name``."""
    inner = s.map_get(groups, name)
    assert inner is not None
    return s.set_values(inner)


def test_a_nested_set_created_concurrently_under_one_key_keeps_both_writes() -> None:
    a, b, groups = shared_pair(CollectionsSession.map_new)
    _, from_a = a.call(add_to_child(groups, b"admins", b"alice"))
    _, from_b = b.call(add_to_child(groups, b"admins", b"bob"))
    sync([a, b], from_a, from_b)
    for node in (a, b):
        assert node.read(lambda s: members(s, groups, b"admins")) == [b"alice", b"bob"]


def test_random_ids_lose_one_side_of_a_concurrent_nested_creation() -> None:
    """Why ``map_child`` exists: with ``set_new`` the map entry's LWW keeps one set only."""
    a, b, groups = shared_pair(CollectionsSession.map_new)
    _, from_a = a.call(add_to_group(groups, b"admins", b"alice"))
    _, from_b = b.call(add_to_group(groups, b"admins", b"bob"))
    sync([a, b], from_a, from_b)
    assert len(a.read(lambda s: members(s, groups, b"admins"))) == 1


def test_child_ids_depend_on_map_key_and_kind_and_are_created_once() -> None:
    a, _, groups = shared_pair(CollectionsSession.map_new)
    (first, again), delta = a.call(
        lambda s: (s.map_child(groups, b"k", CollectionKind.SET),
                   s.map_child(groups, b"k", CollectionKind.SET))
    )  # fmt: skip
    assert first == again
    assert [type(x).__name__ for x in act.decode_actions(delta or b"")] == ["Create"]
    others, _ = a.call(
        lambda s: {s.map_child(groups, b"j", CollectionKind.SET),
                   s.map_child(groups, b"k", CollectionKind.VECTOR)}
    )  # fmt: skip
    assert first not in others
    assert len(others) == 2


def test_the_create_action_travels_before_the_actions_using_it() -> None:
    a, _, groups = shared_pair(CollectionsSession.map_new)
    _, delta = a.call(add_to_group(groups, b"g", b"x"))
    kinds = [type(x).__name__ for x in act.decode_actions(delta or b"")]
    assert kinds == ["Create", "MapSet", "SetAdd"]


def test_applying_a_delta_twice_or_to_its_author_changes_nothing() -> None:
    a, b, m = shared_pair(CollectionsSession.map_new)
    _, delta = a.call(lambda s: s.map_insert(m, b"k", b"v"))
    before = a.digest()
    sync([a, b], delta, delta)
    assert a.digest() == before == b.digest()


def test_a_rejected_delta_writes_nothing() -> None:
    _, b, m = shared_pair(CollectionsSession.map_new)
    bad = act.encode_actions(
        [
            act.MapSet(id=m, key=b"k", hlc=(50, 1), value=b"v"),
            act.SetAdd(id=m, elem=b"e", tag=(51, 1), retire=[]),  # m is a map
        ]
    )
    before = list(b.kv.items())
    with pytest.raises(DeltaRejectedError, match="as a set, but it is a map"):
        b.receive(bad)
    assert list(b.kv.items()) == before


@pytest.mark.parametrize("kind", list(CollectionKind))
def test_conflicting_kinds_inside_one_delta_are_rejected(kind: CollectionKind) -> None:
    node = SimNode(0)
    cid = b"\7" * 32
    other: act.AnyAction = act.VectorPop(id=cid, elem=(1, 1))
    if kind is CollectionKind.VECTOR:
        other = act.MapSet(id=cid, key=b"k", hlc=(1, 1), value=None)
    with pytest.raises(DeltaRejectedError, match=f"but it is a {kind.label}"):
        node.receive(act.encode_actions([act.Create(id=cid, kind=kind), other]))
    assert len(node.kv) == 0


def test_receive_reports_the_largest_stamp_for_the_clock() -> None:
    a, b, m = shared_pair(CollectionsSession.map_new)
    a.time = 1_000
    _, delta = a.call(lambda s: [s.map_insert(m, b"k", b"v"), s.map_remove(m, b"k")])
    applied = b.receive(delta or b"")
    assert applied.actions == 2
    assert applied.max_stamp == (1_002, a.node_id)
    assert b.time == 1_002


def test_a_snapshot_copy_has_the_same_digest_and_reads() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    a.call(lambda s: s.map_insert(m, b"k", b"v"))
    joiner = SimNode(5)
    joiner.kv = MemoryKV(dict(a.kv.items()))
    assert joiner.digest() == a.digest()
    assert joiner.read(lambda s: s.map_get(m, b"k")) == b"v"


def test_state_digest_sees_metadata_and_visible_digest_does_not() -> None:
    a, _, m = shared_pair(CollectionsSession.map_new)
    before_full, before_visible = a.digest(), visible_digest(a.kv)
    a.call(lambda s: s.map_remove(m, b"never-there"))  # no action at all
    assert a.digest() == before_full
    a.call(lambda s: [s.map_insert(m, b"k", b"v"), s.map_remove(m, b"k")])  # a tombstone
    assert visible_digest(a.kv) == before_visible
    assert a.digest() != before_full


def test_digest_covers_only_the_collections_namespace() -> None:
    kv = MemoryKV({NS + b"C" + b"\1" * 32: b"\0"})
    before = recompute_digest(kv)
    kv.put(b"app-raw-key", b"node-local storage of the app")
    assert recompute_digest(kv) == before
    kv.put(NS + b"R", b"x")
    assert recompute_digest(kv) != before


def test_visible_state_lists_every_kind() -> None:
    node = SimNode(0)

    def body(s: CollectionsSession) -> None:
        s.map_insert(s.map_new(), b"k", b"v")
        s.set_insert(s.set_new(), b"e")
        s.vector_push(s.vector_new(), b"x")
        s.lww_set(s.lww_new(), b"l")
        s.counter_increment(s.counter_new())
        s.user_storage_insert(s.user_storage_new(), b"u")
        s.frozen_storage_add(s.frozen_storage_new(), b"f")
        s.persist_root_state(b"doc", 0, 0)

    node.call(body)
    view = node.visible()
    contents = sorted((kind.name, repr(content)) for kind, content in view["collections"].values())
    assert [name for name, _ in contents] == sorted(k.name for k in CollectionKind)
    assert view["root"] == b"doc"
    assert (CollectionKind.USER_STORAGE, [(node.executor, b"u")]) in view["collections"].values()


ID = b"\1" * 32
AT = (5, 1)
TWINS = [  # pairs of actions with the same stamp and different payloads
    (
        act.MapSet(id=ID, key=b"k", hlc=AT, value=b"x"),
        act.MapSet(id=ID, key=b"k", hlc=AT, value=b"y"),
    ),
    (
        act.MapSet(id=ID, key=b"k", hlc=AT, value=None),
        act.MapSet(id=ID, key=b"k", hlc=AT, value=b""),
    ),
    (act.LwwSet(id=ID, hlc=AT, value=b"x"), act.LwwSet(id=ID, hlc=AT, value=b"y")),
    (
        act.UserSet(id=ID, user=ID, hlc=AT, value=b"x"),
        act.UserSet(id=ID, user=ID, hlc=AT, value=None),
    ),
    (act.VectorPush(id=ID, elem=AT, value=b"x"), act.VectorPush(id=ID, elem=AT, value=b"y")),
    (
        act.RootSet(hlc=AT, doc=b"x", created_at=0, updated_at=1),
        act.RootSet(hlc=AT, doc=b"x", created_at=1, updated_at=0),
    ),
]


@pytest.mark.parametrize(("first", "second"), TWINS)
def test_a_repeated_stamp_still_converges(first: act.AnyAction, second: act.AnyAction) -> None:
    """A clock that repeats itself must not split nodes: payloads break the tie."""
    one, two = SimNode(0), SimNode(1)
    one.receive(act.encode_actions([first, second]))
    two.receive(act.encode_actions([second, first]))
    assert one.visible() == two.visible()
    assert one.digest() == two.digest()
