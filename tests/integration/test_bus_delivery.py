"""The MQTT bus adapter against real brokers: delivery, garbage, status and last will."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.node.blobs.messages import BlobAnnouncement
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.mqtt import open_mqtt_transport
from calimero_devnet.node.bus.net_rules import HEALTHY
from calimero_devnet.node.bus.session import publish_net_rules, publish_retained
from calimero_devnet.node.bus.topics import Topics
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import DeltaBroadcast, FetchRequest, HeadsAnnouncement
from tests.integration.bus_helpers import (
    heads,
    new_cluster,
    next_payload,
    nothing_arrives,
    observer,
    open_nodes,
    receive,
    wait_until,
)
from tests.unit.bus_samples import CTX, OTHER_CTX, every_message, sample_delta

pytestmark = pytest.mark.integration
BROADCASTS = (DeltaBroadcast, HeadsAnnouncement, MembersUpdate, BlobAnnouncement)
REPO = Path(__file__).resolve().parents[2]


async def test_every_message_type_crosses_the_bus_in_order(broker: BrokerHandle) -> None:
    async with open_nodes(broker, new_cluster(), "a", "b") as (a, b):
        messages = every_message("a")
        for message in messages:
            if isinstance(
                message, DeltaBroadcast | HeadsAnnouncement | MembersUpdate | BlobAnnouncement
            ):
                await a.broadcast(message)
            else:
                await a.send("b", message)
        assert await receive(b, len(messages)) == messages
        assert await nothing_arrives(a)  # our own broadcasts are not echoed back
        assert b.statistics().received == len(messages)
        assert a.statistics().sent >= len(messages)


async def test_unwatched_contexts_and_other_peers_stay_silent(broker: BrokerHandle) -> None:
    async with open_nodes(broker, new_cluster(), "a", "b", "c") as (a, b, c):
        await c.unwatch_context(CTX)
        await a.broadcast(heads("a"))
        await a.broadcast(HeadsAnnouncement("a", OTHER_CTX, ()))
        await a.send("b", FetchRequest("a", CTX, (), "a"))
        assert await receive(b, 2) == [heads("a"), FetchRequest("a", CTX, (), "a")]
        assert await nothing_arrives(c)


async def test_garbage_from_a_stray_client_is_logged_and_dropped(
    broker: BrokerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = new_cluster()
    topics = Topics(cluster)
    async with open_nodes(broker, cluster, "b") as (b,), observer(broker) as stray:
        other = wire.encode(HeadsAnnouncement("x", OTHER_CTX, ()))
        delta = wire.encode(every_message("x")[0])
        await stray.publish(topics.context(CTX, "heads"), b"\x00garbage", qos=1)
        await stray.publish(topics.context(CTX, "heads"), other, qos=1)  # wrong context
        await stray.publish(topics.context(CTX, "heads"), delta, qos=1)  # wrong kind
        await stray.publish(topics.node("b", "req"), delta, qos=1)  # a broadcast as request
        await stray.publish(topics.context(CTX, "heads"), wire.encode(heads("x")), qos=1)
        assert await receive(b, 1) == [heads("x")]
        assert b.statistics().decode_errors == 4
        assert "dropped a bad message" in caplog.text


async def test_feed_is_json_and_status_is_retained_and_offline_on_close(
    broker: BrokerHandle,
) -> None:
    cluster = new_cluster()
    topics = Topics(cluster)
    async with observer(broker, topics.node("a", "feed"), topics.node("a", "status")) as watch:
        async with open_nodes(broker, cluster, "a") as (a,):
            await a.publish_feed({"type": "delta-applied", "n": 1})
            await a.publish_status("online")
            received = {(await next_payload(watch)) for _ in range(2)}
            assert received == {
                (topics.node("a", "feed"), b'{"type":"delta-applied","n":1}'),
                (topics.node("a", "status"), b"online"),
            }
        assert await next_payload(watch) == (topics.node("a", "status"), b"offline")


async def test_invalid_network_rules_are_ignored(
    broker: BrokerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = new_cluster()
    async with open_nodes(broker, cluster, "a", "b") as (a, b):
        await publish_retained(broker.url, Topics(cluster).net, b'{"partition": []}')
        await wait_until(lambda: "ignoring invalid network rules" in caplog.text)
        assert a.rules == HEALTHY
        await a.broadcast(heads("a"))
        assert await receive(b, 1) == [heads("a")]


async def test_last_will_marks_a_killed_process_offline(broker: BrokerHandle) -> None:
    cluster = new_cluster()
    status = Topics(cluster).node("child", "status")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.bus_child", broker.url, cluster, "child",
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        assert await asyncio.wait_for(child.stdout.readline(), 20) == b"ready\n"
        async with observer(broker, status) as watch:
            assert await next_payload(watch) == (status, b"online")
            child.send_signal(signal.SIGKILL)
            assert await next_payload(watch, timeout_s=3) == (status, b"offline")
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


async def test_a_transport_refuses_to_speak_for_another_node(broker: BrokerHandle) -> None:
    async with open_mqtt_transport(broker.url, new_cluster(), "a") as a:
        with pytest.raises(ValueError, match="sender is 'b'"):
            await a.broadcast(heads("b"))
        assert sample_delta().context_id == CTX


async def test_a_new_client_gets_no_retained_message_it_did_not_ask_for(
    broker: BrokerHandle,
) -> None:
    # amqtt 0.12.1 replays every retained message matching anyone's subscription on CONNECT;
    # the embedded broker patches that out.
    cluster = new_cluster()
    await publish_net_rules(broker.url, cluster, HEALTHY)
    async with open_nodes(broker, cluster, "a"), observer(broker) as stranger:
        with pytest.raises(TimeoutError):
            await next_payload(stranger, timeout_s=0.3)
