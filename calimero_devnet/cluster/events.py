"""Provides the events a running cluster reports, and ``EventHub`` that fans them out.

Every event is a frozen value whose ``str()`` is the line the headless log prints; a TUI
matches on the types. Node process events come from the supervisor unchanged
(``NodeReady``, ``NodeExited``, ...); the others are defined here.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from calimero_devnet.cluster.processes.node_events import SupervisorEvent
from calimero_devnet.cluster.remotes import RemoteChanged
from calimero_devnet.cluster.status import ClusterStatus


@dataclass(frozen=True, slots=True)
class Step:
    """One step of bringing the cluster up (or down), in words."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Problem:
    """Something went wrong that the user should see, without stopping the cluster."""

    text: str

    def __str__(self) -> str:
        return f"problem: {self.text}"


@dataclass(frozen=True, slots=True)
class BuildFinished:
    """An app was built (or a ``.wasm`` was read); ``error`` is set when the build failed."""

    app: str
    seconds: float
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"build of {self.app} failed after {self.seconds:.2f} s:\n{self.error}"
        return f"built {self.app} in {self.seconds:.2f} s"


@dataclass(frozen=True, slots=True)
class NodeSwitched:
    """A rollout's progress: ``node`` runs version ``version`` of ``app``, ``done`` of
    ``total`` nodes so far."""

    app: str
    version: int
    node: str
    done: int
    total: int

    def __str__(self) -> str:
        return f"{self.app} v{self.version} on {self.node} ({self.done}/{self.total})"


@dataclass(frozen=True, slots=True)
class AppDeployed:
    """Version ``version`` of an app runs on ``nodes`` (``failed``: node → why not)."""

    app: str
    app_id: str
    version: int
    nodes: tuple[str, ...]
    failed: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = ", ".join(self.nodes) or "no node"
        text = f"{self.app} v{self.version} ({self.app_id[:8]}) runs on {where}"
        return text + "".join(f"\n  {node}: not switched: {why}" for node, why in self.failed)


@dataclass(frozen=True, slots=True)
class StateRefused:
    """Version ``version`` of ``app`` cannot read the state of ``context``: it was not switched."""

    app: str
    version: int
    context: str
    nodes: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.app} v{self.version} cannot read the state of context {self.context} on "
            f"{', '.join(self.nodes)}: {self.reason}\n  the previous version keeps serving it. "
            f"Change the code back and save, or run `devnet reset {self.context}` to start the "
            f"context afresh on v{self.version} (its state is lost)."
        )


@dataclass(frozen=True, slots=True)
class ContextReset:
    """``context`` was started afresh under a new id (``devnet reset``)."""

    context: str
    old_id: str | None
    new_id: str
    app: str
    version: int
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        old = f"{self.old_id[:8]} → " if self.old_id else ""
        return (
            f"context {self.context} reset: {old}{self.new_id[:8]}, {self.app} v{self.version}"
            f" from init, on {', '.join(self.nodes)}"
        )


@dataclass(frozen=True, slots=True)
class ClusterReady:
    """Every node runs, every app is installed, every context is created and joined."""

    seconds: float
    nodes: tuple[str, ...]
    contexts: tuple[tuple[str, str], ...]  # (name, id)

    def __str__(self) -> str:
        contexts = ", ".join(f"{name} {cid[:8]}" for name, cid in self.contexts)
        return f"cluster ready in {self.seconds:.2f} s: {len(self.nodes)} nodes; {contexts}"


@dataclass(frozen=True, slots=True)
class FeedMessage:
    """One message of a node's feed: its events (``replication_feed`` shapes), batch unpacked."""

    node: str
    events: tuple[dict[str, Any], ...]

    def __str__(self) -> str:
        names = Counter(str(event.get("event")) for event in self.events)
        return f"{self.node}: " + ", ".join(f"{count} {name}" for name, count in names.items())


@dataclass(frozen=True, slots=True)
class NodeKilled:
    """A node was SIGKILLed on request (``Cluster.kill``); its data stays."""

    name: str

    def __str__(self) -> str:
        return f"{self.name} killed (SIGKILL, as asked); its data stays: `devnet start {self.name}`"


@dataclass(frozen=True, slots=True)
class NodePresence:
    """A node's retained bus status changed (``offline`` is its last will)."""

    node: str
    status: str

    def __str__(self) -> str:
        return f"{self.node} is {self.status} on the bus"


@dataclass(frozen=True, slots=True)
class ConvergenceChanged:
    """A context converged (same heads, root, nothing pending) or stopped being converged."""

    context: str
    converged: bool
    heads: tuple[str, ...] = ()
    root: str | None = None
    nodes: tuple[str, ...] = ()
    differences: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        if self.converged:
            heads = ",".join(h[:8] for h in self.heads) or "-"
            root = (self.root or "-")[:8]
            where = f"{self.context} on {len(self.nodes)} nodes"
            return f"converged: {where}, heads {heads} root {root}"
        return f"diverged: {self.context}: " + "; ".join(self.differences)


@dataclass(frozen=True, slots=True)
class NetChanged:
    """New simulated network rules were published: ``text`` in words, ``rules`` the ``ctl/net``
    document (``node/bus/net_rules.py``), so a UI can show each node's group and link faults."""

    text: str
    rules: dict[str, Any]

    def __str__(self) -> str:
        return f"network: {self.text}"


@dataclass(frozen=True, slots=True)
class BrokerDown:
    """The broker went away. One devnet started (``managed``) is restarted on its port; an
    external one is waited for (every node and the manager reconnect when it returns)."""

    kind: str  # amqtt, mosquitto or external
    url: str
    reason: str
    managed: bool

    def __str__(self) -> str:
        then = "restarting it on the same port" if self.managed else "waiting for it to return"
        return f"broker down: {self.kind} at {self.url} {self.reason}; writes stay local, {then}"


@dataclass(frozen=True, slots=True)
class BrokerBack:
    """The broker serves again after ``down_s`` seconds (``restarted``: by the manager)."""

    kind: str
    url: str
    down_s: float
    restarted: bool

    def __str__(self) -> str:
        how = "restarted" if self.restarted else "reachable again"
        return (f"broker back: {self.kind} at {self.url} {how} after {self.down_s:.1f} s down;"
                " nodes reconnect and catch up")  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatusPolled:
    """The convergence watch polled the nodes: every node's view of every context, judged.

    For a UI's per-node heads, root and pending; the headless log leaves it out.
    """

    status: ClusterStatus

    def __str__(self) -> str:
        done = sum(self.status.converged.values())
        return f"status polled: {done} of {len(self.status.converged)} context(s) converged"


ClusterEvent = (
    SupervisorEvent | Step | Problem | BuildFinished | NodeSwitched | AppDeployed | StateRefused
    | ContextReset
    | ClusterReady | FeedMessage | NodeKilled | NodePresence | ConvergenceChanged | NetChanged
    | BrokerDown | BrokerBack | StatusPolled | RemoteChanged
)  # fmt: skip
Progress = Callable[[ClusterEvent], None]
QUEUE_LIMIT = 2_000


class Subscription:
    """One consumer's queue of events; iterate it with ``async for`` (ends on ``close``)."""

    def __init__(self, hub: EventHub) -> None:
        """Register with ``hub`` now, so no event after this call is missed."""
        self._hub = hub
        self._queue: asyncio.Queue[ClusterEvent | None] = asyncio.Queue()
        self._ended = False
        self.dropped = 0

    def put(self, event: ClusterEvent) -> None:
        """Queue ``event``; a consumer too far behind loses the oldest events (counted)."""
        if self._queue.qsize() >= QUEUE_LIMIT:
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def close(self) -> None:
        """Stop receiving; the iteration ends after what is queued."""
        self._hub.unsubscribe(self)
        self._queue.put_nowait(None)  # the end mark never costs an event its place

    def __aiter__(self) -> AsyncIterator[ClusterEvent]:
        return self._events()

    async def receive(self) -> ClusterEvent | None:
        """The next event, or None once closed.

        Unlike the iteration, it may be cancelled (``asyncio.wait_for``) without losing an
        event or ending anything: the event stays queued for the next call.
        """
        if self._ended:
            return None
        event = await self._queue.get()
        self._ended = event is None
        return event

    async def _events(self) -> AsyncIterator[ClusterEvent]:
        while (event := await self.receive()) is not None:
            yield event


class EventHub:
    """Hands every event to a callback and to every open ``Subscription``."""

    def __init__(self, progress: Progress | None = None) -> None:
        """Call ``progress`` (if any) with every event, synchronously."""
        self._progress = progress
        self._subscriptions: list[Subscription] = []

    def emit(self, event: ClusterEvent) -> None:
        """Report ``event`` to everyone listening."""
        if self._progress is not None:
            self._progress(event)
        for subscription in list(self._subscriptions):
            subscription.put(event)

    def subscribe(self) -> Subscription:
        """A new subscription, receiving every event from now on."""
        subscription = Subscription(self)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription``."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def close(self) -> None:
        """End every subscription (the cluster is gone)."""
        for subscription in list(self._subscriptions):
            subscription.close()
