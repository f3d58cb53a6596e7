"""Provides the engine's first look at a bus message, before (or instead of) the sync core.

Heads announcements update what we know of peers (and may be answered at once), fetch
requests are answered here with whole chains (``replication_serve``), snapshot requests may
admit a joiner and are held for the engine to answer at the end of its job (one snapshot
for every request of a batch), snapshots are checked for the join, and copies of deltas
that recently failed to apply are dropped (``replication_apply.Backoff``).
"""

from __future__ import annotations

from collections.abc import Callable

from calimero_devnet.node.replication.apply import Backoff
from calimero_devnet.node.replication.join import JoinFlow
from calimero_devnet.node.replication.members import Membership
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.replication.reads import StoreReads
from calimero_devnet.node.replication.serve import serve_fetch
from calimero_devnet.node.replication.status import PeerHeads
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.context import announce_period
from calimero_devnet.node.sync.dag import CausalDag
from calimero_devnet.node.sync.messages import (
    DeltaBroadcast,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    Message,
    SnapshotRequest,
    SnapshotResponse,
)
from calimero_devnet.node.sync.protocol import SyncConfig

DagOf = Callable[[bytes], CausalDag[CausalDelta] | None]


class Screen:
    """Pre-handles messages for one engine (all on the core's worker thread)."""

    def __init__(
        self,
        config: SyncConfig,
        parts: tuple[Membership, JoinFlow, StoreReads, Backoff],
        out: Outbox,
        dag_of: DagOf,
        announce: Callable[[int], None],
    ) -> None:
        """Use the engine's parts; ``dag_of`` gives a replicated context's DAG (or None)."""
        self._config = config
        self._members, self._joins, self._reads, self._backoff = parts
        self._out = out
        self._dag_of = dag_of
        self._announce = announce
        self.peers = PeerHeads()
        self._replied: dict[bytes, int] = {}  # context -> when we last answered heads
        self._snapshot_asks: dict[bytes, list[SnapshotRequest]] = {}

    def check(self, message: Message[CausalDelta], now: int) -> Message[CausalDelta] | None:
        """Return the message for the sync core (maybe trimmed), or None if handled here."""
        blocked = self._backoff.blocked
        match message:
            case HeadsAnnouncement():
                self._on_heads(message, now)
            case FetchRequest():
                self._serve(message)
                return None
            case SnapshotRequest():
                self._members.on_snapshot_request(message.context, message.sender)
                self._snapshot_asks.setdefault(message.context, []).append(message)
                return None
            case SnapshotResponse():
                return self._joins.screen(message)
            case DeltaBroadcast() if blocked(message.delta.id, now):
                return None
            case FetchResponse() if any(blocked(d.id, now) for d in message.deltas):
                kept = tuple(d for d in message.deltas if not blocked(d.id, now))
                return FetchResponse(message.sender, message.context, kept, message.not_found)
        return message

    def period(self, context: bytes, now: int) -> int:
        """The heads period of ``context`` now, stretched with its peers (``announce_period``)."""
        peers = len(self.peers.recent(context, now))
        return announce_period(self._config.announce_every, peers)

    def take_snapshot_asks(self) -> dict[bytes, list[SnapshotRequest]]:
        """The snapshot requests held since the last call, per context, in arrival order."""
        asks, self._snapshot_asks = self._snapshot_asks, {}
        return asks

    def _on_heads(self, message: HeadsAnnouncement, now: int) -> None:
        # A peer that is new or comes back after a partition probably lacks our heads: say
        # ours now rather than at the next period (at most every quarter period). One that
        # announces exactly our heads lacks nothing: thirty nodes joining at once all
        # announce the same heads, and answering each would cost every member thirty
        # announcements, each to every node. A peer heard lately whose heads we lack is
        # mostly a write still on its way to us: answered at most once a period, or under a
        # steady load every node answered every few hundred ms, each answer to every node
        # (30 nodes on amqtt: 27 announcements/s where the period asks for 10).
        context, period = message.context, self.period(message.context, now)
        dag = self._dag_of(context)
        heard = self.peers.heard_at(context, message.sender)
        self.peers.note(message, now, (lambda _: False) if dag is None else dag.is_applied)
        since = now - self._replied.get(context, 0)
        if dag is None or since < period // 4:
            return
        back = heard is not None and now - heard > 3 * period  # silent a while: partitioned
        if set(message.heads) == set(dag.heads):
            if back:  # nothing to announce, but it may have missed members admitted meanwhile
                self._replied[context] = now
                self._members.share(context)
            return
        unknown = since >= period and not all(dag.is_known(head) for head in message.heads)
        if back or heard is None or unknown:
            self._replied[context] = now
            self._announce(now)
            if back:  # it may have missed members admitted meanwhile
                self._members.share(context)

    def _serve(self, request: FetchRequest) -> None:
        if self._dag_of(request.context) is None and request.context not in self._joins.joining:
            return  # not our context
        has = self.peers.has(request.context, request.sender)
        answer = serve_fetch(
            self._config.node, request, self._reads.lookup, has,
            max_ids=self._config.max_ids_per_request,
        )  # fmt: skip
        self._out.send(request.reply_to, answer)
