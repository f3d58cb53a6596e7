"""Provides the key layout and the stored record formats of host collections.

Every key lives under the namespace ``NS = b"jsc\\x00"`` of the context's key space::

    NS ‖ "C" ‖ id[32]          → header: u8 kind (CollectionKind)
    NS ‖ "E" ‖ id[32] ‖ sub    → one entry of collection ``id``
    NS ‖ "R"                   → the root document (RootRecord)

``sub`` and the entry's value per kind:

=============== ============================== ========================================
kind            sub                            value
=============== ============================== ========================================
map             the key bytes                  LwwRecord (value None = tombstone)
set             the element bytes              SetRecord (live and removed tags)
vector          u64 BE time ‖ u128 BE node     VectorRecord (value None = popped)
LWW register    empty                          LwwRecord
counter         executor id[32]                u64 LE count of that executor
user storage    user (executor) id[32]         LwwRecord
frozen storage  model.frozen_key(value)         the value bytes
=============== ============================== ========================================

Big-endian stamps make a prefix scan return vector elements in (HLC, node) order. Records
are canonical Borsh (tag lists sorted), so the same actions give the same bytes everywhere.
The pyborsh models define the formats; the hot paths read and write them with the
equivalent hand codecs (``LWW``, ``SET``, ``VECTOR``, ``ROOT``).
"""

from __future__ import annotations

import struct
from typing import Annotated

from pyborsh import U64, Borsh
from pydantic import BaseModel, ConfigDict

from calimero_devnet.node.borsh_codec import RecordCodec
from calimero_devnet.node.collections.actions import HlcWire
from calimero_devnet.node.collections.model import ID_LEN, Hlc

NS = b"jsc\x00"
HEADER = NS + b"C"
ENTRY = NS + b"E"
ROOT_KEY = NS + b"R"
_RECORD = ConfigDict(frozen=True, strict=True)


def header_key(cid: bytes) -> bytes:
    """Return the key of collection ``cid``'s header."""
    return HEADER + cid


def entries_prefix(cid: bytes) -> bytes:
    """Return the prefix under which every entry of collection ``cid`` lives."""
    return ENTRY + cid


def entry_key(cid: bytes, sub: bytes) -> bytes:
    """Return the key of entry ``sub`` of collection ``cid``."""
    return ENTRY + cid + sub


def sub_of(key: bytes) -> bytes:
    """Return the ``sub`` part of an entry key."""
    return key[len(ENTRY) + ID_LEN :]


def stamp_sub(stamp: tuple[int, int]) -> bytes:
    """Return the order-preserving sub-key of a vector element stamp."""
    return struct.pack(">Q", stamp[0]) + stamp[1].to_bytes(16, "big")


def sub_stamp(sub: bytes) -> Hlc:
    """Invert :func:`stamp_sub`."""
    return Hlc(struct.unpack_from(">Q", sub)[0], int.from_bytes(sub[8:], "big"))


class LwwRecord(Borsh, BaseModel):
    """A last-writer-wins slot: the winning stamp and value (None = removed/empty)."""

    model_config = _RECORD
    hlc: HlcWire
    value: bytes | None


class SetRecord(Borsh, BaseModel):
    """One OR-set element: tags still alive, and every tag ever removed (sorted)."""

    model_config = _RECORD
    live: list[HlcWire]
    removed: list[HlcWire]


class VectorRecord(Borsh, BaseModel):
    """One vector element; None once popped (tombstones drop the value)."""

    model_config = _RECORD
    value: bytes | None


def vector_value(raw: bytes) -> bytes | None:
    """The value of a stored ``VectorRecord`` (None: popped), as strictly as pyborsh reads it.

    Reading a vector reads every element, and pyborsh takes ~13 µs a record: ~0.1 s per
    call at 10,000 elements. The layout is Borsh ``Option<Vec<u8>>``: 0, or 1 + u32 + bytes.

    Raises:
        ValueError: the bytes are not exactly one such record.
    """
    if raw == b"\x00":
        return None
    if len(raw) >= 5 and raw[0] == 1 and struct.unpack_from("<I", raw, 1)[0] == len(raw) - 5:
        return raw[5:]
    raise ValueError(f"not a vector element record: {raw[:16].hex()}")


class RootRecord(Borsh, BaseModel):
    """The root document with its LWW stamp and the app's own timestamps."""

    model_config = _RECORD
    hlc: HlcWire
    doc: bytes
    created_at: Annotated[int, U64]
    updated_at: Annotated[int, U64]


LWW = RecordCodec(LwwRecord, (("hlc", "hlc"), ("value", "opt_bytes")))
SET = RecordCodec(SetRecord, (("live", "hlcs"), ("removed", "hlcs")))
VECTOR = RecordCodec(VectorRecord, (("value", "opt_bytes"),))
ROOT = RecordCodec(
    RootRecord, (("hlc", "hlc"), ("doc", "bytes"), ("created_at", "u64"), ("updated_at", "u64"))
)
