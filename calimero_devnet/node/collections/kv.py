"""Provides the key→value seam host collections run on, and the per-call write overlay.

The node hands a call a read view of the context's committed state; the call writes into an
:class:`Overlay`, and the node persists ``overlay.writes`` in the call's one RocksDB
WriteBatch (or drops them if the call failed).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Protocol


class ReadableStore(Protocol):
    """Read access to ordered bytes keys."""

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        ...

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield every ``(key, value)`` whose key starts with ``prefix``, in key order."""
        ...


class KeyValueStore(ReadableStore, Protocol):
    """Read and write access to ordered bytes keys."""

    def put(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key``."""
        ...

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present."""
        ...


def prefix_end(prefix: bytes) -> bytes | None:
    """Return the smallest key greater than every key starting with ``prefix`` (None: no bound)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class Overlay:
    """Collects one call's writes over a read-only base; reads see the writes first.

    ``writes`` maps each touched key to its new value, or None for a deletion.
    """

    def __init__(self, base: ReadableStore) -> None:
        self.base = base
        self.writes: dict[bytes, bytes | None] = {}
        self._keys: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key`` as this call sees it."""
        if key in self.writes:
            return self.writes[key]
        return self.base.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        """Record a write of ``value`` under ``key``."""
        self._touch(key)
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        """Record a deletion of ``key``."""
        self._touch(key)
        self.writes[key] = None

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield the merged view of base and writes under ``prefix``, in key order."""
        start = bisect.bisect_left(self._keys, prefix)
        end = prefix_end(prefix)
        stop = len(self._keys) if end is None else bisect.bisect_left(self._keys, end)
        mine = [(k, self.writes[k]) for k in self._keys[start:stop]]
        yield from _merge(self.base.scan(prefix), mine)

    def _touch(self, key: bytes) -> None:
        if key not in self.writes:
            bisect.insort(self._keys, key)


def _merge(
    base: Iterator[tuple[bytes, bytes]], mine: list[tuple[bytes, bytes | None]]
) -> Iterator[tuple[bytes, bytes]]:
    """Merge two key-ordered streams; ``mine`` wins on equal keys, None hides the key."""
    index = 0
    for key, value in base:
        while index < len(mine) and mine[index][0] < key:
            yield from _present(mine[index])
            index += 1
        if index < len(mine) and mine[index][0] == key:
            yield from _present(mine[index])
            index += 1
        else:
            yield key, value
    for item in mine[index:]:
        yield from _present(item)


def _present(item: tuple[bytes, bytes | None]) -> Iterator[tuple[bytes, bytes]]:
    key, value = item
    if value is not None:
        yield key, value
