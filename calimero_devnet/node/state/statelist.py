"""Provides the listing of a context's replicated state: per key, its value's hash and start.

It is what ``devnet why`` compares between nodes: equal hashes mean equal values, and the
readable start of a value shows how two nodes differ. Host-collection keys are named after
the root document's fields (``items[k]``, ``describe``); a map entry shows the value its
last-writer-wins record holds. At most ``MAX_ENTRIES`` keys, in key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyborsh import BorshError
from pydantic import ValidationError

from calimero_devnet.ids import sha256
from calimero_devnet.node.collections import describe
from calimero_devnet.node.collections.layout import ENTRY, HEADER, ROOT_KEY, LwwRecord
from calimero_devnet.node.collections.model import ID_LEN

if TYPE_CHECKING:  # the HTTP layer uses this module's views without loading RocksDB
    from calimero_devnet.node.state.store import NodeStore

MAX_ENTRIES = 10_000
VALUE_CHARS = 64


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
    for key, value in store.state_items(ctx):
        if len(entries) == limit:
            return StateListing(tuple(entries), truncated=True)
        entry = StateEntry(key, key_label(key, names), len(value), sha256(value),
                           value_preview(key, value))  # fmt: skip
        entries.append(entry)
    return StateListing(tuple(entries), truncated=False)


def key_label(key: bytes, names: Mapping[bytes, str]) -> str:
    """``items[k]`` for a collection entry, ``items (header)``, ``root document``, else
    the key's text (or hex)."""
    if key == ROOT_KEY:
        return "root document"
    for prefix, shape in ((ENTRY, "{}[{}]"), (HEADER, "{} (header)")):
        if key.startswith(prefix) and len(key) >= len(prefix) + ID_LEN:
            cid, sub = key[len(prefix) : len(prefix) + ID_LEN], key[len(prefix) + ID_LEN :]
            name = names.get(cid) or describe.short_id(cid)
            return shape.format(name, describe.show_bytes(sub, describe.KEY_CHARS))
    return describe.show_bytes(key, describe.KEY_CHARS)


def value_preview(key: bytes, value: bytes) -> str:
    """The start of a value; a collection entry holding a record shows the record's value."""
    if key.startswith(ENTRY):
        try:
            record = LwwRecord.from_borsh(value)
        except (BorshError, ValidationError, ValueError):
            record = None  # a set, vector or counter entry: shown as it is stored
        if record is not None:
            return (
                "(removed)"
                if record.value is None
                else describe.show_bytes(record.value, VALUE_CHARS)
            )
    return describe.show_bytes(value, VALUE_CHARS)
