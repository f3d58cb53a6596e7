"""Tests the incremental state digest: folded sums equal full recomputes, whatever happens."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Mapping
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calimero_devnet.errors import StoreError
from calimero_devnet.node.collections.digest import (
    DIGEST_KEY,
    RECORD_DOMAIN,
    STATE_DOMAIN,
    digest_problems,
    fold_writes,
    recompute_accumulator,
    recompute_digest,
    stored_accumulator,
)
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.layout import NS
from calimero_devnet.testing.collections_node import SimNode
from calimero_devnet.testing.memory_kv import MemoryKV
from tests.unit.test_collections_properties import NODES, PROGRAM, genesis, run_all

Writes = Mapping[bytes, bytes | None]
RECORD_KEYS = [NS + b"E" + bytes([i]) for i in range(4)] + [NS + b"R"]
BATCHES = st.lists(
    st.dictionaries(
        st.sampled_from([*RECORD_KEYS, b"app-raw-key"]), st.none() | st.binary(max_size=3)
    ),
    max_size=8,
)
SOME = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FoldingKV(MemoryKV):
    """A store whose every batch is folded into its accumulator first, as node commits are."""

    def write_batch(self, writes: Writes) -> None:
        overlay = Overlay(self)
        for key, value in writes.items():
            if value is None:
                overlay.delete(key)
            else:
                overlay.put(key, value)
        fold_writes(overlay)
        super().write_batch(overlay.writes)


def folded_root(kv: MemoryKV) -> bytes:
    """The digest a node reports: from the stored accumulator, no scan."""
    return stored_accumulator(kv).root()


def assert_folded(kv: MemoryKV) -> None:
    assert stored_accumulator(kv) == recompute_accumulator(kv)
    assert folded_root(kv) == recompute_digest(kv)


@settings(max_examples=100, deadline=None)
@given(batches=BATCHES, rnd=st.randoms(use_true_random=False))
def test_folding_raw_batches_matches_a_recompute_after_each(
    batches: list[dict[bytes, bytes | None]], rnd: random.Random
) -> None:
    """Inserts, overwrites, same-value rewrites, deletions and keys outside ``NS``."""
    kv = FoldingKV()
    for batch in batches:
        kv.write_batch(batch)
        assert_folded(kv)
    records = list(kv.scan(NS))
    other = FoldingKV()
    for key, value in rnd.sample(records, k=len(records)):  # another order, one per batch
        other.write_batch({key: value})
    assert folded_root(other) == folded_root(kv)


@SOME
@given(program=PROGRAM, rnd=st.randoms(use_true_random=False))
def test_folded_digests_match_recomputes_and_each_other_under_any_delivery(
    program: list[list[list[tuple[str, bytes, bytes]]]], rnd: random.Random
) -> None:
    nodes = [SimNode(i, step=lambda: rnd.randint(1, 3)) for i in range(NODES)]
    for node in nodes:
        node.kv = FoldingKV()
    ids, first = nodes[0].call(genesis)
    log = [first or b""]
    for node in nodes[1:]:
        node.receive(log[0])
    for round_ops in program:
        for node, ops in zip(nodes, round_ops, strict=True):
            _, delta = node.call(partial(run_all, ids=ids, ops=ops))
            log += [delta] if delta is not None else []
            assert_folded(node.kv)
        for delta in rnd.sample(log, k=len(log) // 2):
            rnd.choice(nodes).receive(delta)
    for node in nodes:
        for delta in rnd.sample(log + log, k=2 * len(log)):
            node.receive(delta)
            assert_folded(node.kv)
    assert len({folded_root(node.kv) for node in nodes}) == 1


def test_the_digest_is_the_documented_hash() -> None:
    key, value = NS + b"R", b"doc"
    framed = struct.pack("<Q", len(key)) + key + struct.pack("<Q", len(value)) + value
    term = hashlib.shake_256(RECORD_DOMAIN + framed).digest(256)
    expected = hashlib.sha256(STATE_DOMAIN + term + struct.pack("<Q", 1)).digest()
    assert recompute_digest(MemoryKV({key: value, b"app-raw-key": b"x"})) == expected
    empty = hashlib.sha256(STATE_DOMAIN + bytes(256) + struct.pack("<Q", 0)).digest()
    assert recompute_digest(MemoryKV()) == empty


def test_fold_stages_the_accumulator_and_can_run_twice() -> None:
    overlay = Overlay(MemoryKV({NS + b"R": b"old"}))
    overlay.put(NS + b"R", b"new")
    overlay.put(NS + b"E" + b"\x01", b"x")
    root = fold_writes(overlay)
    assert fold_writes(overlay) == root
    stored = MemoryKV(dict(overlay.scan(b"")))
    assert set(overlay.writes) == {NS + b"R", NS + b"E\x01", DIGEST_KEY}
    assert root == recompute_digest(stored) == folded_root(stored)
    assert DIGEST_KEY not in dict(stored.scan(NS))  # stored beside the records, not hashed


def test_a_store_without_an_accumulator_is_folded_from_scratch_once() -> None:
    kv = MemoryKV({key: b"v" for key in RECORD_KEYS})  # written before accumulators existed
    overlay = Overlay(kv)
    overlay.put(RECORD_KEYS[0], b"w")
    root = fold_writes(overlay)
    kv.write_batch(overlay.writes)
    assert root == recompute_digest(kv)
    assert_folded(kv)


def test_a_malformed_accumulator_stops_a_fold_and_is_reported() -> None:
    kv = MemoryKV({NS + b"R": b"doc", DIGEST_KEY: b"short"})
    overlay = Overlay(kv)
    overlay.put(NS + b"R", b"doc2")
    with pytest.raises(StoreError, match=r"is 5 bytes, expected 264: .* rejoin"):
        fold_writes(overlay)
    assert digest_problems(kv) == [
        f"the host-collections digest accumulator under {DIGEST_KEY!r} is 5 bytes, expected "
        "264: the store is damaged; rejoin the context by snapshot"
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        {NS + b"R": b"changed"},
        {NS + b"R": None},
        {NS + b"E\x09": b"added"},
        {DIGEST_KEY: bytes(264)},
    ],
)
def test_digest_problems_catch_a_change_made_outside_a_fold(tamper: Writes) -> None:
    kv = FoldingKV()
    kv.write_batch({NS + b"R": b"doc", NS + b"E\x01": b"x"})
    assert digest_problems(kv) == []
    MemoryKV.write_batch(kv, tamper)  # bypasses the fold, like a damaged store
    [problem] = digest_problems(kv)
    assert "changed outside a commit; rejoin the context by snapshot" in problem


def test_a_store_without_host_collections_has_no_digest_problems() -> None:
    assert digest_problems(MemoryKV({b"rust-app-key": b"v"})) == []
