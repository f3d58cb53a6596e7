"""Tests the one-line descriptions of host-collection actions and the prefix decoder."""

from __future__ import annotations

import json

import pytest

from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.describe import (
    batch_names,
    collection_ref,
    describe,
    describe_all,
    root_names,
    show_bytes,
    summarize,
)
from calimero_devnet.node.collections.model import CollectionKind, DeltaRejectedError

CID = bytes(range(32))
OTHER = bytes(range(1, 33))
WHO = b"\x05" * 32
T = (1_700_000_000_000_000_001, 7)
NAMED = {CID: "items"}


def short(raw: bytes) -> str:
    return to_b58(raw)[:4] + "…"


def ref(kind: str, cid: bytes) -> bytes:
    return json.dumps({"__cal": kind, "id": cid.hex()}, separators=(",", ":")).encode()


# Every action kind, unnamed and named (by NAMED), as the TUI shows it.
CASES: list[tuple[act.AnyAction, str, str]] = [
    (act.Create(id=CID, kind=int(CollectionKind.MAP)), f"new map {short(CID)}", "new map items"),
    (act.Create(id=CID, kind=int(CollectionKind.USER_STORAGE)), f"new user {short(CID)}",
     "new user items"),
    (act.MapSet(id=CID, key=b'"a"', hlc=T, value=b'"1"'), f'map {short(CID)} ["a"] = "1"',
     'items["a"] = "1"'),
    (act.MapSet(id=CID, key=b'"a"', hlc=T, value=None), f'map {short(CID)} ["a"] removed',
     'items["a"] removed'),
    (act.SetAdd(id=CID, elem=b'"x"', tag=T, retire=[]), f'set {short(CID)} add "x"',
     'items add "x"'),
    (act.SetRemove(id=CID, elem=b'"x"', tags=[T]), f'set {short(CID)} remove "x"',
     'items remove "x"'),
    (act.VectorPush(id=CID, elem=T, value=b"42"), f"vector {short(CID)} push 42", "items push 42"),
    (act.VectorPop(id=CID, elem=T), f"vector {short(CID)} pop", "items pop"),
    (act.LwwSet(id=CID, hlc=T, value=b'"w"'), f'lww {short(CID)} = "w"', 'items = "w"'),
    (act.LwwSet(id=CID, hlc=T, value=None), f"lww {short(CID)} cleared", "items cleared"),
    (act.CounterSet(id=CID, executor=WHO, count=4), f"counter {short(CID)} [{short(WHO)}] = 4",
     f"items[{short(WHO)}] = 4"),
    (act.UserSet(id=CID, user=WHO, hlc=T, value=b'"me"'),
     f'user {short(CID)} [{short(WHO)}] = "me"', f'items[{short(WHO)}] = "me"'),
    (act.UserSet(id=CID, user=WHO, hlc=T, value=None), f"user {short(CID)} [{short(WHO)}] removed",
     f"items[{short(WHO)}] removed"),
    (act.FrozenAdd(id=CID, value=b'"ice"'), f'frozen {short(CID)} add "ice"', 'items add "ice"'),
    (act.RootSet(hlc=T, doc=b'{"n":1}', created_at=1, updated_at=2), 'root = {"n":1}',
     'root = {"n":1}'),
]  # fmt: skip


@pytest.mark.parametrize(("action", "unnamed", "named"), CASES, ids=lambda v: str(v)[:24])
def test_every_action_kind_has_a_line(action: act.AnyAction, unnamed: str, named: str) -> None:
    assert describe(action, {}) == unnamed
    assert describe(action, NAMED) == named


def test_the_cases_cover_every_action_kind() -> None:
    assert {type(case[0]) for case in CASES} == set(act.AnyAction.__args__)


def test_values_are_text_escaped_or_hex_and_cut_short() -> None:
    assert show_bytes(b'"caf\xc3\xa9"') == '"café"'
    assert show_bytes(b"a\nb\x00") == "a\\nb\\x00"
    assert show_bytes(b"\xff\x00\x01") == "0xff0001"
    long_text = show_bytes(b"x" * 100)
    assert len(long_text) == 48
    assert long_text.endswith("…")
    long_hex = show_bytes(b"\xff" * 100)
    assert long_hex.startswith("0xffff")
    assert len(long_hex) <= 48
    assert show_bytes(ref("set", OTHER)) == f"set {short(OTHER)}"


def test_collection_references_are_the_sdk_json_only() -> None:
    assert collection_ref(ref("map", CID)) == ("map", CID)
    assert collection_ref(b'{"__cal":"bigint","v":"12"}') is None
    assert collection_ref(b'{"__cal":"map","id":"zz"}') is None
    assert collection_ref(b'{"__cal":"map","id":"' + b"g" * 64 + b'"}') is None
    assert collection_ref(b'"plain"') is None


def test_root_names_read_the_fields_holding_collections() -> None:
    doc = b'{"items":' + ref("map", CID) + b',"writes":' + ref("counter", OTHER) + b',"n":3}'
    assert root_names(doc) == {CID: "items", OTHER: "writes"}
    assert root_names(CID) == {}  # a hand-written app's raw root bytes
    assert root_names(b"[1,2]") == {}


def test_a_batch_names_collections_by_its_root_and_its_map_entries() -> None:
    doc = b'{"tagSets":' + ref("map", CID) + b"}"
    batch: list[act.AnyAction] = [
        act.Create(id=OTHER, kind=int(CollectionKind.SET)),
        act.MapSet(id=CID, key=b'"a"', hlc=T, value=ref("set", OTHER)),
        act.SetAdd(id=OTHER, elem=b'"x"', tag=T, retire=[]),
        act.RootSet(hlc=T, doc=doc, created_at=1, updated_at=1),
    ]
    assert batch_names(batch, {}) == {CID: "tagSets", OTHER: 'tagSets["a"]'}
    assert describe_all(batch, {}) == [
        'new set tagSets["a"]',
        f'tagSets["a"] = set {short(OTHER)}',
        'tagSets["a"] add "x"',
        "root = " + doc.decode()[:47] + "…",
    ]
    assert batch_names(batch[:3], {}) == {OTHER: f'map {short(CID)} ["a"]'}


def test_summaries_take_three_lines_and_80_characters() -> None:
    assert summarize([]) == "no actions"
    assert summarize(["a", "b", "c", "d"]) == "a; b; c"
    long = summarize(["x" * 50, "y" * 50])
    assert len(long) == 80
    assert long.endswith("…")


def sample_batch() -> list[act.AnyAction]:
    """Every kind once, Options both ways, variable-length fields of several sizes."""
    return [case[0] for case in CASES] + [
        act.SetAdd(id=OTHER, elem=b"", tag=T, retire=[T, (1, 2), (3, 4)]),
        act.MapSet(id=OTHER, key=b"k" * 300, hlc=T, value=b"v" * 70_000),
    ]


def test_the_prefix_decoder_matches_the_strict_decoder_at_every_length() -> None:
    batch = sample_batch()
    data = act.encode_actions(batch)
    for limit in range(len(batch) + 2):
        head, count = act.decode_prefix(data, limit)
        assert count == len(batch)
        assert head == batch[:limit]


def test_the_prefix_decoder_refuses_what_it_cannot_walk() -> None:
    data = act.encode_actions(sample_batch())
    with pytest.raises(DeltaRejectedError, match="ends inside"):
        act.decode_prefix(data[:40], 3)
    bad_tag = data[:5] + b"\x63" + data[6:]
    with pytest.raises(DeltaRejectedError, match="no valid action"):
        act.decode_prefix(bad_tag, 3)
    with pytest.raises(DeltaRejectedError, match="version"):
        act.decode_prefix(b"\x02" + data[1:], 3)
    with pytest.raises(DeltaRejectedError):
        act.decode_prefix(data + b"\x00", 100)  # the whole batch: strict, trailing byte
