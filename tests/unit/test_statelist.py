"""The readable names and values of state keys in ``devnet why``'s state listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from calimero_devnet.ids import sha256
from calimero_devnet.node.collections.digest import DIGEST_KEY
from calimero_devnet.node.collections.layout import ROOT_KEY, LwwRecord, entry_key, header_key
from calimero_devnet.node.collections.model import CollectionKind
from calimero_devnet.node.state.statelist import key_label, list_state, value_preview

if TYPE_CHECKING:
    from calimero_devnet.node.state.store import NodeStore

CID = b"\x05" * 32


def test_collection_keys_are_named_after_their_field_or_short_id() -> None:
    assert key_label(entry_key(CID, b"colour"), {CID: "items"}) == "items[colour]"
    assert key_label(header_key(CID), {CID: "items"}) == "items (header)"
    assert key_label(entry_key(CID, b"k"), {}).endswith("…[k]")
    assert key_label(ROOT_KEY, {}) == "root document"
    assert key_label(DIGEST_KEY, {}) == "state digest"
    assert key_label(b"plain-key", {}) == "plain-key"
    assert key_label(b"\xff\x00", {}) == "0xff00"


def test_a_map_entry_shows_its_record_value_and_other_values_their_bytes() -> None:
    record = LwwRecord(hlc=(1, 2), value=b'"blue"').to_borsh()
    assert value_preview(entry_key(CID, b"colour"), record) == '"blue"'
    removed = LwwRecord(hlc=(1, 2), value=None).to_borsh()
    assert value_preview(entry_key(CID, b"colour"), removed) == "(removed)"
    assert value_preview(entry_key(CID, b"n"), b"\xff\x00") == "0xff00"  # not a record
    assert value_preview(b"k", b"x" * 100).endswith("…")


def test_counter_and_vector_entries_show_their_count_and_value() -> None:
    count = (3).to_bytes(8, "little")
    assert value_preview(entry_key(CID, b"\x01" * 32), count, CollectionKind.COUNTER) == "3"
    element = b"\x01" + (4).to_bytes(4, "little") + b'"x1"'
    assert value_preview(entry_key(CID, b"\x00" * 24), element, CollectionKind.VECTOR) == '"x1"'
    assert value_preview(entry_key(CID, b"\x00" * 24), b"\x00", CollectionKind.VECTOR) == (
        "(removed)"
    )
    assert value_preview(entry_key(CID, b"e"), b"\xff", CollectionKind.SET) == "0xff"


def test_a_register_slot_is_named_by_its_field_alone() -> None:
    assert key_label(entry_key(CID, b""), {CID: "writer"}) == "writer"


class FakeStore:
    """Just the state scan ``list_state`` reads."""

    def __init__(self, items: list[tuple[bytes, bytes]]) -> None:
        self.items = items

    def state_items(self, ctx: bytes) -> Iterator[tuple[bytes, bytes]]:
        return iter(sorted(self.items))


def test_the_listing_reads_each_entry_by_its_collection_kind_and_stops_at_the_limit() -> None:
    store = FakeStore([
        (header_key(CID), bytes([CollectionKind.COUNTER])),
        (entry_key(CID, b"\xee" * 32), (7).to_bytes(8, "little")),
        (b"plain", b"v"),
    ])  # fmt: skip
    listing = list_state(cast("NodeStore", store), b"ctx", {CID: "writes"})
    header, count, plain = listing.entries
    assert (header.label, count.preview, plain.label, plain.preview) == (
        "writes (header)", "7", "plain", "v",
    )  # fmt: skip
    assert count.label.startswith("writes[0xeeee")
    assert (plain.digest, plain.size) == (sha256(b"v"), 1)
    assert not listing.truncated
    assert list_state(cast("NodeStore", store), b"ctx", {}, limit=2).truncated
