"""Provides the strict reader of a delta's wire bytes (layout in ``delta.py``), by hand.

Every received delta is decoded once on the node's event loop; pyborsh's model-driven
decoder costs ~28 µs a delta, this one a third of that. It refuses what pyborsh refuses
(short data, trailing bytes, bad ``kind`` and ``Option`` tags, invalid UTF-8, lengths beyond
the data), so a byte string still decodes to at most one delta, which re-encodes to it;
``tests/node/test_delta.py`` checks it against the pyborsh model on random inputs. The bus
envelope of a delta broadcast is read with the same ``Reader`` (``bus/wire.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from calimero_devnet.node.runtime.types import Event

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HLC = struct.Struct("<QQQ")  # time, then the u128 node id as low and high halves
_MIN_EVENT = 4 + 4 + 1  # an empty kind, empty data, no handler


class ReadError(ValueError):
    """The bytes are not a delta; the text says where and why."""


@dataclass(frozen=True, slots=True)
class DeltaFields:
    """The fields of one delta as read (``kind`` still a number)."""

    id: bytes
    context_id: bytes
    author: bytes
    parents: tuple[bytes, ...]
    hlc_time: int
    hlc_node: int
    kind: int
    payload: bytes
    events: tuple[Event, ...]
    max_time_now: int
    signature: bytes


class Reader:
    """Reads Borsh values off the front of ``data``, refusing short or trailing data."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, size: int) -> bytes:
        end = self._at + size
        if end > len(self._data):
            raise ReadError(f"unexpected end of data at byte {self._at} (wanted {size} more)")
        chunk = self._data[self._at : end]
        self._at = end
        return chunk

    def u32(self) -> int:
        value: int = _U32.unpack(self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = _U64.unpack(self.take(8))[0]
        return value

    def count(self, item_size: int, what: str) -> int:
        """A Vec length, refused when its items cannot fit in what is left."""
        n = self.u32()
        left = len(self._data) - self._at
        if n * item_size > left:
            raise ReadError(f"{what} length {n} exceeds the {left} bytes left")
        return n

    def blob(self, what: str) -> bytes:
        return self.take(self.count(1, what))

    def text(self, what: str) -> str:
        raw = self.blob(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReadError(f"{what} is not valid UTF-8: {exc}") from None

    def tag(self, limit: int, what: str) -> int:
        value = self.take(1)[0]
        if value >= limit:
            raise ReadError(f"{what}: invalid discriminant {value}")
        return value

    def end(self) -> None:
        if self._at != len(self._data):
            raise ReadError(f"{len(self._data) - self._at} trailing byte(s)")


def read_delta(data: bytes, kinds: int) -> DeltaFields:
    """Read the fields of ``data``; ``kinds`` is how many ``kind`` values exist.

    Raises:
        ReadError: the bytes are not exactly one delta.
    """
    r = Reader(data)
    delta_id, context_id, author = r.take(32), r.take(32), r.take(32)
    parents = tuple(r.take(32) for _ in range(r.count(32, "parents")))
    time, low, high = _HLC.unpack(r.take(_HLC.size))
    kind = r.tag(kinds, "kind")
    payload = r.blob("payload")
    events = tuple(_event(r) for _ in range(r.count(_MIN_EVENT, "events")))
    max_time_now = r.u64()
    signature = r.take(64)
    r.end()
    return DeltaFields(
        delta_id, context_id, author, parents, time, low | high << 64, kind, payload,
        events, max_time_now, signature,
    )  # fmt: skip


def _event(r: Reader) -> Event:
    kind = r.text("event kind")
    data = r.blob("event data")
    has_handler = r.tag(2, "Option (event handler)")
    return Event(kind, data, r.text("event handler") if has_handler else None)
