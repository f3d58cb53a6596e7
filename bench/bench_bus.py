"""Provides a benchmark of the MQTT bus: latency and throughput, amqtt against mosquitto.

Run from the repository root: ``PYTHONPATH=. .venv/bin/python bench/bench_bus.py``.
For each broker (loopback, started by the bench) it measures, through the full adapter path
(wire encode, QoS1 publish, broker, decode, network rules, inbox):

* latency: one ``DeltaBroadcast`` (~430 B on the wire) at a time, publish to receipt,
  p50 and p99 over ``LATENCY_ROUNDS`` messages;
* throughput: ``BURST`` deltas published back to back, received by one subscriber, msgs/s;
* the same burst through raw aiomqtt clients (QoS1), to show what the adapter costs;
* the wire codec's cost per message (both adapters share one process and its 2 cores).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt

from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.mqtt import MqttTransport, open_mqtt_transport
from calimero_devnet.node.bus.session import NODELAY
from calimero_devnet.node.sync.messages import DeltaBroadcast
from tests.unit.bus_samples import CTX, sample_delta

LATENCY_ROUNDS = 500
BURST = 3000
PAYLOAD = 200  # bytes of artifact in each delta


@contextlib.asynccontextmanager
async def pair(url: str) -> AsyncIterator[tuple[MqttTransport, MqttTransport]]:
    """Two connected adapters; b watches the bench context."""
    options: dict[str, Any] = {"rules_grace_s": 0.05, "outbox_limit": BURST + 10}
    async with (
        open_mqtt_transport(url, "bench", "a", **options) as a,
        open_mqtt_transport(url, "bench", "b", **options) as b,
    ):
        await b.watch_context(CTX)
        await a.connected.wait()
        await b.connected.wait()
        yield a, b


async def latency(url: str) -> tuple[float, float, int]:
    """Return (p50 ms, p99 ms, wire bytes) of one delta at a time."""
    messages = [DeltaBroadcast("a", CTX, sample_delta(n, PAYLOAD)) for n in range(LATENCY_ROUNDS)]
    samples = []
    async with pair(url) as (a, b):
        incoming = b.incoming()
        for message in messages:
            started = time.perf_counter()
            await a.broadcast(message)
            await anext(incoming)
            samples.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(samples, n=100)
    return quantiles[49], quantiles[98], len(wire.encode(messages[0]))


async def adapter_throughput(url: str) -> float:
    """Return msgs/s of a burst through two adapters."""
    messages = [DeltaBroadcast("a", CTX, sample_delta(n, PAYLOAD)) for n in range(BURST)]
    async with pair(url) as (a, b):
        incoming = b.incoming()
        started = time.perf_counter()
        for message in messages:
            await a.broadcast(message)
        for _ in range(BURST):
            await anext(incoming)
        return BURST / (time.perf_counter() - started)


async def raw_throughput(broker: BrokerHandle) -> float:
    """Return msgs/s of the same burst through raw aiomqtt clients (QoS1, no adapter)."""
    payload = wire.encode(DeltaBroadcast("a", CTX, sample_delta(0, PAYLOAD)))
    topic = "bench/raw"
    async with (
        aiomqtt.Client(broker.host, broker.port, socket_options=NODELAY) as sub,
        aiomqtt.Client(
            broker.host, broker.port, socket_options=NODELAY, max_inflight_messages=32
        ) as pub,
    ):
        pub.pending_calls_threshold = BURST
        await sub.subscribe(topic, 1)
        started = time.perf_counter()

        async def receive_all() -> None:
            count = 0
            async for _ in sub.messages:
                count += 1
                if count == BURST:
                    return

        receiver = asyncio.create_task(receive_all())
        for start in range(0, BURST, 32):
            await asyncio.gather(
                *(pub.publish(topic, payload, qos=1) for _ in range(min(32, BURST - start)))
            )
        await asyncio.wait_for(receiver, 60)
        return BURST / (time.perf_counter() - started)


def codec_cost_us() -> tuple[float, float]:
    """Return µs per wire encode and per decode of one delta broadcast."""
    message = DeltaBroadcast("a", CTX, sample_delta(0, PAYLOAD))
    data = wire.encode(message)
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        wire.encode(message)
    encoded = time.perf_counter()
    for _ in range(rounds):
        wire.decode(data)
    decoded = time.perf_counter()
    return (encoded - started) / rounds * 1e6, (decoded - encoded) / rounds * 1e6


async def measure(name: str, opener: Callable[[], Any]) -> list[str]:
    """Run every measurement against one broker."""
    async with opener() as broker:
        p50, p99, size = await latency(broker.url)
        adapter = await adapter_throughput(broker.url)
        raw = await raw_throughput(broker)
    return [name, f"{p50:.2f}", f"{p99:.2f}", f"{adapter:,.0f}", f"{raw:,.0f}", str(size)]


async def main() -> None:
    """Print one row per broker."""
    rows = [["broker", "p50 ms", "p99 ms", "adapter msg/s", "raw msg/s", "bytes"]]
    rows.append(await measure("amqtt", open_embedded_broker))
    rows.append(await measure("mosquitto", open_mosquitto))
    encode_us, decode_us = codec_cost_us()
    print(f"{LATENCY_ROUNDS} sequential deltas for latency, bursts of {BURST}; QoS1, loopback")
    print(f"wire codec per delta broadcast: encode {encode_us:.0f} µs, decode {decode_us:.0f} µs")
    for row in rows:
        print("  ".join(cell.rjust(14) for cell in row))


if __name__ == "__main__":
    asyncio.run(main())
