"""Provides the MQTT ``Transport`` of a node: topics, codec and network rules over two sessions.

A node keeps two MQTT sessions to the broker:

* the **control** session (client id ``devnet/<cluster>/<node>``) carries the retained
  status with its ``offline`` last will, the feed, and the ``ctl/net`` subscription. It is
  never cut, so a partitioned or disconnected node can still be watched and driven.
* the **data** session (``devnet/<cluster>/<node>/data``) carries deltas, heads, members
  and requests. ``ctl/net`` ``disconnected`` closes it for real until the rule is lifted.

The data session first connects once the control session has seen the retained rules (or a
short grace period passed), so a node never leaks messages across a partition at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

from calimero_devnet.errors import ConfigError, ParseError
from calimero_devnet.node.blobs.messages import BlobAnnouncement
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.inbox import Inbox
from calimero_devnet.node.bus.link import LinkState
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules, parse_net_rules, reachable
from calimero_devnet.node.bus.session import MqttSession, SessionConfig, broker_address
from calimero_devnet.node.bus.topics import Topics
from calimero_devnet.node.bus.transport import (
    Broadcast,
    BusMessage,
    BusStatistics,
    Direct,
    OnConnect,
)
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import DeltaBroadcast, HeadsAnnouncement

log = logging.getLogger(__name__)

OFFLINE = b"offline"
RULES_GRACE_S = 0.3
# Broadcast kind -> (topic suffix, QoS)
_BROADCASTS: dict[type, tuple[str, int]] = {
    DeltaBroadcast: ("delta", 1),
    HeadsAnnouncement: ("heads", 0),
    MembersUpdate: ("members", 1),
    BlobAnnouncement: ("blobs", 1),
}


class MqttTransport:
    """A node's ``Transport`` over an MQTT broker (see the module docstring)."""

    def __init__(
        self, broker_url: str, cluster_id: str, node: str, *, keepalive_s: int = 5,
        outbox_limit: int = 1000, rules_grace_s: float = RULES_GRACE_S,
    ) -> None:  # fmt: skip
        """Prepare (not connect) the sessions of ``node``; use ``open_mqtt_transport``."""
        self.node = wire.check_name(node)
        self.topics = Topics(cluster_id)
        self.rules: NetRules = HEALTHY
        self.on_connect: list[OnConnect] = []
        self.stats = BusStatistics()
        self.inbox = Inbox(node, self.stats)
        self._status: bytes | None = None
        self._grace_s = rules_grace_s
        self._rules_seen = asyncio.Event()
        self._ready = False
        self._status_topic = self.topics.node(node, "status")
        self._presence: bytes | None = None
        self._presence_topic = self.topics.node(node, "presence")
        broker, client_id = broker_address(broker_url), f"devnet/{cluster_id}/{node}"
        control = SessionConfig(
            broker, client_id, (self._status_topic, OFFLINE), keepalive_s, outbox_limit=outbox_limit
        )
        data = SessionConfig(
            broker, f"{client_id}/data", None, keepalive_s, outbox_limit=outbox_limit
        )
        self._control = MqttSession(
            control, self._on_control_message, self._on_control_connect, self.stats
        )
        self._data = MqttSession(data, self._on_data_message, self._on_data_connect, self.stats)
        self._data.set_enabled(False)
        self.connected = self._data.connected
        self.on_link: list[Callable[[LinkState], None]] = []
        self._data.on_link.append(self._on_data_link)
        self._tasks: list[asyncio.Task[None]] = []
        self._encoded: tuple[BusMessage | None, bytes] = (None, b"")

    async def start(self) -> None:
        """Start connecting both sessions in the background."""
        await self._control.subscribe(self.topics.net, 1)
        await self._data.subscribe(self.topics.node(self.node, "req"), 1)
        for name, session in (("control", self._control), ("data", self._data)):
            self._tasks.append(asyncio.create_task(session.run(), name=f"bus-{name}"))

    async def aclose(self, flush_timeout_s: float = 1.0) -> None:
        """Flush what is queued (bounded wait), publish ``offline``, and disconnect."""
        if self._data.connected.is_set():
            await self._data.wait_flushed(flush_timeout_s)
        self._control.publish_nowait(self._status_topic, OFFLINE, 1, True)
        if self._presence is not None:  # an empty retained message clears the old one
            self._control.publish_nowait(self._presence_topic, b"", 1, True)
        await self._control.wait_flushed(flush_timeout_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.inbox.close()

    async def broadcast(self, message: Broadcast) -> None:
        """Publish on ``ctx/<ctx>/delta|heads|members``."""
        kind, qos = _BROADCASTS[type(message)]
        self._data.publish_nowait(
            self.topics.context(message.context, kind), self._encode(message), qos
        )

    async def send(self, peer: str, message: Direct) -> None:
        """Publish on ``node/<peer>/req``; dropped at once across a partition."""
        if not reachable(self.rules, self.node, peer):
            self.stats.dropped_rules += 1
            log.debug("%s: %s to %s cut by a partition", self.node, type(message).__name__, peer)
            return
        topic = self.topics.node(wire.check_name(peer, "peer"), "req")
        self._data.publish_nowait(topic, self._encode(message), 1)

    async def watch_context(self, context: bytes) -> None:
        """Subscribe to every broadcast of ``context``."""
        await self._data.subscribe(self.topics.context_filter(context), 1)

    async def unwatch_context(self, context: bytes) -> None:
        """Unsubscribe from the broadcasts of ``context``."""
        await self._data.unsubscribe(self.topics.context_filter(context))

    def incoming(self) -> AsyncIterator[BusMessage]:
        """Iterate over received, filtered messages."""
        return self.inbox.messages()

    async def publish_feed(self, event: Mapping[str, Any]) -> None:
        """Publish one JSON event on ``node/<node>/feed`` (QoS0)."""
        payload = json.dumps(dict(event), separators=(",", ":")).encode()
        self._control.publish_nowait(self.topics.node(self.node, "feed"), payload, 0)

    async def publish_status(self, status: str) -> None:
        """Publish the retained ``node/<node>/status`` (re-published after reconnects)."""
        self._status = status.encode()
        self._control.publish_nowait(self._status_topic, self._status, 1, True)

    async def publish_presence(self, document: Mapping[str, Any]) -> None:
        """Publish the retained ``node/<node>/presence`` JSON (re-published after reconnects)."""
        self._presence = json.dumps(dict(document), separators=(",", ":")).encode()
        self._control.publish_nowait(self._presence_topic, self._presence, 1, True)

    def statistics(self) -> BusStatistics:
        """Return a copy of the counters (``sent`` includes the control plane)."""
        return BusStatistics(**self.stats.as_dict())

    def link(self) -> LinkState:
        """Where the data session (the one replication rides on) stands."""
        return self._data.link

    def _on_data_link(self, link: LinkState) -> None:
        for listener in list(self.on_link):
            listener(link)

    def _encode(self, message: BusMessage) -> bytes:
        # One answer sent to many (a snapshot for every joiner of a batch) is one object:
        # encode it once. Messages are frozen, so the same object has the same bytes.
        if message is self._encoded[0]:
            return self._encoded[1]
        if message.sender != self.node:
            raise ValueError(
                f"{self.node}: cannot send a message whose sender is {message.sender!r}"
            )
        self._encoded = (message, wire.encode(message))
        return self._encoded[1]

    def _on_data_message(self, topic: str, payload: bytes) -> None:
        try:
            message = wire.decode(payload)
            self._check_topic(topic, message)
        except ParseError as exc:
            self.stats.decode_errors += 1
            log.warning("%s: dropped a bad message on %s: %s", self.node, topic, exc)
            return
        self.inbox.offer(message)

    def _check_topic(self, topic: str, message: BusMessage) -> None:
        name = type(message).__name__
        if topic == self.topics.node(self.node, "req"):
            if type(message) in _BROADCASTS:
                raise ParseError(f"{name} does not belong on a request topic")
            return
        where = self.topics.parse_context(topic)
        expected = _BROADCASTS.get(type(message), ("a request topic", 0))[0]
        if where is None or where != (message.context, expected):
            raise ParseError(f"{name} of another context or kind than its topic says")

    async def _on_data_connect(self) -> None:
        self.stats.connects += 1
        await self._run_on_connect()

    async def _run_on_connect(self) -> None:
        for callback in list(self.on_connect):
            try:
                await callback()
            except Exception:
                log.exception("%s: an on_connect callback failed", self.node)

    def _on_control_message(self, topic: str, payload: bytes) -> None:
        if topic != self.topics.net:
            return
        try:
            rules = parse_net_rules(payload)
        except ConfigError as exc:
            log.warning("%s: ignoring invalid network rules: %s", self.node, exc)
            return
        previous, self.rules = self.rules, rules
        self.inbox.set_rules(rules)
        self._rules_seen.set()
        if self._ready:
            self._data.set_enabled(self.node not in rules.disconnected)
            stays = self.node not in rules.disconnected and self._data.connected.is_set()
            if rules != previous and stays:
                # Peers cut off may be back (a heal): say our heads now, not a period later.
                self._later(self._run_on_connect())

    def _later(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _on_control_connect(self) -> None:
        if self._status is not None:
            self._control.publish_nowait(
                self.topics.node(self.node, "status"), self._status, 1, True
            )
        if self._presence is not None:
            self._control.publish_nowait(self._presence_topic, self._presence, 1, True)
        if not self._ready:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._grace_s):
                    await self._rules_seen.wait()
            self._ready = True
            self._data.set_enabled(self.node not in self.rules.disconnected)


@contextlib.asynccontextmanager
async def open_mqtt_transport(
    broker_url: str, cluster_id: str, node: str, **options: Any
) -> AsyncIterator[MqttTransport]:
    """Run the MQTT transport of ``node`` for the duration of the block.

    Yields at once; ``await transport.connected.wait()`` to wait for the data session.
    ``options`` go to ``MqttTransport`` (``keepalive_s``, ``outbox_limit``, ``rules_grace_s``).
    """
    transport = MqttTransport(broker_url, cluster_id, node, **options)
    await transport.start()
    try:
        yield transport
    finally:
        await transport.aclose()
