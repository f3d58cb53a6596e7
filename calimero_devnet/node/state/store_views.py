"""Provides views over one context in the node store: its committed state, and a call's
staged node-private storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


# What the views need of ``NodeStore`` and ``StoreBatch`` (the store builds the views, so
# they name its parts structurally rather than import it).
class StateSource(Protocol):
    def state_get(self, ctx: bytes, key: bytes) -> bytes | None: ...
    def state_items(self, ctx: bytes, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]: ...


class PrivateSource(Protocol):
    def private_get(self, ctx: bytes, key: bytes) -> bytes | None: ...


class PrivateSink(Protocol):
    def put_private(self, ctx: bytes, key: bytes, value: bytes | None) -> None: ...


class ContextState:
    """Read access to one context's committed state: point reads and prefix scans."""

    def __init__(self, store: StateSource, ctx: bytes) -> None:
        """View ``ctx``'s state in ``store``."""
        self._store = store
        self._ctx = ctx

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        return self._store.state_get(self._ctx, key)

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield every ``(key, value)`` whose key starts with ``prefix``, in key order."""
        return self._store.state_items(self._ctx, prefix)


class PrivateOverlay:
    """One call's view of a context's node-private storage (``private_storage_*``).

    Reads fall through to the store; writes wait here until the call's batch, so a call
    that traps or returns Err leaves private storage as it was.
    """

    def __init__(self, store: PrivateSource, ctx: bytes) -> None:
        """View ``ctx``'s private storage in ``store``."""
        self._store = store
        self._ctx = ctx
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key`` (this call's writes first), or None."""
        if key in self.writes:
            return self.writes[key]
        return self._store.private_get(self._ctx, key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Stage ``value`` under ``key``; None removes it."""
        self.writes[key] = value

    def flush_into(self, batch: PrivateSink) -> None:
        """Add the staged writes to ``batch``."""
        for key, value in self.writes.items():
            batch.put_private(self._ctx, key, value)
