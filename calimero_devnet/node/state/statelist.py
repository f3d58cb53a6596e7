"""Provides the listing of a context's replicated state: per key, its value's hash and start.

It is what ``devnet why`` compares between nodes: equal hashes mean equal values, and the
readable start of a value shows how two nodes differ. Host-collection keys are named after
the root document's fields (``items[k]``, ``describe``); an entry shows what its record
holds, read by its collection's kind (from the header, which sorts first). At most
``MAX_ENTRIES`` keys, in key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyborsh import BorshError
from pydantic import ValidationError

from calimero_devnet.ids import sha256
from calimero_devnet.node.collections import describe
from calimero_devnet.node.collections.digest import DIGEST_KEY
from calimero_devnet.node.collections.layout import (
    ENTRY,
    HEADER,
    ROOT_KEY,
    LwwRecord,
    vector_value,
)
from calimero_devnet.node.collections.model import ID_LEN, CollectionKind

if TYPE_CHECKING:  # the HTTP layer uses this module's views without loading RocksDB
    from calimero_devnet.node.state.store import NodeStore

MAX_ENTRIES = 10_000
VALUE_CHARS = 64
COUNT_BYTES = 8  # a counter's slot: u64 LE


@dataclass(frozen=True, slots=True)
class StateEntry:
    """One key of a context's state: its readable name, size, SHA-256 and start."""

    key: bytes
    label: str
    size: int
    digest: bytes
    preview: str


@dataclass(frozen=True, slots=True)
class StateListing:
    """A context's state keys in key order; ``truncated``: more than the limit remain."""

    entries: tuple[StateEntry, ...]
    truncated: bool


def list_state(
    store: NodeStore, ctx: bytes, names: Mapping[bytes, str], limit: int = MAX_ENTRIES
) -> StateListing:
    """The first ``limit`` keys of ``ctx``'s replicated state (never its private storage)."""
    entries: list[StateEntry] = []
    kinds: dict[bytes, int] = {}  # collection id → kind; headers sort before their entries
    for key, value in store.state_items(ctx):
        if len(entries) == limit:
            return StateListing(tuple(entries), truncated=True)
        if key.startswith(HEADER) and len(key) == len(HEADER) + ID_LEN and value:
            kinds[key[len(HEADER) :]] = value[0]
        kind = kinds.get(key[len(ENTRY) : len(ENTRY) + ID_LEN]) if key.startswith(ENTRY) else None
        entry = StateEntry(key, key_label(key, names), len(value), sha256(value),
                           value_preview(key, value, kind))  # fmt: skip
        entries.append(entry)
    return StateListing(tuple(entries), truncated=False)


def key_label(key: bytes, names: Mapping[bytes, str]) -> str:
    """``items[k]`` for a collection entry (``writer`` for a register's one slot),
    ``items (header)``, ``root document``, ``state digest``, else the key's text (or hex)."""
    if key == ROOT_KEY:
        return "root document"
    if key == DIGEST_KEY:
        return "state digest"  # derived from every entry: differs whenever one does
    for prefix, shape in ((ENTRY, "{}[{}]"), (HEADER, "{} (header)")):
        if key.startswith(prefix) and len(key) >= len(prefix) + ID_LEN:
            cid, sub = key[len(prefix) : len(prefix) + ID_LEN], key[len(prefix) + ID_LEN :]
            name = names.get(cid) or describe.short_id(cid)
            if prefix == ENTRY and not sub:
                return name
            return shape.format(name, describe.show_bytes(sub, describe.KEY_CHARS))
    return describe.show_bytes(key, describe.KEY_CHARS)


def value_preview(key: bytes, value: bytes, kind: int | None = None) -> str:
    """The start of a value; a collection entry shows what its record holds: a counter its
    count, a vector element or last-writer-wins slot its value (``(removed)``)."""
    if key.startswith(ENTRY):
        try:
            held = _held(value, kind)
        except (BorshError, ValidationError, ValueError):
            held = value  # not the record its kind stores: shown as it is
        return "(removed)" if held is None else describe.show_bytes(held, VALUE_CHARS)
    return describe.show_bytes(value, VALUE_CHARS)


def _held(value: bytes, kind: int | None) -> bytes | None:
    """What a collection entry's record holds (the stored bytes for sets and frozen values).

    Raises:
        BorshError, ValidationError, ValueError: the bytes are not that kind's record.
    """
    if kind == CollectionKind.COUNTER and len(value) == COUNT_BYTES:
        return str(int.from_bytes(value, "little")).encode()
    if kind == CollectionKind.VECTOR:
        return vector_value(value)
    if kind in (CollectionKind.SET, CollectionKind.FROZEN_STORAGE):
        return value
    return LwwRecord.from_borsh(value).value  # a map, register or user slot (or unknown)
