"""The in-memory bus: delivery, echo filtering and the simulated network rules."""

from __future__ import annotations

import asyncio

from calimero_devnet.node.bus.net_rules import LinkRule, NetRules
from calimero_devnet.node.bus.transport import BusMessage, Transport
from calimero_devnet.node.sync.messages import DeltaBroadcast, FetchRequest, HeadsAnnouncement
from calimero_devnet.testing.memory_bus import MemoryNetwork, MemoryTransport
from tests.unit.bus_samples import CTX, OTHER_CTX, every_message, sample_delta

CUT = NetRules(partitions=(frozenset({"a", "b"}), frozenset({"c"})))


async def trio(network: MemoryNetwork) -> tuple[MemoryTransport, ...]:
    transports = tuple(network.attach(name) for name in ("a", "b", "c"))
    for transport in transports:
        await transport.watch_context(CTX)
        await transport.connected.wait()
    return transports


async def drain(transport: MemoryTransport) -> list[BusMessage]:
    """Everything already delivered to ``transport`` (after one loop turn)."""
    await asyncio.sleep(0)
    received = []
    while not transport.inbox._queue.empty():
        received.append(transport.inbox._queue.get_nowait())
    return received


def heads(sender: str, n: int = 0) -> HeadsAnnouncement:
    return HeadsAnnouncement(sender, CTX, (bytes([n]) * 32,))


async def test_memory_transport_satisfies_the_protocol() -> None:
    transport: Transport = MemoryNetwork().attach("a")  # mypy checks the structure
    await transport.connected.wait()
    assert transport.node == "a"


async def test_broadcast_reaches_watchers_but_not_the_sender_or_others() -> None:
    network = MemoryNetwork()
    a, b, c = await trio(network)
    await c.unwatch_context(CTX)
    await a.broadcast(DeltaBroadcast("a", CTX, sample_delta()))
    await a.broadcast(heads("a"))
    assert [type(m).__name__ for m in await drain(b)] == ["DeltaBroadcast", "HeadsAnnouncement"]
    assert await drain(a) == []
    assert await drain(c) == []


async def test_send_reaches_only_the_peer_and_round_trips_every_message() -> None:
    network = MemoryNetwork()
    a, b, c = await trio(network)
    messages = every_message("a")
    for message in messages:
        await a.send("b", message)  # type: ignore[arg-type]
    assert await drain(b) == messages
    assert await drain(c) == []
    assert a.statistics().sent == len(messages)
    assert b.statistics().received == len(messages)


async def test_partition_cuts_both_ways_and_drops_requests_but_not_the_control_plane() -> None:
    network = MemoryNetwork()
    a, b, c = await trio(network)
    await network.set_rules(CUT)
    await a.broadcast(heads("a"))
    await c.broadcast(heads("c"))
    await a.send("c", FetchRequest("a", CTX, (), "a"))
    await c.publish_feed({"event": "still here"})
    await c.publish_status("online")
    assert await drain(b) == [heads("a")]
    assert await drain(c) == []
    assert await drain(a) == []
    assert a.statistics().dropped_rules == 2  # the request, and c's heads
    assert network.feed == [("c", {"event": "still here"})]
    assert network.status == {"c": "online"}


async def test_latency_delays_and_keeps_per_link_order() -> None:
    network = MemoryNetwork()
    a, b, _ = await trio(network)
    await network.set_rules(NetRules(links={("a", "b"): LinkRule(latency_ms=40)}))
    await a.broadcast(heads("a", 1))
    await network.set_rules(NetRules())  # a later, undelayed message must not overtake
    await a.broadcast(heads("a", 2))
    assert await drain(b) == []
    await asyncio.sleep(0.06)
    assert await drain(b) == [heads("a", 1), heads("a", 2)]
    assert b.statistics().delayed == 1


async def test_seeded_loss_is_reproducible() -> None:
    async def survivors(seed: int) -> list[BusMessage]:
        network = MemoryNetwork()
        a, b, _ = await trio(network)
        await network.set_rules(NetRules(links={("a", "b"): LinkRule(loss=0.5)}, seed=seed))
        for n in range(40):
            await a.broadcast(heads("a", n))
        return await drain(b)

    first = await survivors(7)
    assert 5 < len(first) < 35
    assert await survivors(7) == first
    assert await survivors(8) != first


async def test_the_same_rules_again_do_not_restart_the_loss_sequence() -> None:
    network = MemoryNetwork()
    a, b, _ = await trio(network)
    lossy = NetRules(links={("a", "b"): LinkRule(loss=0.5)}, seed=3)
    await network.set_rules(lossy)
    for n in range(20):
        await a.broadcast(heads("a", n))
    await network.set_rules(NetRules(links={("a", "b"): LinkRule(loss=0.5)}, seed=3))
    for n in range(20, 40):
        await a.broadcast(heads("a", n))
    continued = await drain(b)
    await network.set_rules(NetRules())
    await network.set_rules(lossy)  # really new rules: the draws start over
    for n in range(40):
        await a.broadcast(heads("a", n))
    assert await drain(b) == continued


async def test_disconnected_node_queues_sends_and_reruns_on_connect() -> None:
    network = MemoryNetwork(outbox_limit=2)
    a, b, _ = await trio(network)
    connects: list[str] = []

    async def on_connect() -> None:
        connects.append("b")

    b.on_connect.append(on_connect)
    await network.set_rules(NetRules(disconnected=frozenset({"b"})))
    assert not b.connected.is_set()
    await a.broadcast(heads("a"))  # lost for b: a clean session keeps nothing
    for n in range(3):
        await b.broadcast(heads("b", n))
    assert b.statistics().dropped_queue == 1
    assert await drain(a) == []
    await network.set_rules(NetRules())
    assert b.connected.is_set()
    assert connects == ["b"]
    assert await drain(a) == [heads("b", 0), heads("b", 1)]
    assert await drain(b) == []


async def test_on_connect_runs_for_the_first_connection_when_registered_at_once() -> None:
    network = MemoryNetwork()
    transport = network.attach("a")
    ran = asyncio.Event()

    async def on_connect() -> None:
        ran.set()

    transport.on_connect.append(on_connect)
    await asyncio.wait_for(ran.wait(), 1)
    assert transport.statistics().connects == 1


async def test_garbage_is_counted_and_dropped_and_crash_marks_offline() -> None:
    network = MemoryNetwork()
    a, b, _ = await trio(network)
    network.route("x", b"\x01\x01garbage", None, CTX)
    network.route("x", b"", "b", None)
    await a.broadcast(HeadsAnnouncement("a", OTHER_CTX, ()))  # nobody watches it
    assert await drain(b) == []
    assert b.statistics().decode_errors == 2
    network.crash("b")
    assert network.status["b"] == "offline"
    assert "b" not in network.transports
