"""The readable names and values of state keys in ``devnet why``'s state listing."""

from __future__ import annotations

from calimero_devnet.node.collections.layout import ROOT_KEY, LwwRecord, entry_key, header_key
from calimero_devnet.node.state.statelist import key_label, value_preview

CID = b"\x05" * 32


def test_collection_keys_are_named_after_their_field_or_short_id() -> None:
    assert key_label(entry_key(CID, b"colour"), {CID: "items"}) == "items[colour]"
    assert key_label(header_key(CID), {CID: "items"}) == "items (header)"
    assert key_label(entry_key(CID, b"k"), {}).endswith("…[k]")
    assert key_label(ROOT_KEY, {}) == "root document"
    assert key_label(b"plain-key", {}) == "plain-key"
    assert key_label(b"\xff\x00", {}) == "0xff00"


def test_a_map_entry_shows_its_record_value_and_other_values_their_bytes() -> None:
    record = LwwRecord(hlc=(1, 2), value=b'"blue"').to_borsh()
    assert value_preview(entry_key(CID, b"colour"), record) == '"blue"'
    removed = LwwRecord(hlc=(1, 2), value=None).to_borsh()
    assert value_preview(entry_key(CID, b"colour"), removed) == "(removed)"
    assert value_preview(entry_key(CID, b"n"), b"\xff\x00") == "0xff00"  # not a record
    assert value_preview(b"k", b"x" * 100).endswith("…")
