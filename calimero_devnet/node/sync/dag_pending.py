"""Provides the bounded set of deltas waiting for parents, indexed by what blocks them.

Pure: ``now`` is passed in (unix time in ns). Insertion order is arrival order, so the
oldest entry is always first: eviction by count or by age pops from the front.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class DagDelta(Protocol):
    """What the DAG reads from a delta."""

    @property
    def id(self) -> bytes:
        """The delta's content address."""
        ...

    @property
    def parents(self) -> Sequence[bytes]:
        """Ids of the heads its author had when writing it."""
        ...


D = TypeVar("D", bound=DagDelta)


@dataclass(slots=True)
class _Entry(Generic[D]):
    delta: D
    since: int
    blockers: set[bytes]  # parents neither applied nor being applied


class PendingDeltas(Generic[D]):
    """Deltas whose parents are not all present yet, at most ``limit`` of them."""

    def __init__(self, limit: int, max_age: int) -> None:
        """Keep at most ``limit`` deltas, each for less than ``max_age`` ns."""
        if limit < 1:
            raise ValueError(f"the pending limit must be at least 1, got {limit}")
        self._limit = limit
        self._max_age = max_age
        self._entries: dict[bytes, _Entry[D]] = {}
        self._waiters: dict[bytes, dict[bytes, None]] = {}  # blocker -> waiting ids, ordered
        self.evicted = 0

    def __len__(self) -> int:
        """Number of waiting deltas."""
        return len(self._entries)

    def __contains__(self, delta_id: object) -> bool:
        """True if ``delta_id`` waits here."""
        return delta_id in self._entries

    def blockers_of(self, delta_id: bytes) -> frozenset[bytes]:
        """The parents ``delta_id`` still waits for (empty if it is not here)."""
        entry = self._entries.get(delta_id)
        return frozenset() if entry is None else frozenset(entry.blockers)

    def waiting(self) -> dict[bytes, frozenset[bytes]]:
        """Every waiting delta id with the parents it still waits for, oldest first."""
        return {delta_id: frozenset(e.blockers) for delta_id, e in self._entries.items()}

    def unknown_blockers(self) -> Iterable[bytes]:
        """Blockers that are not themselves waiting here: the ids to fetch."""
        return (b for b in self._waiters if b not in self._entries)

    def add(self, delta: D, blockers: set[bytes], now: int) -> None:
        """Keep ``delta`` until ``blockers`` arrive, evicting the oldest entry when full."""
        if len(self._entries) >= self._limit:
            self._drop(next(iter(self._entries)))
        self._entries[delta.id] = _Entry(delta, now, blockers)
        for blocker in blockers:
            self._waiters.setdefault(blocker, {})[delta.id] = None

    def unblock(self, present: bytes) -> list[D]:
        """``present`` arrived: remove and return the deltas it was the last blocker of."""
        freed: list[D] = []
        for child_id in self._waiters.pop(present, {}):
            entry = self._entries[child_id]
            entry.blockers.discard(present)
            if not entry.blockers:
                del self._entries[child_id]
                freed.append(entry.delta)
        return freed

    def block_again(self, gone: Callable[[bytes], bool]) -> None:
        """Make waiting deltas wait again for every parent ``gone`` says was withdrawn."""
        for child_id, entry in self._entries.items():
            for parent in entry.delta.parents:
                if gone(parent):
                    entry.blockers.add(parent)
                    self._waiters.setdefault(parent, {})[child_id] = None

    def expire(self, now: int) -> tuple[bytes, ...]:
        """Drop entries at least ``max_age`` old, oldest first; return their ids."""
        expired: list[bytes] = []
        for delta_id, entry in self._entries.items():
            if now - entry.since < self._max_age:
                break
            expired.append(delta_id)
        for delta_id in expired:
            self._drop(delta_id)
        return tuple(expired)

    def _drop(self, delta_id: bytes) -> None:
        # Deltas waiting on the dropped one keep waiting: it is simply missing again.
        entry = self._entries.pop(delta_id)
        for blocker in entry.blockers:
            waiting = self._waiters[blocker]
            del waiting[delta_id]
            if not waiting:
                del self._waiters[blocker]
        self.evicted += 1
