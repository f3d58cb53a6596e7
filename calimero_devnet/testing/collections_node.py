"""Provides ``SimNode``: a node's host collections without a node, for replication tests.

Each ``SimNode`` owns an in-memory store, an executor id and a counting HLC clock. ``call``
runs one session the way the node runs one JS call (overlay → one batch → delta);
``receive`` merges a peer's delta the way the node's sync does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from calimero_devnet.node.collections.base import Applied, merge_delta
from calimero_devnet.node.collections.digest import recompute_digest, visible_state
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.model import Hlc
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.collections.state import CollectionState
from calimero_devnet.testing.memory_kv import MemoryKV

T = TypeVar("T")


def executor_of(index: int) -> bytes:
    """Return a stable 32-byte executor id for simulated node ``index``."""
    return hashlib.sha256(b"sim-executor-%d" % index).digest()


class SimNode:
    """One simulated member of a context.

    Args:
        index: the node's number; its HLC node id is ``index + 1``.
        observe: advance the clock past received stamps (a real HLC does; tests may turn
            it off to model a lagging clock).
        step: how far the clock moves per stamp (a callable for random steps).
    """

    def __init__(
        self, index: int, *, observe: bool = True, step: Callable[[], int] = lambda: 1
    ) -> None:
        self.index = index
        self.kv = MemoryKV()
        self.executor = executor_of(index)
        self.node_id = index + 1
        self.time = 0
        self.observe = observe
        self._step = step

    def tick(self) -> Hlc:
        """The node's HLC source: strictly increasing per node."""
        self.time += max(1, self._step())
        return Hlc(self.time, self.node_id)

    def call(self, body: Callable[[CollectionsSession], T]) -> tuple[T, bytes | None]:
        """Run ``body`` as one call; persist its writes; return its result and delta."""
        overlay = Overlay(self.kv)
        session = CollectionsSession(overlay, self.executor, self.tick)
        result = body(session)
        self.kv.write_batch(overlay.writes)
        if session.last_stamp is not None:
            self.time = max(self.time, session.last_stamp.time)
        return result, session.call_delta()

    def read(self, body: Callable[[CollectionsSession], T]) -> T:
        """Run ``body`` as a read-only call (its writes, if any, are dropped)."""
        return body(CollectionsSession(Overlay(self.kv), self.executor, self.tick))

    def receive(self, delta: bytes, author: bytes | None = None) -> Applied:
        """Merge a peer's delta in one batch, as the node's sync would."""
        overlay = Overlay(self.kv)
        applied = merge_delta(CollectionState(overlay), delta, author)
        self.kv.write_batch(overlay.writes)
        if self.observe and applied.max_stamp is not None:
            self.time = max(self.time, applied.max_stamp.time)
        return applied

    def digest(self) -> bytes:
        """Return the convergence digest of this node's collections."""
        return recompute_digest(self.kv)

    def visible(self) -> dict[str, Any]:
        """Return what apps on this node can read."""
        return visible_state(self.kv)


def shared_pair(
    new: Callable[[CollectionsSession], bytes], *, observe: bool = True
) -> tuple[SimNode, SimNode, bytes]:
    """Return two nodes that both know one collection, created by ``new`` on the first."""
    a, b = SimNode(0, observe=observe), SimNode(1, observe=observe)
    cid, delta = a.call(new)
    if delta is None:
        raise AssertionError("creating a collection must produce a delta")
    b.receive(delta)
    return a, b, cid


def sync(nodes: list[SimNode], *deltas: bytes | None) -> None:
    """Deliver every delta to every node (authors too), then check equal digests."""
    for delta in deltas:
        if delta is None:
            raise AssertionError("sync() was given a call that produced no delta")
        for node in nodes:
            node.receive(delta)
    if len({node.digest() for node in nodes}) != 1:
        raise AssertionError("nodes that applied the same deltas have different digests")
