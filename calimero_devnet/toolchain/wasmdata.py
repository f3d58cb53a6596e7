"""Provides merge_data_segments: fewer, larger active data segments in a wasm module.

wizer writes one data segment per run of non-zero bytes of the snapshotted memory; a
QuickJS heap gives thousands of small ones, each paying ~7 bytes of header. Joining the
segments separated by short gaps (filled with the zeros the memory holds there) shrinks
the module without changing its initial memory.
"""

from __future__ import annotations

from calimero_devnet.leb128 import read_uleb, sleb, uleb

_DATA = 11
_DATA_COUNT = 12
#: A gap up to this many zero bytes is cheaper to store than a new segment's header.
MAX_GAP = 8


def _segments(body: bytes) -> list[tuple[int, bytes]] | None:
    """Return ``(offset, bytes)`` of each segment, or None unless all are active segments of
    memory 0 at an ``i32.const`` offset (then the section is left as it is)."""
    count, pos = read_uleb(body, 0)
    segments = []
    for _ in range(count):
        flag, pos = read_uleb(body, pos)
        if flag != 0 or body[pos] != 0x41:
            return None
        offset, pos = read_uleb(body, pos + 1)  # offsets are below 2 GiB: the sign bit is clear
        if offset & (1 << 31) or body[pos] != 0x0B:
            return None
        length, pos = read_uleb(body, pos + 1)
        segments.append((offset, body[pos : pos + length]))
        pos += length
    return segments


def _merged(segments: list[tuple[int, bytes]], max_gap: int) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytearray]] = []
    for offset, data in sorted(segments):
        if out:
            start, buf = out[-1]
            gap = offset - (start + len(buf))
            if 0 <= gap <= max_gap:
                buf += bytes(gap) + data
                continue
        out.append((offset, bytearray(data)))
    return [(offset, bytes(buf)) for offset, buf in out]


def merge_data_segments(wasm: bytes, max_gap: int = MAX_GAP) -> bytes:
    """Return ``wasm`` with active data segments less than ``max_gap`` bytes apart joined
    (``wasm`` itself if it has passive segments or a data count section)."""
    pos, out = 8, bytearray(wasm[:8])
    sections = []
    while pos < len(wasm):
        section_id = wasm[pos]
        size, start = read_uleb(wasm, pos + 1)
        sections.append((section_id, wasm[pos : start + size], wasm[start : start + size]))
        pos = start + size
    if any(sid == _DATA_COUNT for sid, _, _ in sections):
        return wasm
    for section_id, raw, body in sections:
        segments = _segments(body) if section_id == _DATA else None
        if segments is None:
            out += raw
            continue
        merged = _merged(segments, max_gap)
        new = bytearray(uleb(len(merged)))
        for offset, data in merged:
            new += b"\x00\x41" + sleb(offset) + b"\x0b" + uleb(len(data)) + data
        out += bytes([_DATA]) + uleb(len(new)) + new
    return bytes(out)
