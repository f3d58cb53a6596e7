"""Property tests: host collections converge whatever the delivery order and duplicates."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.testing.collections_node import SimNode

Op = tuple[str, bytes, bytes]
KEYS = st.sampled_from([b"a", b"b", b"c"])
VALUES = st.binary(max_size=2)
NONE = st.just(b"")


def _op(
    name: str, first: st.SearchStrategy[bytes] = NONE, second: st.SearchStrategy[bytes] = NONE
) -> st.SearchStrategy[Op]:
    return st.tuples(st.just(name), first, second)


OPS = st.one_of(
    _op("map_insert", KEYS, VALUES),
    _op("map_remove", KEYS),
    _op("set_insert", KEYS),
    _op("set_remove", KEYS),
    _op("set_clear"),
    _op("vector_push", VALUES),
    _op("vector_pop"),
    _op("lww_set", VALUES),
    _op("lww_clear"),
    _op("counter_increment"),
    _op("user_insert", VALUES),
    _op("user_remove"),
    _op("frozen_add", VALUES),
    _op("nested_add", KEYS, KEYS),
    _op("nested_remove", KEYS, KEYS),
    _op("root", VALUES),
)
NODES = 3
PROGRAM = st.lists(st.lists(st.lists(OPS, max_size=3), min_size=NODES, max_size=NODES), max_size=5)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def genesis(s: CollectionsSession) -> dict[str, bytes]:
    """Create one collection of each kind (the app's ``init``)."""
    return {
        "map": s.map_new(), "set": s.set_new(), "vector": s.vector_new(), "lww": s.lww_new(),
        "counter": s.counter_new(), "user": s.user_storage_new(),
        "frozen": s.frozen_storage_new(), "groups": s.map_new(),
    }  # fmt: skip


def run_all(s: CollectionsSession, ids: dict[str, bytes], ops: list[Op]) -> None:
    """Perform a call's random operations."""
    for op in ops:
        run(s, ids, op)


def run(s: CollectionsSession, ids: dict[str, bytes], op: Op) -> None:
    """Perform one random operation."""
    name, x, y = op
    family, _, verb = name.partition("_")
    if family == "nested":
        inner = s.map_get(ids["groups"], x)
        if inner is None:
            inner = s.set_new()
            s.map_insert(ids["groups"], x, inner)
        (s.set_insert if verb == "add" else s.set_remove)(inner, y)
        return
    simple: dict[str, Any] = {
        "map_insert": lambda: s.map_insert(ids["map"], x, y),
        "map_remove": lambda: s.map_remove(ids["map"], x),
        "set_insert": lambda: s.set_insert(ids["set"], x),
        "set_remove": lambda: s.set_remove(ids["set"], x),
        "set_clear": lambda: s.set_clear(ids["set"]),
        "vector_push": lambda: s.vector_push(ids["vector"], x),
        "vector_pop": lambda: s.vector_pop(ids["vector"]),
        "lww_set": lambda: s.lww_set(ids["lww"], x),
        "lww_clear": lambda: s.lww_set(ids["lww"], None),
        "counter_increment": lambda: s.counter_increment(ids["counter"]),
        "user_insert": lambda: s.user_storage_insert(ids["user"], x),
        "user_remove": lambda: s.user_storage_remove(ids["user"]),
        "frozen_add": lambda: s.frozen_storage_add(ids["frozen"], x),
        "root": lambda: s.persist_root_state(x, 1, 2),
    }
    simple[name]()


@FAST
@given(program=PROGRAM, rnd=st.randoms(use_true_random=False), observe=st.booleans())
def test_nodes_converge_under_any_delivery_order(
    program: list[list[list[Op]]], rnd: random.Random, observe: bool
) -> None:
    nodes = [SimNode(i, observe=observe, step=lambda: rnd.randint(1, 3)) for i in range(NODES)]
    ids, first = nodes[0].call(genesis)
    log: list[tuple[bytes, bytes]] = [(nodes[0].executor, first or b"")]
    for node in nodes[1:]:
        node.receive(first or b"")
    for round_ops in program:
        for node, ops in zip(nodes, round_ops, strict=True):
            _, delta = node.call(partial(run_all, ids=ids, ops=ops))
            if delta is not None:
                log.append((node.executor, delta))
        for author, delta in log:  # partial gossip: concurrent histories that overlap
            for node in nodes:
                if rnd.random() < 0.3:
                    node.receive(delta, author)
    observer = SimNode(NODES)
    for node in [*nodes, observer]:
        for author, delta in rnd.sample(log + log[: len(log) // 2], k=len(log) + len(log) // 2):
            node.receive(delta, author)
    views = [node.visible() for node in [*nodes, observer]]
    assert all(view == views[0] for view in views)
    assert len({node.digest() for node in [*nodes, observer]}) == 1
    ops = [op for round_ops in program for node_ops in round_ops for op in node_ops]
    increments = sum(op[0] == "counter_increment" for op in ops)
    assert nodes[0].read(lambda s: s.counter_value(ids["counter"])) == increments


IDS = [bytes([kind]) * 32 for kind in range(7)]
STAMPS = st.tuples(st.integers(0, 2), st.integers(1, 2))  # few stamps: many collisions
SMALL = st.sampled_from([b"", b"x", b"y"])
OPTIONAL = st.none() | SMALL
ANY_ID = st.sampled_from(IDS)
TAGS = st.lists(STAMPS, max_size=2)
TINY = st.integers(0, 2)


def of(kind: int) -> st.SearchStrategy[bytes]:
    """The one collection id of ``kind`` in raw-action tests."""
    return st.just(IDS[kind])


RAW_ACTIONS = st.one_of(
    st.integers(0, 6).map(lambda kind: act.Create(id=IDS[kind], kind=kind)),
    st.builds(act.MapSet, id=of(0), key=SMALL, hlc=STAMPS, value=OPTIONAL),
    st.builds(act.SetAdd, id=of(1), elem=SMALL, tag=STAMPS, retire=TAGS),
    st.builds(act.SetRemove, id=of(1), elem=SMALL, tags=TAGS),
    st.builds(act.VectorPush, id=of(2), elem=STAMPS, value=SMALL),
    st.builds(act.VectorPop, id=of(2), elem=STAMPS),
    st.builds(act.LwwSet, id=of(3), hlc=STAMPS, value=OPTIONAL),
    st.builds(act.CounterSet, id=of(4), executor=ANY_ID, count=st.integers(0, 5)),
    st.builds(act.UserSet, id=of(5), user=ANY_ID, hlc=STAMPS, value=OPTIONAL),
    st.builds(act.FrozenAdd, id=of(6), value=SMALL),
    st.builds(
        act.RootSet,
        hlc=STAMPS,
        doc=SMALL,
        created_at=st.integers(0, 2),
        updated_at=st.integers(0, 2),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    actions=st.lists(RAW_ACTIONS, min_size=2, max_size=30), rnd=st.randoms(use_true_random=False)
)
def test_apply_is_commutative_and_idempotent_even_with_colliding_stamps(
    actions: list[act.AnyAction], rnd: random.Random
) -> None:
    """Arbitrary actions (equal stamps with different payloads included) in any order."""
    one, two = SimNode(0), SimNode(1)
    for node in (one, two):
        batch = rnd.sample(actions * 2, k=2 * len(actions))
        for start in range(0, len(batch), 4):
            node.receive(act.encode_actions(batch[start : start + 4]))
    assert one.visible() == two.visible()
    assert one.digest() == two.digest()


@given(st.one_of(st.none(), st.binary(max_size=300)))
def test_the_fast_vector_element_reader_reads_what_pyborsh_writes(value: bytes | None) -> None:
    assert lay.vector_value(lay.VectorRecord(value=value).to_borsh()) == value


@given(st.binary(max_size=40))
def test_the_fast_vector_element_reader_refuses_what_pyborsh_refuses(raw: bytes) -> None:
    try:
        expected: bytes | ValueError | None = lay.VectorRecord.from_borsh(raw).value
    except Exception:  # pyborsh's own error types
        expected = ValueError()
    if isinstance(expected, ValueError):
        with pytest.raises(ValueError, match="not a vector element record"):
            lay.vector_value(raw)
    else:
        assert lay.vector_value(raw) == expected
