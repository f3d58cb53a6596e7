"""Provides strict Borsh reading and writing of the node's flat records, by hand.

pyborsh decodes through pydantic (~13 µs a record) and every delta a node applies reads and
writes several records: the host actions it carries, the LWW slots they join, the context
record. ``RecordCodec`` reads and writes the same bytes as pyborsh for a model whose fields
are listed by Borsh kind, and refuses what pyborsh refuses (short data, trailing bytes, bad
``Option``/``bool`` tags, invalid UTF-8, lengths beyond the data);
``tests/node/test_borsh_codec.py`` checks each codec against its pyborsh model on random
values and random edits of their bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HLC = struct.Struct("<QQQ")  # time, then the u128 node id as low and high halves
_LOW64 = (1 << 64) - 1


class ReadError(ValueError):
    """The bytes are not the record they should be; the text says where and why."""


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

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        value: int = _U32.unpack(self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = _U64.unpack(self.take(8))[0]
        return value

    def hlc(self) -> tuple[int, int]:
        time, low, high = _HLC.unpack(self.take(_HLC.size))
        return time, low | high << 64

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


def _hlc_bytes(stamp: tuple[int, int]) -> bytes:
    time, node = stamp
    return _HLC.pack(time, node & _LOW64, node >> 64)


def _vec(items: list[bytes]) -> bytes:
    return _U32.pack(len(items)) + b"".join(items)


def _blob(data: bytes) -> bytes:
    return _U32.pack(len(data)) + data


def _id(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError(f"an id must be 32 bytes, got {len(value)}")
    return value


def _option(write: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    return lambda value: b"\x00" if value is None else b"\x01" + write(value)


def _read_option(read: Callable[[Reader, str], Any]) -> Callable[[Reader, str], Any]:
    return lambda r, what: read(r, what) if r.tag(2, f"Option ({what})") else None


_READ: dict[str, Callable[[Reader, str], Any]] = {
    "id": lambda r, _: r.take(32),
    "u8": lambda r, _: r.u8(),
    "u64": lambda r, _: r.u64(),
    "bool": lambda r, what: r.tag(2, f"bool ({what})") == 1,
    "bytes": lambda r, what: r.blob(what),
    "hlc": lambda r, _: r.hlc(),
    "ids": lambda r, what: [r.take(32) for _ in range(r.count(32, what))],
    "hlcs": lambda r, what: [r.hlc() for _ in range(r.count(_HLC.size, what))],
}
_READ |= {"opt_bytes": _read_option(_READ["bytes"]), "opt_id": _read_option(_READ["id"])}

_WRITE: dict[str, Callable[[Any], bytes]] = {
    "id": _id,
    "u8": lambda value: bytes((value,)),
    "u64": _U64.pack,
    "bool": lambda value: b"\x01" if value else b"\x00",
    "bytes": _blob,
    "hlc": _hlc_bytes,
    "ids": lambda items: _vec([_id(item) for item in items]),
    "hlcs": lambda items: _vec([_hlc_bytes(item) for item in items]),
}
_WRITE |= {"opt_bytes": _option(_blob), "opt_id": _option(_id)}


class RecordCodec(Generic[M]):
    """Reads and writes ``model`` as the Borsh struct of ``fields`` (name, kind), in order.

    Kinds: ``id`` ([u8; 32]), ``u8``, ``u64``, ``bool``, ``bytes``, ``hlc``
    ((u64, u128)), ``ids``/``hlcs`` (Vecs of those) and ``opt_bytes``/``opt_id``.
    """

    def __init__(self, model: type[M], fields: tuple[tuple[str, str], ...]) -> None:
        self.model = model
        self.names = tuple(name for name, _ in fields)
        self._reads = tuple((name, _READ[kind]) for name, kind in fields)
        self._writes = tuple((name, _WRITE[kind]) for name, kind in fields)

    def read(self, r: Reader) -> M:
        """Read one record off ``r`` (a part of a larger value)."""
        values = {name: read(r, name) for name, read in self._reads}
        return self.model.model_construct(**values)

    def decode(self, data: bytes) -> M:
        """Decode exactly one record from ``data``.

        Raises:
            ReadError: the bytes are not exactly one record.
        """
        r = Reader(data)
        record = self.read(r)
        r.end()
        return record

    def encode(self, record: M) -> bytes:
        """Return the Borsh bytes of ``record``.

        Raises:
            ValueError: a field does not fit its kind (e.g. an id that is not 32 bytes).
        """
        try:
            return b"".join([write(getattr(record, name)) for name, write in self._writes])
        except (struct.error, OverflowError) as exc:
            raise ValueError(f"{self.model.__name__} does not fit its Borsh layout: {exc}") from exc
