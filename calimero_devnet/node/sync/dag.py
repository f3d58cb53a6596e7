"""Provides the causal DAG of one context: applied ids, heads, and deltas waiting for parents.

Pure and deterministic: no I/O, no clock (callers pass ``now``, unix time in ns).

A delta id is in exactly one of four places: unknown, *pending* (kept here until its
parents arrive), *applying* (handed to the caller by ``receive``, not yet confirmed) or
*applied* (confirmed by ``mark_applied``). Applying deltas count as present for their
children, so a child that arrives while its parent is being applied is released right
away, in a later ``ready`` list. The caller's contract (the I/O shell):

1. apply every ``ready`` delta in the order returned, across calls, one at a time;
2. write its state changes, the delta and ``heads_after(delta)`` in one store batch;
3. then ``mark_applied(delta)``; if the apply fails before the batch, ``abandon(delta.id)``
   and skip the ids it returns (they are fetched again later).

A crash at any point loses nothing and applies nothing twice: on startup the shell rebuilds
the DAG with ``CausalDag.restore(stored delta ids, stored heads)``; deltas that never reached
the store are unknown again and come back through heads announcements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic

from calimero_devnet.errors import StoreError
from calimero_devnet.node.sync.dag_pending import D, DagDelta, PendingDeltas

__all__ = ["CausalDag", "DagDelta", "DagStatistics", "ReceiveResult"]

SECOND = 1_000_000_000
DEFAULT_MAX_PENDING = 10_000
DEFAULT_MAX_PENDING_AGE = 300 * SECOND


@dataclass(frozen=True, slots=True)
class ReceiveResult(Generic[D]):
    """What ``CausalDag.receive`` decided.

    Attributes:
        ready: deltas to apply now, in causal order (the delta and the children it unblocked).
        missing: parent ids nobody here has: request them.
        duplicate: the delta was already known; nothing changed.
    """

    ready: tuple[D, ...] = ()
    missing: tuple[bytes, ...] = ()
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class DagStatistics:
    """Counters of one DAG, for the feed and the UI."""

    applied: int
    applying: int
    pending: int
    heads: int
    missing: int
    evicted: int
    duplicates: int


class CausalDag(Generic[D]):
    """The delta DAG of one context, with bounded storage of deltas waiting for parents."""

    def __init__(
        self,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_pending_age: int = DEFAULT_MAX_PENDING_AGE,
    ) -> None:
        """Start an empty DAG (a new context before its first delta).

        Args:
            max_pending: deltas kept waiting for parents; the oldest is evicted beyond this.
            max_pending_age: ns a delta may wait for its parents before it is evicted.
        """
        self._applied: set[bytes] = set()
        self._heads: set[bytes] = set()
        self._applying: dict[bytes, D] = {}  # insertion order is causal order
        self._pending: PendingDeltas[D] = PendingDeltas(max_pending, max_pending_age)
        self._duplicates = 0

    @classmethod
    def restore(
        cls,
        applied_ids: Iterable[bytes],
        heads: Iterable[bytes],
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_pending_age: int = DEFAULT_MAX_PENDING_AGE,
    ) -> CausalDag[D]:
        """Rebuild a DAG from what the store persisted (or what a snapshot carried).

        Raises:
            StoreError: a head is not among the applied ids (the store is inconsistent).
        """
        dag: CausalDag[D] = cls(max_pending=max_pending, max_pending_age=max_pending_age)
        dag._applied = set(applied_ids)
        dag._heads = set(heads)
        stray = dag._heads - dag._applied
        if stray:
            raise StoreError(
                f"{len(stray)} stored head(s) are not applied deltas (e.g. {min(stray).hex()}): "
                "the context's store is inconsistent; reset the context or rejoin from a snapshot"
            )
        return dag

    # queries
    @property
    def heads(self) -> tuple[bytes, ...]:
        """Applied deltas with no applied child, sorted."""
        return tuple(sorted(self._heads))

    def local_parents(self) -> tuple[bytes, ...]:
        """Parents for a delta written locally now: every current head."""
        return self.heads

    def heads_after(self, delta: DagDelta) -> tuple[bytes, ...]:
        """The heads once ``delta`` (whose parents are applied) is applied: persist these."""
        return tuple(sorted((self._heads - set(delta.parents)) | {delta.id}))

    def is_applied(self, delta_id: bytes) -> bool:
        """True if the delta is applied (confirmed in the store)."""
        return delta_id in self._applied

    def is_applying(self, delta_id: bytes) -> bool:
        """True if ``receive`` handed the delta out and it is not yet applied or abandoned."""
        return delta_id in self._applying

    def is_pending(self, delta_id: bytes) -> bool:
        """True if the delta waits here for parents."""
        return delta_id in self._pending

    def is_known(self, delta_id: bytes) -> bool:
        """True if the delta is applied, being applied or pending."""
        return self._present(delta_id) or delta_id in self._pending

    def missing(self) -> tuple[bytes, ...]:
        """Every unknown id that blocks a pending delta, sorted."""
        return tuple(sorted(self._pending.unknown_blockers()))

    def waiting(self) -> dict[bytes, frozenset[bytes]]:
        """Every pending delta id with the parents it still waits for, oldest first."""
        return self._pending.waiting()

    def missing_for(self, delta_id: bytes) -> tuple[bytes, ...]:
        """Unknown ids needed before ``delta_id`` can apply: itself, or its missing ancestors."""
        found: set[bytes] = set()
        seen: set[bytes] = set()
        stack = [delta_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self._pending:
                stack.extend(self._pending.blockers_of(current))
            elif not self._present(current):
                found.add(current)
        return tuple(sorted(found))

    def statistics(self) -> DagStatistics:
        """Current counters."""
        return DagStatistics(
            applied=len(self._applied),
            applying=len(self._applying),
            pending=len(self._pending),
            heads=len(self._heads),
            missing=len(self.missing()),
            evicted=self._pending.evicted,
            duplicates=self._duplicates,
        )

    # transitions
    def receive(self, delta: D, now: int) -> ReceiveResult[D]:
        """Take a verified delta from a peer; expired pending deltas are evicted first."""
        self.evict(now)
        if self.is_known(delta.id):
            self._duplicates += 1
            return ReceiveResult(duplicate=True)
        blockers = {p for p in delta.parents if not self._present(p)}
        if not blockers:
            return ReceiveResult(ready=self._release(delta))
        self._pending.add(delta, blockers, now)
        unique = dict.fromkeys(p for p in delta.parents if p in blockers)
        return ReceiveResult(missing=tuple(p for p in unique if p not in self._pending))

    def mark_applied(self, delta: DagDelta) -> None:
        """Record that ``delta`` (a ``ready`` one, or a local write) is persisted in the store.

        Raises:
            ValueError: the delta is already applied or still pending, or a parent is not
                applied (the caller broke causal order).
        """
        if delta.id in self._applied or delta.id in self._pending:
            where = "applied" if delta.id in self._applied else "pending"
            raise ValueError(f"delta {delta.id.hex()} is already {where}: apply ready ones only")
        unapplied = [p for p in delta.parents if p not in self._applied]
        if unapplied:
            raise ValueError(
                f"delta {delta.id.hex()} has unapplied parent {unapplied[0].hex()}: "
                "apply ready deltas in the order receive returned them"
            )
        self._applying.pop(delta.id, None)
        self._applied.add(delta.id)
        self._heads.difference_update(delta.parents)
        self._heads.add(delta.id)

    def abandon(self, delta_id: bytes) -> tuple[bytes, ...]:
        """Forget an applying delta whose apply failed, with every applying delta built on it.

        Pending deltas built on them wait again. Returns the forgotten ids, in causal order.
        """
        if delta_id not in self._applying:
            return ()
        doomed: dict[bytes, None] = {}
        for current_id, current in self._applying.items():
            if current_id == delta_id or any(p in doomed for p in current.parents):
                doomed[current_id] = None
        for gone in doomed:
            del self._applying[gone]
        self._pending.block_again(doomed.__contains__)
        return tuple(doomed)

    def evict(self, now: int) -> tuple[bytes, ...]:
        """Drop pending deltas that waited too long, oldest first; return their ids."""
        return self._pending.expire(now)

    # internals
    def _present(self, delta_id: bytes) -> bool:
        # Applied or being applied: enough for a child to be released after it.
        return delta_id in self._applied or delta_id in self._applying

    def _release(self, delta: D) -> tuple[D, ...]:
        # Iterative cascade: a child joins ``ready`` only once all its parents precede it.
        ready = [delta]
        index = 0
        while index < len(ready):
            current = ready[index]
            index += 1
            self._applying[current.id] = current
            ready.extend(self._pending.unblock(current.id))
        return tuple(ready)
