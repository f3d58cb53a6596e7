"""Provides an in-memory bus: ``Transport``s for unit tests, with the MQTT adapter's rules.

One ``MemoryNetwork`` plays the broker. Messages go through the wire codec (so what a test
sends must fit the wire) and through each receiver's ``Inbox``, so partitions, latency, loss
and echo filtering behave as on MQTT. ``set_rules`` plays the retained ``ctl/net`` topic,
including ``disconnected``: that node's transport goes offline (sends wait in a bounded
queue, nothing is received, a broker with a clean session forgets it) and reconnects, running
its ``on_connect`` callbacks, when the rule is lifted.

Example::

    network = MemoryNetwork()
    a, b = network.attach("a"), network.attach("b")
    await b.watch_context(ctx)
    await a.broadcast(HeadsAnnouncement("a", ctx, ()))
    message = await anext(b.incoming())
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from calimero_devnet.errors import ParseError
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.inbox import Inbox
from calimero_devnet.node.bus.link import LinkState, connected, connecting, now_ms
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules, reachable
from calimero_devnet.node.bus.transport import (
    Broadcast,
    BusMessage,
    BusStatistics,
    Direct,
    OnConnect,
)

OFFLINE = "offline"


class MemoryNetwork:
    """The shared medium of a set of ``MemoryTransport``s."""

    def __init__(self, *, outbox_limit: int = 1000) -> None:
        """Create an empty network; each transport queues ``outbox_limit`` sends offline."""
        self.rules = HEALTHY
        self.transports: dict[str, MemoryTransport] = {}
        self.status: dict[str, str] = {}
        self.presence: dict[str, dict[str, Any]] = {}
        self.feed: list[tuple[str, dict[str, Any]]] = []
        self._outbox_limit = outbox_limit

    def attach(self, node: str) -> MemoryTransport:
        """Create and connect (on the next loop turn) the transport of ``node``."""
        if node in self.transports:
            raise ValueError(f"node {node!r} is already attached to this memory network")
        transport = MemoryTransport(self, wire.check_name(node), self._outbox_limit)
        self.transports[node] = transport
        transport.inbox.set_rules(self.rules)
        if node not in self.rules.disconnected:
            transport.schedule_connect()
        return transport

    async def set_rules(self, rules: NetRules) -> None:
        """Apply new network rules, as the retained ``ctl/net`` topic does."""
        self.rules = rules
        for name, transport in self.transports.items():
            transport.inbox.set_rules(rules)
            if name in rules.disconnected:
                transport.disconnect()
            elif not transport.connected.is_set():
                await transport.connect()

    def crash(self, node: str) -> None:
        """Drop ``node`` as a killed process would: the last will marks it offline."""
        transport = self.transports.pop(node)
        transport.disconnect()
        transport.inbox.close()
        self.status[node] = OFFLINE

    def route(self, sender: str, payload: bytes, to: str | None, context: bytes | None) -> None:
        """Deliver ``payload`` to peer ``to``, or to every watcher of ``context``."""
        for name, transport in self.transports.items():
            if name == to or (to is None and context in transport.watched):
                transport.receive(payload)


class MemoryTransport:
    """One node's ``Transport`` on a ``MemoryNetwork``."""

    def __init__(self, network: MemoryNetwork, node: str, outbox_limit: int) -> None:
        """Use ``attach`` instead."""
        self.node = node
        self.connected = asyncio.Event()
        self.on_connect: list[OnConnect] = []
        self.on_link: list[Callable[[LinkState], None]] = []
        self._link = connecting(now_ms())
        self.watched: set[bytes] = set()
        self.stats = BusStatistics()
        self.inbox = Inbox(node, self.stats)
        self._network = network
        self._outbox: deque[tuple[bytes, str | None, bytes | None]] = deque()
        self._outbox_limit = outbox_limit
        self._tasks: set[asyncio.Task[None]] = set()

    async def broadcast(self, message: Broadcast) -> None:
        """Send to every watcher of the message's context."""
        self._send(wire.encode(message), None, message.context)

    async def send(self, peer: str, message: Direct) -> None:
        """Send to ``peer``; dropped at once when a partition cuts it off."""
        if not reachable(self._network.rules, self.node, peer):
            self.stats.dropped_rules += 1
            return
        self._send(wire.encode(message), peer, None)

    async def watch_context(self, context: bytes) -> None:
        """Receive the broadcasts of ``context``."""
        self.watched.add(context)

    async def unwatch_context(self, context: bytes) -> None:
        """Stop receiving the broadcasts of ``context``."""
        self.watched.discard(context)

    def incoming(self) -> AsyncIterator[BusMessage]:
        """Iterate over received messages."""
        return self.inbox.messages()

    async def publish_feed(self, event: Mapping[str, Any]) -> None:
        """Record a feed event (JSON round trip, so unserialisable events fail here too)."""
        self._network.feed.append((self.node, json.loads(json.dumps(dict(event)))))

    async def publish_status(self, status: str) -> None:
        """Record this node's retained status."""
        self._network.status[self.node] = status

    async def publish_presence(self, document: Mapping[str, Any]) -> None:
        """Record this node's retained presence document."""
        self._network.presence[self.node] = json.loads(json.dumps(dict(document)))

    def statistics(self) -> BusStatistics:
        """Return a copy of the counters."""
        return BusStatistics(**self.stats.as_dict())

    def link(self) -> LinkState:
        """Connected, or disconnected since the rule (or ``disconnect``) took it offline."""
        return self._link

    def _set_link(self, link: LinkState) -> None:
        self._link = link
        for listener in list(self.on_link):
            listener(link)

    def receive(self, payload: bytes) -> None:
        """Decode and judge one payload from the network (only while connected)."""
        if not self.connected.is_set():
            return
        try:
            message = wire.decode(payload)
        except ParseError:
            self.stats.decode_errors += 1
            return
        self.inbox.offer(message)

    def schedule_connect(self) -> None:
        """Connect on the next loop turn, so callbacks registered right after attach run."""
        task = asyncio.get_running_loop().create_task(self.connect())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def connect(self) -> None:
        """Come online: flush queued sends, then run the ``on_connect`` callbacks."""
        if self.connected.is_set() or self.node in self._network.rules.disconnected:
            return
        self.connected.set()
        self._set_link(connected(now_ms()))
        self.stats.connects += 1
        while self._outbox:
            self._network.route(self.node, *self._outbox.popleft())
            self.stats.sent += 1
        for callback in list(self.on_connect):
            await callback()

    def disconnect(self) -> None:
        """Go offline (a clean session: nothing is kept for us while away)."""
        self.connected.clear()
        self._set_link(LinkState("disconnected", now_ms(), 0, "disconnected"))

    def _send(self, payload: bytes, to: str | None, context: bytes | None) -> None:
        if self.connected.is_set():
            self._network.route(self.node, payload, to, context)
            self.stats.sent += 1
        elif len(self._outbox) < self._outbox_limit:
            self._outbox.append((payload, to, context))
        else:
            self.stats.dropped_queue += 1
