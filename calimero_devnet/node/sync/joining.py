"""Provides the joining phase of a context: asking peers for a snapshot, in turn.

A joiner must not replay history (HOST-ABI §5.8): until a snapshot is installed it fetches
nothing and only keeps the deltas it hears, to apply after the snapshot.
"""

from __future__ import annotations

from logging import DEBUG, INFO, WARNING
from typing import Generic

from calimero_devnet.ids import to_b58
from calimero_devnet.node.sync.dag import SECOND
from calimero_devnet.node.sync.messages import (
    D,
    Effect,
    InstallSnapshot,
    Log,
    RequestSnapshot,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)


class Joining(Generic[D]):
    """Who to ask for a snapshot of one context, and the deltas kept meanwhile."""

    def __init__(self, *, node: str, address: str, context: bytes, timeout: int, limit: int):
        """Prepare to join ``context`` as ``node``, answering at ``address``.

        Args:
            node: this node's name.
            address: the reply address put in requests.
            context: the context being joined.
            timeout: ns to wait for a snapshot before asking the next peer.
            limit: deltas kept until the snapshot arrives; the oldest go first.
        """
        self._node = node
        self._address = address
        self._context = context
        self._timeout = timeout
        self._limit = limit
        self._peers: list[str] = []
        self._turn = 0
        self._asked: str | None = None
        self._waiting: set[str] = set()  # every peer asked that has not answered yet
        self._sent_at = 0
        self._kept: dict[bytes, tuple[str, D]] = {}

    @property
    def asked(self) -> str | None:
        """The peer whose snapshot we wait for, if any."""
        return self._asked

    @property
    def waiting_for(self) -> frozenset[str]:
        """Every peer asked for a snapshot that has not answered yet."""
        return frozenset(self._waiting)

    def add_peer(self, peer: str) -> None:
        """Note a peer that has the context."""
        if peer not in self._peers:
            self._peers.append(peer)

    def keep(self, sender: str, delta: D) -> None:
        """Keep a verified delta heard before the snapshot."""
        if delta.id not in self._kept and len(self._kept) >= self._limit:
            del self._kept[next(iter(self._kept))]
        self._kept[delta.id] = (sender, delta)

    def kept(self) -> list[tuple[str, D]]:
        """The kept deltas with their senders, in arrival order."""
        return list(self._kept.values())

    def ask(self, now: int) -> list[Effect[D]]:
        """Ask the next peer in turn (nothing if no peer is known yet)."""
        if not self._peers:
            self._asked = None
            return []
        peer = self._peers[self._turn % len(self._peers)]
        self._turn += 1
        self._asked = peer
        self._waiting.add(peer)
        self._sent_at = now
        return [RequestSnapshot(peer, SnapshotRequest(self._node, self._context, self._address))]

    def on_tick(self, now: int) -> list[Effect[D]]:
        """Ask if nobody was asked yet, or the next peer if the last one is silent."""
        if self._asked is None:
            return self.ask(now)
        if now - self._sent_at < self._timeout:
            return []
        text = (
            f"no snapshot of context {to_b58(self._context)} from {self._asked} after "
            f"{self._timeout / SECOND:.0f} s; asking the next peer"
        )
        return [Log(WARNING, text), *self.ask(now)]

    def on_snapshot(
        self, message: SnapshotResponse, now: int
    ) -> tuple[list[Effect[D]], Snapshot | None]:
        """Check an answer; return effects and the snapshot to install, if it is good.

        A late answer from a peer asked before the current one counts too: on a loaded
        machine a snapshot may take longer than the timeout, and every peer asked is
        serving one, so dropping the first to arrive would only start the wait again.
        """
        if message.sender not in self._waiting:
            return [Log(DEBUG, f"ignored an unrequested snapshot from {message.sender}")], None
        self._waiting.discard(message.sender)
        problem = self._problem(message.snapshot)
        if problem is not None or message.snapshot is None:
            if message.sender in self._peers:
                self._peers.remove(message.sender)
            text = f"cannot join context {to_b58(self._context)} from {message.sender}: {problem}"
            again = self.ask(now) if message.sender == self._asked else []
            return [Log(WARNING, text), *again], None
        snapshot = message.snapshot
        text = (
            f"joined context {to_b58(self._context)} from {message.sender}: "
            f"{len(snapshot.entries)} entries, {len(snapshot.applied)} deltas, "
            f"{len(snapshot.heads)} head(s)"
        )
        return [InstallSnapshot(snapshot), Log(INFO, text)], snapshot

    def _problem(self, snapshot: Snapshot | None) -> str | None:
        if snapshot is None:
            return "it has no state for it"
        if snapshot.context != self._context:
            return f"its snapshot is of context {to_b58(snapshot.context)}"
        if not set(snapshot.heads) <= set(snapshot.applied):
            return "its snapshot names heads that are not among its applied deltas"
        return None
