"""Provides what a node knows about its peers' heads, and the sync status of a context.

A peer is *recent* if it announced heads within ``RECENT``; a context is *caught up* since a
moment when every recent peer has announced again since then and this node has applied
every head those announcements named, with nothing pending or being applied. A peer that
is partitioned away stops being recent, so it does not hold a sync request hostage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.sync.dag import SECOND, CausalDag
from calimero_devnet.node.sync.messages import HeadsAnnouncement

RECENT = 10 * SECOND


class PeerHeads:
    """The latest heads each peer announced, per context, and when they arrived."""

    def __init__(self) -> None:
        """Start knowing nobody."""
        self._seen: dict[bytes, dict[str, tuple[tuple[bytes, ...], int]]] = {}
        self._has: dict[tuple[bytes, str], frozenset[bytes]] = {}

    def note(self, message: HeadsAnnouncement, now: int, applied: Callable[[bytes], bool]) -> None:
        """Remember an announcement received at ``now``; ``applied`` tells our own deltas."""
        self._seen.setdefault(message.context, {})[message.sender] = (message.heads, now)
        shared = frozenset(h for h in message.heads if applied(h))
        if shared:  # heads we also have: the peer has them and all their ancestors
            self._has[message.context, message.sender] = shared

    def heard_at(self, context: bytes, peer: str) -> int | None:
        """When ``peer`` last announced heads of ``context`` (None: never)."""
        seen = self._seen.get(context, {}).get(peer)
        return None if seen is None else seen[1]

    def has(self, context: bytes, peer: str) -> frozenset[bytes]:
        """Deltas ``peer`` is known to have (with their ancestors): its last shared heads."""
        return self._has.get((context, peer), frozenset())

    def recent(self, context: bytes, now: int) -> dict[str, tuple[tuple[bytes, ...], int]]:
        """Peers of ``context`` heard within ``RECENT``: name → (heads, received at)."""
        peers = self._seen.get(context, {})
        return {name: seen for name, seen in peers.items() if now - seen[1] < RECENT}


def context_status(
    context: bytes,
    *,
    record: ContextRecord | None,
    dag: CausalDag[CausalDelta] | None,
    peers: PeerHeads,
    now: int,
    since: int,
) -> dict[str, Any]:
    """The JSON sync status of one context (``dag`` None: joining or not replicated).

    ``caughtUp`` is judged against announcements received at or after ``since`` (ns).
    """
    stats = None if dag is None else dag.statistics()
    recent = peers.recent(context, now)
    peer_view: dict[str, Any] = {}
    caught_up = record is not None and stats is not None
    caught_up = caught_up and stats is not None and stats.pending == stats.applying == 0
    for name, (heads, at) in sorted(recent.items()):
        behind = dag is None or not all(dag.is_applied(h) for h in heads)
        peer_view[name] = {
            "heads": [to_b58(h) for h in heads],
            "ageMs": (now - at) // 1_000_000,
            "behind": behind,
        }
        caught_up = caught_up and not behind and at >= since
    return {
        "contextId": to_b58(context),
        "joining": record is None,
        "heads": [] if record is None else [to_b58(h) for h in record.heads],
        "rootHash": None
        if record is None or record.root_hash is None
        else to_b58(record.root_hash),
        "members": [] if record is None else [to_b58(m) for m in record.members],
        "pending": 0 if stats is None else stats.pending,
        "applying": 0 if stats is None else stats.applying,
        "missing": 0 if stats is None else stats.missing,
        "peers": peer_view,
        "caughtUp": caught_up,
    }
