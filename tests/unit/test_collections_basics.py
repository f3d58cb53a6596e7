"""Tests the building blocks of host collections: HLC, ids, payload bytes, overlay, Borsh."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.kv import Overlay, prefix_end
from calimero_devnet.node.collections.model import (
    CollectionError,
    DeltaRejectedError,
    Hlc,
    Stamper,
    collection_id,
)
from calimero_devnet.node.collections.payloads import (
    decode_items,
    decode_pairs,
    decode_u64,
    encode_items,
    encode_pairs,
    encode_timestamp,
    encode_u64,
)
from calimero_devnet.testing.memory_kv import MemoryKV

ID = bytes(range(32))


def test_timestamp_is_24_bytes_time_then_node_little_endian() -> None:
    stamp = Hlc(0x0102030405060708, (1 << 127) | 0x0A0B)
    raw = encode_timestamp(stamp)
    assert raw == struct.pack("<Q", 0x0102030405060708) + ((1 << 127) | 0x0A0B).to_bytes(
        16, "little"
    )
    assert Hlc.from_bytes(raw) == stamp


def test_hlc_orders_by_time_then_node() -> None:
    assert Hlc(1, 9) < Hlc(2, 0) < Hlc(2, 1)


def test_stamper_bumps_a_repeating_source_and_stays_above_observed() -> None:
    stamper = Stamper(lambda: Hlc(5, 1))
    assert [stamper.next() for _ in range(3)] == [Hlc(5, 1), Hlc(6, 1), Hlc(7, 1)]
    stamper.observe((100, 9))
    assert stamper.next() == Hlc(101, 1)
    assert stamper.next(after=(200, 0)) == Hlc(201, 1)
    assert stamper.last == Hlc(201, 1)


def test_stamper_accepts_any_object_with_time_and_node() -> None:
    @dataclass(frozen=True)
    class ClockHlc:
        time: int
        node: int

    assert Stamper(lambda: ClockHlc(3, 4)).next() == Hlc(3, 4)


def test_stamper_refuses_out_of_range_stamps() -> None:
    with pytest.raises(CollectionError, match="out of range"):
        Stamper(lambda: Hlc(1 << 64, 1)).next()


def test_collection_ids_are_deterministic_and_distinct() -> None:
    first = collection_id(b"a" * 32, Hlc(1, 1), 0)
    assert first == collection_id(b"a" * 32, Hlc(1, 1), 0)
    others = {
        collection_id(b"b" * 32, Hlc(1, 1), 0),
        collection_id(b"a" * 32, Hlc(1, 2), 0),
        collection_id(b"a" * 32, Hlc(1, 1), 1),
    }
    assert len(first) == 32
    assert first not in others
    assert len(others) == 3


def test_iteration_payloads_are_exact() -> None:
    assert encode_items([b"ab", b""]) == b"\x02\0\0\0" + b"\x02\0\0\0ab" + b"\0\0\0\0"
    pairs = [(b"k", b"vv"), (b"", b"x")]
    expected = b"\x02\0\0\0" + b"\x01\0\0\0k\x02\0\0\0vv" + b"\0\0\0\0\x01\0\0\0x"
    assert encode_pairs(pairs) == expected
    assert encode_items([]) == b"\0\0\0\0"
    assert decode_pairs(expected) == pairs
    assert decode_items(encode_items([b"ab", b""])) == [b"ab", b""]


def test_u64_payloads_are_little_endian_and_bounded() -> None:
    assert encode_u64(0x0102) == b"\x02\x01" + b"\0" * 6
    assert decode_u64(encode_u64(2**64 - 1)) == 2**64 - 1
    with pytest.raises(CollectionError, match="does not fit in a u64"):
        encode_u64(2**64)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x01\0", "no u32 count"),
        (b"\x01\0\0\0\x05\0", "inside a length"),
        (b"\x01\0\0\0\x05\0\0\0ab", "inside an item"),
        (b"\x01\0\0\0\x01\0\0\0ab", "trailing"),
    ],
)
def test_payload_decoder_is_strict(payload: bytes, message: str) -> None:
    with pytest.raises(CollectionError, match=message):
        decode_items(payload)


def test_prefix_end() -> None:
    assert prefix_end(b"ab") == b"ac"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") is None


def test_overlay_reads_through_and_merges_scans() -> None:
    base = MemoryKV({b"p1": b"base", b"p2": b"gone", b"p4": b"kept", b"q": b"other"})
    overlay = Overlay(base)
    overlay.put(b"p3", b"new")
    overlay.put(b"p1", b"mine")
    overlay.delete(b"p2")
    overlay.put(b"p\xff", b"edge")
    assert overlay.get(b"p2") is None
    assert overlay.get(b"q") == b"other"
    assert list(overlay.scan(b"p")) == [
        (b"p1", b"mine"),
        (b"p3", b"new"),
        (b"p4", b"kept"),
        (b"p\xff", b"edge"),
    ]
    assert overlay.writes == {b"p3": b"new", b"p1": b"mine", b"p2": None, b"p\xff": b"edge"}
    assert base.get(b"p1") == b"base"
    base.write_batch(overlay.writes)
    expected = [(b"p1", b"mine"), (b"p3", b"new"), (b"p4", b"kept"), (b"p\xff", b"edge")]
    assert base.items() == [*expected, (b"q", b"other")]


def _every_action() -> list[act.AnyAction]:
    return [
        act.Create(id=ID, kind=0),
        act.MapSet(id=ID, key=b"k", hlc=(1, 2), value=b"v"),
        act.MapSet(id=ID, key=b"k", hlc=(3, 2), value=None),
        act.SetAdd(id=ID, elem=b"e", tag=(4, 2), retire=[(1, 1), (2, 2)]),
        act.SetRemove(id=ID, elem=b"e", tags=[(4, 2)]),
        act.VectorPush(id=ID, elem=(5, 2), value=b""),
        act.VectorPop(id=ID, elem=(5, 2)),
        act.LwwSet(id=ID, hlc=(6, 2), value=None),
        act.CounterSet(id=ID, executor=b"x" * 32, count=2**64 - 1),
        act.UserSet(id=ID, user=b"x" * 32, hlc=(7, 2), value=b"u"),
        act.FrozenAdd(id=ID, value=b"blob"),
        act.RootSet(hlc=(8, 2), doc=b"{}", created_at=1, updated_at=2),
    ]


def test_every_action_round_trips() -> None:
    actions = _every_action()
    assert act.decode_actions(act.encode_actions(actions)) == actions


def test_batch_bytes_are_borsh() -> None:
    data = act.encode_actions([act.Create(id=ID, kind=2), act.FrozenAdd(id=ID, value=b"z")])
    assert data == (
        b"\x01" + b"\x02\0\0\0" + b"\x00" + ID + b"\x02" + b"\x09" + ID + b"\x01\0\0\0z"
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d + b"\0", "trailing"),
        (lambda d: b"\x02" + d[1:], "version 2"),
        (lambda d: d[:1] + b"\x01\0\0\0\x0b", "variant"),
        (lambda d: d[:-1] + b"\x07", "unknown kind 7"),
        (lambda d: d[:10], "decode"),
    ],
)
def test_decoding_is_strict(mutate: Callable[[bytes], bytes], message: str) -> None:
    data = act.encode_actions([act.Create(id=ID, kind=2)])
    with pytest.raises(DeltaRejectedError, match=message):
        act.decode_actions(mutate(data))


def test_invalid_option_tag_is_rejected() -> None:
    data = bytearray(act.encode_actions([act.LwwSet(id=ID, hlc=(1, 1), value=None)]))
    data[-1] = 2  # the Option tag of ``value``
    with pytest.raises(DeltaRejectedError, match="decode"):
        act.decode_actions(bytes(data))


def test_max_stamp_spans_every_stamped_action() -> None:
    assert act.max_stamp(_every_action()) == Hlc(8, 2)
    assert act.max_stamp([act.Create(id=ID, kind=0)]) is None
