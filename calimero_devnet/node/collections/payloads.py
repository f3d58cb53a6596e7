"""Provides the byte formats the collection imports hand to the guest (HOST-ABI §6).

- iteration (``*_iter``): ``u32 count`` then, per item, ``u32 len ‖ bytes``; a map item is
  its key then its value (two length-prefixed fields);
- lengths and counter values: ``u64`` LE (8 bytes);
- LWW timestamps: 24 bytes, ``u64`` HLC time LE ‖ ``u128`` HLC node id LE.

The decoders are the guest's side of the format, for tests and tools.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from calimero_devnet.node.collections.model import U32_MAX, U64_MAX, CollectionError, Hlc

_U32 = struct.Struct("<I")


def encode_u64(value: int, what: str = "value") -> bytes:
    """Return ``value`` as 8 bytes LE, or raise if it does not fit a u64."""
    if not 0 <= value <= U64_MAX:
        raise CollectionError(f"{what} {value} does not fit in a u64")
    return struct.pack("<Q", value)


def decode_u64(raw: bytes) -> int:
    """Invert :func:`encode_u64` (exactly 8 bytes)."""
    if len(raw) != 8:
        raise CollectionError(f"a u64 is 8 bytes, got {len(raw)}")
    return int(struct.unpack("<Q", raw)[0])


def encode_timestamp(stamp: Hlc) -> bytes:
    """Return the 24-byte LWW timestamp of ``stamp``."""
    return stamp.to_bytes()


def encode_items(items: Iterable[bytes]) -> bytes:
    """Return ``u32 count`` then each item as ``u32 len ‖ bytes`` (sets)."""
    parts: list[bytes] = []
    for item in items:
        parts.append(_prefixed(item))
    return _count(len(parts)) + b"".join(parts)


def encode_pairs(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Return ``u32 count`` then each pair as ``u32 len ‖ key ‖ u32 len ‖ value`` (maps)."""
    parts: list[bytes] = []
    for key, value in pairs:
        parts.append(_prefixed(key) + _prefixed(value))
    return _count(len(parts)) + b"".join(parts)


def decode_items(payload: bytes) -> list[bytes]:
    """Parse an :func:`encode_items` payload strictly."""
    return _decode(payload, per_item=1)[1]


def decode_pairs(payload: bytes) -> list[tuple[bytes, bytes]]:
    """Parse an :func:`encode_pairs` payload strictly."""
    _, fields = _decode(payload, per_item=2)
    return list(zip(fields[::2], fields[1::2], strict=True))


def _decode(payload: bytes, per_item: int) -> tuple[int, list[bytes]]:
    if len(payload) < 4:
        raise CollectionError(f"iteration payload of {len(payload)} bytes has no u32 count")
    (count,) = _U32.unpack_from(payload)
    fields: list[bytes] = []
    offset = 4
    for _ in range(count * per_item):
        if offset + 4 > len(payload):
            raise CollectionError(f"iteration payload ends inside a length at byte {offset}")
        (size,) = _U32.unpack_from(payload, offset)
        offset += 4
        if offset + size > len(payload):
            raise CollectionError(f"iteration payload ends inside an item at byte {offset}")
        fields.append(payload[offset : offset + size])
        offset += size
    if offset != len(payload):
        raise CollectionError(f"iteration payload has {len(payload) - offset} trailing bytes")
    return count, fields


def _count(count: int) -> bytes:
    if count > U32_MAX:
        raise CollectionError(f"{count} items do not fit an iteration payload (u32 count)")
    return _U32.pack(count)


def _prefixed(item: bytes) -> bytes:
    if len(item) > U32_MAX:
        raise CollectionError(f"an item of {len(item)} bytes does not fit a u32 length")
    return _U32.pack(len(item)) + item
