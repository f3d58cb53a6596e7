"""Simulated network faults and real broker trouble, against real brokers."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.node.bus.mqtt import open_mqtt_transport
from calimero_devnet.node.bus.net_rules import LinkRule, NetRules
from calimero_devnet.node.bus.session import MqttSession, SessionConfig, publish_net_rules
from calimero_devnet.node.bus.topics import Topics, parse_broker_url
from calimero_devnet.node.bus.transport import BusMessage, BusStatistics
from calimero_devnet.node.sync.messages import FetchRequest
from calimero_devnet.testing.memory_bus import MemoryNetwork
from tests.integration.bus_helpers import (
    apply_rules,
    heads,
    new_cluster,
    next_payload,
    nothing_arrives,
    observer,
    open_nodes,
    receive,
    wait_until,
)
from tests.unit.bus_samples import CTX

pytestmark = pytest.mark.integration
CUT = NetRules(partitions=(frozenset({"a", "b"}), frozenset({"c"})))
LOSSY = NetRules(links={("a", "b"): LinkRule(loss=0.5)}, seed=7)


async def test_partition_drops_across_the_cut_but_keeps_feed_and_status(
    broker: BrokerHandle,
) -> None:
    cluster = new_cluster()
    topics = Topics(cluster)
    async with open_nodes(broker, cluster, "a", "b", "c") as (a, b, c):
        await apply_rules(broker, cluster, CUT, a, b, c)
        await a.broadcast(heads("a"))
        await c.broadcast(heads("c"))
        await a.send("c", FetchRequest("a", CTX, (), "a"))
        assert await receive(b, 1) == [heads("a")]
        assert await nothing_arrives(c)
        assert await nothing_arrives(a)
        assert a.statistics().dropped_rules == 2  # the request to c, and c's heads
        async with observer(broker, topics.node("c", "feed"), topics.node("c", "status")) as w:
            await c.publish_feed({"cut": True})
            assert await next_payload(w) == (topics.node("c", "feed"), b'{"cut":true}')
            await c.publish_status("partitioned")
            assert await next_payload(w) == (topics.node("c", "status"), b"partitioned")
        await apply_rules(broker, cluster, NetRules(), a, b, c)
        await c.broadcast(heads("c", 1))
        assert await receive(a, 1) == [heads("c", 1)]


async def test_a_late_joiner_obeys_the_retained_rules_from_its_first_message(
    broker: BrokerHandle,
) -> None:
    cluster = new_cluster()
    await publish_net_rules(broker.url, cluster, CUT)
    async with open_nodes(broker, cluster, "a", "c") as (a, c):
        assert c.rules == CUT
        await c.broadcast(heads("c"))
        assert await nothing_arrives(a)


async def test_latency_rule_delays_one_direction(broker: BrokerHandle) -> None:
    cluster = new_cluster()
    async with open_nodes(broker, cluster, "a", "b") as (a, b):
        slow = NetRules(links={("a", "b"): LinkRule(latency_ms=150)})
        await apply_rules(broker, cluster, slow, a, b)
        started = time.monotonic()
        await a.broadcast(heads("a"))
        assert await receive(b, 1) == [heads("a")]
        assert time.monotonic() - started >= 0.15
        started = time.monotonic()
        await b.broadcast(heads("b"))
        assert await receive(a, 1) == [heads("b")]
        assert time.monotonic() - started < 0.1


async def lossy_run(broker: BrokerHandle) -> list[BusMessage]:
    cluster = new_cluster()
    async with open_nodes(broker, cluster, "a", "b") as (a, b):
        await apply_rules(broker, cluster, LOSSY, a, b)
        for n in range(40):
            await a.broadcast(heads("a", n))
        await wait_until(lambda: b.stats.received + b.stats.dropped_rules == 40)
        return await receive(b, b.stats.received)


async def test_seeded_loss_is_reproducible_and_matches_the_memory_bus(
    broker: BrokerHandle,
) -> None:
    first = await lossy_run(broker)
    assert 5 < len(first) < 35
    assert await lossy_run(broker) == first
    network = MemoryNetwork()
    a, b = network.attach("a"), network.attach("b")
    await b.watch_context(CTX)
    await network.set_rules(LOSSY)
    for n in range(40):
        await a.broadcast(heads("a", n))
    assert await receive(b, len(first)) == first  # type: ignore[arg-type]


async def test_a_change_of_rules_runs_the_connect_callbacks_of_nodes_still_connected(
    broker: BrokerHandle,
) -> None:
    cluster = new_cluster()
    async with open_nodes(broker, cluster, "a", "b", "c") as (a, b, c):
        heard: list[str] = []
        for node, name in ((a, "a"), (b, "b"), (c, "c")):

            async def on_connect(name: str = name) -> None:
                heard.append(name)

            node.on_connect.append(on_connect)
        await apply_rules(broker, cluster, CUT, a, b, c)
        await wait_until(lambda: sorted(heard) == ["a", "b", "c"])
        await apply_rules(broker, cluster, NetRules(), a, b, c)  # the heal: heads at once
        await wait_until(lambda: len(heard) == 6)
        await apply_rules(broker, cluster, NetRules(), a, b, c)  # the same rules: nothing
        assert await nothing_arrives(a)
        assert sorted(heard) == ["a", "a", "b", "b", "c", "c"]
        assert [node.stats.connects for node in (a, b, c)] == [1, 1, 1]


async def test_disconnected_closes_the_session_and_reconnects(broker: BrokerHandle) -> None:
    cluster = new_cluster()
    async with open_nodes(broker, cluster, "a", "b") as (a, b):
        connects: list[int] = []

        async def on_connect() -> None:
            connects.append(b.stats.connects)

        b.on_connect.append(on_connect)
        rules = NetRules(disconnected=frozenset({"b"}))
        await apply_rules(broker, cluster, rules, a, b)
        await wait_until(lambda: not b.connected.is_set())
        await a.broadcast(heads("a", 1))  # lost for b: its session is closed
        await b.broadcast(heads("b", 1))  # queued until b is back
        assert await nothing_arrives(a)
        await apply_rules(broker, cluster, NetRules(), a, b)
        await asyncio.wait_for(b.connected.wait(), 5)
        assert await receive(a, 1) == [heads("b", 1)]
        assert connects == [2]
        await a.broadcast(heads("a", 2))
        assert await receive(b, 1) == [heads("a", 2)]


async def test_broker_restart_reconnects_resubscribes_and_flushes(broker: BrokerHandle) -> None:
    async with open_nodes(broker, new_cluster(), "a", "b") as (a, b):
        reconnected = asyncio.Event()

        async def on_connect() -> None:
            reconnected.set()

        a.on_connect.append(on_connect)
        sent_before = a.stats.sent
        await broker.restart(down_s=0.3)
        await a.broadcast(heads("a", 1))  # queued if a has not noticed yet, else sent after
        await asyncio.wait_for(reconnected.wait(), 10)
        await asyncio.wait_for(b.connected.wait(), 10)
        await wait_until(lambda: a.stats.sent > sent_before)
        assert a.stats.connects == b.stats.connects == 2
        await a.broadcast(heads("a", 2))
        received = await receive(b, 1)
        assert received[-1] in (heads("a", 1), heads("a", 2))


async def test_a_killed_broker_shows_in_the_link_state_from_the_moment_it_died(
    broker: BrokerHandle,
) -> None:
    async with open_mqtt_transport(broker.url, new_cluster(), "a") as a:
        await asyncio.wait_for(a.connected.wait(), 5)
        states: list[str] = []
        a.on_link.append(lambda link: states.append(link.state))
        killed_ms = time.time_ns() // 1_000_000
        await asyncio.to_thread(broker.kill)
        await wait_until(lambda: a.link().attempt >= 2)
        down = a.link()
        await asyncio.to_thread(broker.start)
        await asyncio.wait_for(a.connected.wait(), 10)
        await wait_until(lambda: a.link().up)
    assert (down.state, down.error is not None) == ("reconnecting", True)
    assert down.since_ms >= killed_ms  # the outage's start, not the last connect's
    assert states[0] == "disconnected"
    assert states[-1] == "connected"


async def test_offline_sends_wait_in_a_bounded_queue(broker: BrokerHandle) -> None:
    cluster = new_cluster()
    async with open_mqtt_transport(broker.url, cluster, "a", outbox_limit=3) as a:
        await asyncio.wait_for(a.connected.wait(), 5)
        sent_before = a.stats.sent
        await asyncio.to_thread(broker.kill)
        await wait_until(lambda: not a.connected.is_set())
        for n in range(5):
            await a.broadcast(heads("a", n))
        assert a.stats.dropped_queue == 2
        await asyncio.to_thread(broker.start)
        await asyncio.wait_for(a.connected.wait(), 10)
        await wait_until(lambda: a.stats.sent >= sent_before + 3)


async def test_a_session_cancelled_while_connecting_closes_without_stray_errors(
    broker: BrokerHandle,
) -> None:
    """A cluster stopped right after starting cancels sessions mid-connect: each must still
    disconnect, leaving no half-open session to fail later on stderr."""
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    address = parse_broker_url(broker.url)
    for attempt in range(5):
        config = SessionConfig(address, f"cancelled-{attempt}")
        session = MqttSession(config, lambda _t, _p: None, _nothing, BusStatistics())
        running = asyncio.create_task(session.run())
        await asyncio.sleep(0.001 * attempt)  # cancel at several points of the connect
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await asyncio.sleep(0.3)  # a session left open would now be dropped by nobody
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert unhandled == []


async def _nothing() -> None:
    """An ``on_connect`` with nothing to do."""
