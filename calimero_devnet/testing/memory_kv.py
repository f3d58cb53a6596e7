"""Provides an in-memory ordered key→value store, the test fake for the node's RocksDB."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping

from calimero_devnet.node.collections.kv import prefix_end


class MemoryKV:
    """A dict with ordered prefix scans; satisfies ``KeyValueStore``.

    Scans iterate over a copy of the matching keys, so writing during a scan is safe.
    """

    def __init__(self, items: Mapping[bytes, bytes] | None = None) -> None:
        self._data: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []
        for key, value in (items or {}).items():
            self.put(key, value)

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        return self._data.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key``."""
        if key not in self._data:
            bisect.insort(self._keys, key)
        self._data[key] = bytes(value)

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present."""
        if self._data.pop(key, None) is not None:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield every ``(key, value)`` under ``prefix`` in key order."""
        start = bisect.bisect_left(self._keys, prefix)
        end = prefix_end(prefix)
        stop = len(self._keys) if end is None else bisect.bisect_left(self._keys, end)
        for key in self._keys[start:stop]:
            yield key, self._data[key]

    def write_batch(self, writes: Mapping[bytes, bytes | None]) -> None:
        """Apply an overlay's writes at once, as the node's WriteBatch would."""
        for key, value in writes.items():
            if value is None:
                self.delete(key)
            else:
                self.put(key, value)

    def items(self) -> list[tuple[bytes, bytes]]:
        """Return every pair in key order (a snapshot, e.g. for a joining node)."""
        return [(key, self._data[key]) for key in self._keys]

    def __len__(self) -> int:
        return len(self._data)
