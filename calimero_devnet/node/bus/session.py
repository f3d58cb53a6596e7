"""Provides MQTT sessions that keep themselves up: the project's one ``aiomqtt`` import.

An ``MqttSession`` owns one client connection. It reconnects with capped exponential backoff
(``link.Backoff``: 0.1 s doubling to 2 s, jittered), tracks where it stands (``link``, told
to every ``on_link`` listener), resubscribes after every connect, and sends from a bounded
outbox, so publishing never blocks while the broker is away: messages wait and go out after
the reconnect, in order, or are counted as dropped when the outbox is full. A QoS1 message
whose acknowledgement was lost with the connection is sent again (at least once;
replication is idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from itertools import islice
from typing import Any

import aiomqtt

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.broker_url import PASSWORD_ENV, with_env_password
from calimero_devnet.node.bus.link import (
    Backoff,
    LinkState,
    connected,
    connecting,
    lost,
    now_ms,
    retrying,
)
from calimero_devnet.node.bus.net_rules import NetRules, rules_to_json
from calimero_devnet.node.bus.topics import BrokerAddress, Topics, parse_broker_url
from calimero_devnet.node.bus.transport import BusStatistics

log = logging.getLogger(__name__)

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # else Nagle: p99 ~20 ms, not 0.6
CUT = "cut by the network rules (devnet disconnect)"
CONNECT_GRACE_S = 2.0  # a connect cancelled halfway may finish, to be closed cleanly
WINDOW = 32  # publishes in flight at once (the broker keeps their order)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """How one session connects."""

    broker: BrokerAddress
    client_id: str
    will: tuple[str, bytes] | None = None  # retained QoS1 (topic, payload)
    keepalive_s: int = 5
    timeout_s: float = 3.0
    outbox_limit: int = 1000


class MqttSession:
    """One self-healing MQTT connection (see the module docstring)."""

    def __init__(
        self,
        config: SessionConfig,
        on_message: Callable[[str, bytes], None],
        on_connect: Callable[[], Coroutine[Any, Any, None]],
        stats: BusStatistics,
    ) -> None:
        """Deliver messages to ``on_message``; run ``on_connect`` after each connect."""
        self.config = config
        self.connected = asyncio.Event()
        self._on_message = on_message
        self._on_connect = on_connect
        self._stats = stats
        self._subscriptions: dict[str, int] = {}
        self._outbox: deque[tuple[str, bytes, int, bool]] = deque()
        self._queued = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._enabled = asyncio.Event()
        self._enabled.set()
        self._disabled = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self.link: LinkState = connecting(now_ms())
        self.on_link: list[Callable[[LinkState], None]] = []

    def publish_nowait(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> bool:
        """Queue one message; return False (and count it) if the outbox is full."""
        if len(self._outbox) >= self.config.outbox_limit:
            self._stats.dropped_queue += 1
            log.warning("%s: outbox full, dropped a message for %s", self.config.client_id, topic)
            return False
        self._outbox.append((topic, payload, qos, retain))
        self._empty.clear()
        self._queued.set()
        return True

    async def subscribe(self, topic: str, qos: int) -> None:
        """Subscribe now if connected, and after every reconnect."""
        self._subscriptions[topic] = qos
        if self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):  # redone on reconnect
                await self._client.subscribe(topic, qos)

    async def unsubscribe(self, topic: str) -> None:
        """Stop receiving ``topic``."""
        if self._subscriptions.pop(topic, None) is not None and self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.unsubscribe(topic)

    def set_enabled(self, enabled: bool) -> None:
        """Close the session (False) until enabled again; queued messages wait."""
        if enabled:
            self._disabled.clear()
            self._enabled.set()
        else:
            self._enabled.clear()
            self._disabled.set()

    async def wait_flushed(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty; return False on timeout."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._empty.wait()
        return not self._outbox

    async def run(self) -> None:
        """Connect, serve, and reconnect until cancelled."""
        backoff = Backoff()
        while True:
            await self._enabled.wait()
            try:
                async with _connection(self._client_for()) as client:
                    backoff.reset()
                    await self._serve(client)
            except aiomqtt.MqttError as exc:
                log.info("%s: broker connection lost or refused: %s", self.config.client_id, exc)
                self._set_link(lost(self.link, now_ms(), str(exc) or type(exc).__name__))
            finally:
                self._client = None
                self.connected.clear()
            if not self._enabled.is_set():
                self._set_link(LinkState("disconnected", now_ms(), 0, CUT))
                continue
            # Jitter: nodes that lost the same broker do not all knock at the same instant.
            await asyncio.sleep(backoff.next() * random.uniform(0.5, 1.0))
            self._set_link(retrying(self.link))

    def _set_link(self, link: LinkState) -> None:
        self.link = link
        for listener in list(self.on_link):
            try:
                listener(link)
            except Exception:  # a listener's bug must not stop the reconnecting
                log.exception("%s: a link listener failed", self.config.client_id)

    def _client_for(self) -> aiomqtt.Client:
        config = self.config
        will = None
        if config.will is not None:
            will = aiomqtt.Will(config.will[0], config.will[1], qos=1, retain=True)
        client = aiomqtt.Client(
            config.broker.host,
            config.broker.port,
            **login_options(config.broker),
            identifier=config.client_id,
            will=will,
            clean_session=True,
            keepalive=config.keepalive_s,
            timeout=config.timeout_s,
            max_inflight_messages=WINDOW,
            socket_options=NODELAY,
        )
        client.pending_calls_threshold = 2 * WINDOW  # our window is deliberate, not a leak
        return client

    async def _serve(self, client: aiomqtt.Client) -> None:
        # Publish the client first: a subscribe() racing with this loop then subscribes by
        # itself, while the snapshot covers every topic added before.
        self._client = client
        for topic, qos in list(self._subscriptions.items()):
            await client.subscribe(topic, qos)
        self.connected.set()
        self._set_link(connected(now_ms()))
        tasks = [
            asyncio.create_task(self._pump_out(client)),
            asyncio.create_task(self._pump_in(client)),
            asyncio.create_task(self._disabled.wait()),
            asyncio.create_task(self._on_connect()),
        ]
        try:
            # Returns when disabled (leaving the client context then disconnects cleanly),
            # raises MqttError when the connection died.
            done, _ = await asyncio.wait(tasks[:3], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump_in(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if not any(message.topic.matches(f) for f in self._subscriptions):
                # Some brokers (amqtt 0.12) replay retained messages a client never asked for.
                log.debug("%s: ignored unsubscribed %s", self.config.client_id, message.topic)
                continue
            payload = message.payload
            data = payload if isinstance(payload, bytes) else str(payload or "").encode()
            self._on_message(message.topic.value, data)

    async def _pump_out(self, client: aiomqtt.Client) -> None:
        while True:
            await self._queued.wait()
            batch = list(islice(self._outbox, WINDOW))
            if not batch:
                self._queued.clear()
                self._empty.set()
                continue
            results = await asyncio.gather(
                *(client.publish(t, p, qos=q, retain=r) for t, p, q, r in batch),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result  # the whole batch stays queued for the next connection
            for _ in batch:
                self._outbox.popleft()
            self._stats.sent += len(batch)


@contextlib.asynccontextmanager
async def _connection(client: aiomqtt.Client) -> AsyncIterator[aiomqtt.Client]:
    """``async with client``, except that a cancel while connecting still disconnects.

    aiomqtt abandons a connect cancelled before the broker's CONNACK: the session opens
    anyway, is never closed, and its end is reported later as a "Future exception was never
    retrieved" on stderr (seen when a cluster stops right after starting).
    """
    connecting = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.shield(connecting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connecting, CONNECT_GRACE_S)
            await client.__aexit__(None, None, None)
        raise
    try:
        yield client
    finally:
        await client.__aexit__(None, None, None)


async def publish_net_rules(broker_url: str, cluster_id: str, rules: NetRules) -> None:
    """Publish ``rules`` as the retained ``ctl/net`` document of ``cluster_id``."""
    await publish_retained(broker_url, Topics(cluster_id).net, rules_to_json(rules).encode())


async def publish_retained(broker_url: str, topic: str, payload: bytes) -> None:
    """Connect once, publish one retained QoS1 message, and disconnect."""
    broker = broker_address(broker_url)
    async with aiomqtt.Client(
        broker.host, broker.port, **login_options(broker), timeout=5, socket_options=NODELAY
    ) as client:
        await client.publish(topic, payload, qos=1, retain=True)


def broker_address(url: str) -> BrokerAddress:
    """Parse ``url``; a user without a password takes ``$DEVNET_BROKER_PASSWORD``."""
    return with_env_password(parse_broker_url(url), os.environ)


def login_options(broker: BrokerAddress) -> dict[str, Any]:
    """The ``aiomqtt.Client`` options of ``broker``'s login and TLS.

    Raises:
        ConfigError: the CA file cannot be read.
    """
    options: dict[str, Any] = {"username": broker.username, "password": broker.password}
    if broker.tls:
        try:
            options["tls_context"] = ssl.create_default_context(
                cafile=str(broker.ca_file) if broker.ca_file else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"CA file {broker.ca_file}: {exc}: give a PEM file") from exc
    return options


REFUSED_LOGIN = {4, 5, 134, 135}  # MQTT 3.1.1 and 5 CONNACK codes: bad login, not authorized


async def check_broker(broker: BrokerAddress, timeout_s: float = 5.0) -> None:
    """Connect once and disconnect: is the broker there, and does it take our login?

    Raises:
        ConfigError: unreachable, TLS refused or login refused, in one line naming the URL.
    """
    options = login_options(broker)
    try:
        async with aiomqtt.Client(
            broker.host, broker.port, **options, timeout=timeout_s, socket_options=NODELAY
        ):
            return
    except aiomqtt.MqttCodeError as exc:
        code = getattr(exc.rc, "value", exc.rc)
        if code in REFUSED_LOGIN:
            who = f"user {broker.username!r}" if broker.username else "an anonymous login"
            raise ConfigError(
                f"the broker at {broker.url} refused {who} ({exc}): check --username and "
                f"--password (or ${PASSWORD_ENV})"
            ) from exc
        raise ConfigError(f"the broker at {broker.url} refused the connection: {exc}") from exc
    except (aiomqtt.MqttError, OSError) as exc:
        why = str(exc) or type(exc).__name__
        raise ConfigError(
            f"cannot reach the broker at {broker.url}: {why}; is it running, and is "
            f"{broker.host}:{broker.port} reachable from here?"
        ) from exc
