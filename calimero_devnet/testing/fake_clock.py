"""Provides a manual wall clock (unix ns) for deterministic tests of time-based code."""

from __future__ import annotations

# 2023-11-14T22:13:20Z: a realistic value, so code that masks low bits sees real magnitudes.
DEFAULT_START_NS = 1_700_000_000_000_000_000


class FakeClock:
    """A wall clock that only moves when told to; call it to read the time in ns."""

    def __init__(self, start_ns: int = DEFAULT_START_NS) -> None:
        """Start the clock at ``start_ns``."""
        self.ns = start_ns

    def __call__(self) -> int:
        """Return the current fake time in nanoseconds."""
        return self.ns

    def advance(self, ns: int) -> None:
        """Move the clock forward by ``ns`` nanoseconds (backwards if negative)."""
        self.ns += ns

    def set(self, ns: int) -> None:
        """Jump to ``ns`` (a wall clock may step backwards; code must cope)."""
        self.ns = ns
