"""Provides the replication reducer of one context: take deltas, chase heads, fetch, join.

Pure: ``now`` is unix time in ns, validation is injected, results are effects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from logging import DEBUG, WARNING
from typing import Generic

from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.clock import MAX_FUTURE_NS
from calimero_devnet.node.sync.dag import (
    DEFAULT_MAX_PENDING,
    DEFAULT_MAX_PENDING_AGE,
    SECOND,
    CausalDag,
)
from calimero_devnet.node.sync.fetch import (
    DEFAULT_MAX_IDS_PER_REQUEST,
    DEFAULT_RETRY_AFTER,
    FetchPlan,
)
from calimero_devnet.node.sync.joining import Joining
from calimero_devnet.node.sync.messages import (
    ApplyDeltas,
    D,
    Effect,
    FetchRequest,
    HeadsAnnouncement,
    Log,
    Publish,
    SendFetch,
    SnapshotResponse,
)

PEERS_PER_PERIOD = 10  # heads announcements a node takes in per period before periods stretch
MAX_STRETCH = 3


def announce_period(base: int, peers: int) -> int:
    """The heads period of a context with ``peers`` recent peers (ns).

    Every node announces every period and hears every other node, so a cluster's heads
    traffic grows with the square of its size: 30 nodes at 1 s are 870 deliveries a second
    through the broker, most of an amqtt broker's core. Past ``PEERS_PER_PERIOD`` peers the
    period stretches in proportion (at most ``MAX_STRETCH`` times), which keeps what each
    node takes in at ~10 announcements a base period.
    """
    return int(base * min(MAX_STRETCH, max(1.0, peers / PEERS_PER_PERIOD)))


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """Settings of one node's replication (durations in ns)."""

    node: str  # this node's name: the ``sender`` of its messages
    reply_to: str = ""  # where peers send answers; empty means ``node``
    max_future: int = MAX_FUTURE_NS  # refuse deltas whose HLC is further ahead of our clock
    announce_every: int = 1 * SECOND
    fetch_retry_after: int = DEFAULT_RETRY_AFTER
    max_ids_per_request: int = DEFAULT_MAX_IDS_PER_REQUEST
    snapshot_timeout: int = 10 * SECOND
    max_pending: int = DEFAULT_MAX_PENDING
    max_pending_age: int = DEFAULT_MAX_PENDING_AGE

    @property
    def address(self) -> str:
        """The reply address put in this node's requests."""
        return self.reply_to or self.node


class ContextSync(Generic[D]):
    """The replication state of one context: its DAG, its fetch plan, its joining phase."""

    def __init__(
        self,
        context: bytes,
        config: SyncConfig,
        verify: Callable[[bytes, D], str | None],
        *,
        applied: Iterable[bytes] = (),
        heads: Iterable[bytes] = (),
        joining: bool = False,
    ) -> None:
        """Track ``context`` from its stored ``applied`` ids and ``heads``, or join it."""
        self.context = context
        self._config = config
        self._verify = verify
        self.dag: CausalDag[D] = self._restore(applied, heads)
        self.fetch = FetchPlan(
            retry_after=config.fetch_retry_after,
            give_up_after=config.max_pending_age,
            max_ids_per_request=config.max_ids_per_request,
        )
        self.joining: Joining[D] | None = None
        if joining:
            self.joining = Joining(
                node=config.node,
                address=config.address,
                context=context,
                timeout=config.snapshot_timeout,
                limit=config.max_pending,
            )
        self._announced_at: int | None = None
        self.announce_period = config.announce_every  # the shell stretches it (``pace``)

    def take(self, sender: str, deltas: Iterable[D], now: int) -> list[Effect[D]]:
        """Validate deltas from ``sender`` and feed them to the DAG (or keep them, joining)."""
        effects: list[Effect[D]] = []
        ready: list[D] = []
        for delta in deltas:
            problem = None if self.dag.is_known(delta.id) else self._check(delta, now)
            if problem is not None:
                effects.append(Log(WARNING, f"dropped delta from {sender}: {problem}"))
                continue
            self.fetch.got(delta.id, now)
            if self.joining is not None:
                self.joining.keep(sender, delta)
                continue
            result = self.dag.receive(delta, now)
            ready += result.ready
            # A known but pending delta: its sender has the ancestors it still waits for.
            wanted = self.dag.missing_for(delta.id) if result.duplicate else result.missing
            for parent in wanted:
                self.fetch.want(parent, sender, now)
        if ready:
            effects.append(ApplyDeltas(self.context, tuple(ready)))
        return effects

    def on_heads(self, message: HeadsAnnouncement, now: int) -> list[Effect[D]]:
        """Want every announced head we lack, or the ancestors a pending head waits for."""
        if self.joining is not None:
            self.joining.add_peer(message.sender)
            return self.joining.on_tick(now)
        for head in message.heads:
            for delta_id in self.dag.missing_for(head):
                self.fetch.want(delta_id, message.sender, now)
        return []

    def on_snapshot(self, message: SnapshotResponse, now: int) -> list[Effect[D]]:
        """Install a good snapshot, then replay the deltas kept while joining."""
        joining = self.joining
        if joining is None:
            return [Log(DEBUG, f"ignored an unrequested snapshot from {message.sender}")]
        effects, snapshot = joining.on_snapshot(message, now)
        if snapshot is None:
            return effects
        self.dag = self._restore(snapshot.applied, snapshot.heads)
        self.joining = None
        for sender, delta in joining.kept():
            effects += self.take(sender, (delta,), now)
        return effects

    def tick(self, now: int) -> list[Effect[D]]:
        """Periodic work: evict, give up stale fetches, announce heads, send due fetches."""
        if self.joining is not None:
            return self.joining.on_tick(now)
        effects = self._housekeeping(now)
        due = self._announced_at is None or now - self._announced_at >= self.announce_period
        if due:
            effects += self.announce(now)
        return effects + self.fetches(now)

    def announce(self, now: int) -> list[Effect[D]]:
        """Publish our heads (nothing while joining: we have none yet)."""
        if self.joining is not None:
            return []
        self._announced_at = now
        return [Publish(HeadsAnnouncement(self._config.node, self.context, self.dag.heads))]

    def fetches(self, now: int) -> list[Effect[D]]:
        """The fetch requests due now, at most one batch per peer and size limit."""
        node, address = self._config.node, self._config.address
        return [
            SendFetch(peer, FetchRequest(node, self.context, ids, address))
            for peer, ids in self.fetch.due(now)
        ]

    def _check(self, delta: D, now: int) -> str | None:
        reason = self._verify(self.context, delta)
        ahead = delta.hlc.time - now
        if reason is None and ahead <= self._config.max_future:
            return None  # the common case formats nothing
        where = f"delta {to_b58(delta.id)} of context {to_b58(self.context)}"
        if reason is not None:
            return f"{where} is invalid: {reason}"
        return (
            f"{where} has an HLC {ahead / SECOND:.1f} s ahead of our clock (limit "
            f"{self._config.max_future / SECOND:.0f} s): check the clocks of both nodes"
        )

    def _housekeeping(self, now: int) -> list[Effect[D]]:
        effects: list[Effect[D]] = []
        where = f"context {to_b58(self.context)}"
        evicted = self.dag.evict(now)
        if evicted:
            text = f"evicted {len(evicted)} delta(s) of {where} that waited too long for parents"
            effects.append(Log(WARNING, text))
        given_up = self.fetch.retain(lambda i: not self.dag.is_known(i), now)
        if given_up:
            text = f"gave up fetching {len(given_up)} delta(s) of {where}: no peer delivered them"
            effects.append(Log(WARNING, text))
        return effects

    def _restore(self, applied: Iterable[bytes], heads: Iterable[bytes]) -> CausalDag[D]:
        return CausalDag.restore(
            applied,
            heads,
            max_pending=self._config.max_pending,
            max_pending_age=self._config.max_pending_age,
        )
