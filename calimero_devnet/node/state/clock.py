"""Provides the node's ``time_now`` source and the hybrid logical clock of its deltas.

A timestamp is unix time in nanoseconds whose low ``INDEX_BITS`` bits are replaced by the
node's index (0..1023), so two nodes of one devnet never hand out the same value (HOST-ABI
§4: equal timestamps on concurrent writes diverge forever). Per node the values strictly
increase, and ``observe`` (a Lamport bump) makes the next value greater than anything the
node has seen from its peers. The HLC time of a delta is such a timestamp: strict increase
plays the role of the HLC's logical counter, and its node id is the author's public key.

The clock is not thread-safe: the node core drives it from its one worker thread.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

INDEX_BITS = 10
MAX_INDEX = (1 << INDEX_BITS) - 1
MAX_U64 = (1 << 64) - 1
# A peer's timestamp further ahead of our wall clock than this is refused (SYNC.md).
MAX_FUTURE_NS = 5_000_000_000

WallClock = Callable[[], int]


@dataclass(frozen=True, order=True, slots=True)
class Hlc:
    """A hybrid-logical-clock stamp: a ``time_now`` value plus the author's 128-bit id."""

    time: int
    node: int


def index_from_public_key(public_key: bytes) -> int:
    """Derive a node index from its public key (collisions are possible: prefer assigning)."""
    return int.from_bytes(hashlib.sha256(public_key).digest()[:2], "little") & MAX_INDEX


def hlc_node_id(public_key: bytes) -> int:
    """Return the 128-bit HLC node id of a public key (its first 16 bytes, little-endian)."""
    return int.from_bytes(public_key[:16], "little")


class NodeClock:
    """Issues unique, strictly increasing nanosecond timestamps for one node."""

    def __init__(
        self, index: int, *, public_key: bytes, wall_clock: WallClock = time.time_ns, last: int = 0
    ) -> None:
        """Start the clock.

        Args:
            index: the node's index in the devnet, 0..1023, unique per node.
            public_key: the node's identity, used as the HLC node id.
            wall_clock: returns unix time in ns; tests pass a fake.
            last: the last value issued or observed before a restart (never go back).
        """
        if not 0 <= index <= MAX_INDEX:
            raise ValueError(f"node index must be 0..{MAX_INDEX}, got {index}")
        self.index = index
        self.node_id = hlc_node_id(public_key)
        self._wall = wall_clock
        self._last = last

    @property
    def last(self) -> int:
        """The largest value issued or observed so far; persist it with each commit."""
        return self._last

    def now(self) -> int:
        """Return a fresh timestamp: greater than every earlier one, ending in our index."""
        candidate = (self._wall() & ~MAX_INDEX) | self.index
        if candidate <= self._last:
            candidate = (((self._last >> INDEX_BITS) + 1) << INDEX_BITS) | self.index
        if candidate > MAX_U64:
            raise OverflowError("time_now ran past u64: a peer sent an absurd timestamp")
        self._last = candidate
        return candidate

    def hlc(self) -> Hlc:
        """Return a fresh HLC stamp for a delta authored now."""
        return Hlc(self.now(), self.node_id)

    def observe(self, timestamp: int) -> None:
        """Lamport bump: make the next ``now()`` greater than ``timestamp``."""
        self._last = max(self._last, timestamp)
