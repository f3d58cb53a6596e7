"""Provides the LEB128 integers of the WebAssembly binary format (read and write)."""

from __future__ import annotations

_LOW7 = 0x7F
_MORE = 0x80
_SIGN = 0x40


def read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    """Read an unsigned LEB128 at ``pos``; return (value, position after it).

    Raises:
        IndexError: the number runs past the end of ``data``.
    """
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & _LOW7) << shift
        shift += 7
        if byte < _MORE:
            return value, pos


def uleb(value: int) -> bytes:
    """Encode a non-negative integer as unsigned LEB128."""
    out = bytearray()
    while True:
        byte, value = value & _LOW7, value >> 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | _MORE)


def sleb(value: int) -> bytes:
    """Encode an integer as signed LEB128."""
    out = bytearray()
    while True:
        byte, value = value & _LOW7, value >> 7
        if (value == 0 and not byte & _SIGN) or (value == -1 and byte & _SIGN):
            out.append(byte)
            return bytes(out)
        out.append(byte | _MORE)
