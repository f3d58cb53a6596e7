"""Provides helpers for bus integration tests: open nodes, wait for conditions, collect messages."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable

import aiomqtt

from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.node.bus.mqtt import MqttTransport, open_mqtt_transport
from calimero_devnet.node.bus.net_rules import NetRules
from calimero_devnet.node.bus.session import publish_net_rules
from calimero_devnet.node.bus.transport import BusMessage
from calimero_devnet.node.sync.messages import HeadsAnnouncement
from tests.unit.bus_samples import CTX


def new_cluster() -> str:
    """A cluster id no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def open_nodes(
    broker: BrokerHandle, cluster: str, *names: str
) -> AsyncIterator[list[MqttTransport]]:
    """Open connected transports watching ``CTX``."""
    async with contextlib.AsyncExitStack() as stack:
        nodes = [
            await stack.enter_async_context(
                open_mqtt_transport(broker.url, cluster, name, rules_grace_s=0.05)
            )
            for name in names
        ]
        for node in nodes:
            await node.watch_context(CTX)
            await asyncio.wait_for(node.connected.wait(), 5)
        yield nodes


async def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def apply_rules(
    broker: BrokerHandle, cluster: str, rules: NetRules, *nodes: MqttTransport
) -> None:
    """Publish ``rules`` and wait until every node applied them."""
    await publish_net_rules(broker.url, cluster, rules)
    await wait_until(lambda: all(node.rules == rules for node in nodes))


async def receive(node: MqttTransport, count: int, timeout_s: float = 5.0) -> list[BusMessage]:
    """The next ``count`` messages of ``node``."""
    iterator = node.incoming()
    async with asyncio.timeout(timeout_s):
        return [await anext(iterator) for _ in range(count)]


async def nothing_arrives(node: MqttTransport, within_s: float = 0.3) -> bool:
    """True if ``node`` receives nothing for ``within_s`` seconds."""
    try:
        async with asyncio.timeout(within_s):
            await anext(node.incoming())
    except TimeoutError:
        return True
    return False


def heads(sender: str, n: int = 0) -> HeadsAnnouncement:
    """A small, recognisable broadcast."""
    return HeadsAnnouncement(sender, CTX, (bytes([n]) * 32,))


@contextlib.asynccontextmanager
async def observer(broker: BrokerHandle, *topics: str) -> AsyncIterator[aiomqtt.Client]:
    """A raw MQTT client subscribed to ``topics`` (what the manager or a stranger sees)."""
    async with aiomqtt.Client(broker.host, broker.port) as client:
        for topic in topics:
            await client.subscribe(topic, 1)
        yield client


async def next_payload(client: aiomqtt.Client, timeout_s: float = 5.0) -> tuple[str, bytes]:
    """The next (topic, payload) the raw client receives."""
    async with asyncio.timeout(timeout_s):
        message = await anext(client.messages)
    assert isinstance(message.payload, bytes)
    return message.topic.value, message.payload
