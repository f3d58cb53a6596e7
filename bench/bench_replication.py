"""Benchmark replication between node processes on loopback, amqtt against mosquitto.

Run from the repository root: ``.venv/bin/python -m bench.bench_replication [HEAL_N]``.
For each broker (started by the bench on a free loopback port) it starts ``NODES`` nodes
running the WAT kv-store in one context, then measures:

* write → visible: one ``set`` at a time on a rotating node; the time until every other
  node's ``/ws`` pushed the ``StateMutation`` carrying that key (p50, p99);
* sustained: ``WRITERS`` clients per node write back to back; deltas each node absorbed
  per second, counted until every node converged;
* heal: nodes split in two groups, ``HEAL_N`` writes on each side, then the rules are
  lifted; seconds from healing until every node has the same heads, root and no pending;
* RSS of each node process at the end.

Every loop is bounded; nothing leaves 127.0.0.1. The load generator is aiohttp's client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from calimero_devnet.cluster.convergence import wait_converged
from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.bus.session import publish_net_rules
from tests.fixtures import load_wat
from tests.integration.node_process import NodeProcess, start_node

NODES = 5
LATENCY_ROUNDS = 200
WRITERS = 2
SUSTAINED_PER_WRITER = 100
HEAL_N = 1000
CLUSTER = "bench"


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rss_mib(pid: int) -> float:
    """Resident set size of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def admin(client: httpx.AsyncClient, verb: str, path: str, body: Any = None) -> Any:
    """Call the admin API; return ``data``."""
    response = await client.request(verb, f"/admin-api/{path}", json=body)
    response.raise_for_status()
    return response.json()["data"]


@contextlib.asynccontextmanager
async def cluster(broker: BrokerHandle, root: Path) -> AsyncIterator[tuple[list[NodeProcess], str]]:
    """Start the nodes, deploy the kv-store, create a context and join it everywhere."""
    nodes: list[NodeProcess] = []
    try:
        for i in range(NODES):
            args = ("--broker", broker.url, "--cluster", CLUSTER, "--index", str(i),
                    "--name", f"n{i}", "--log-level", "warning")  # fmt: skip
            nodes.append(await asyncio.to_thread(start_node, root / f"n{i}", *args))
        wasm = root / "kv_store.wasm"
        wasm.write_bytes(load_wat("kv_store"))
        clients = [httpx.AsyncClient(base_url=n.url, timeout=60) for n in nodes]
        for client in clients:
            await admin(client, "POST", "install-dev-application", {"path": str(wasm)})
        app = (await admin(clients[0], "GET", "applications"))["apps"][0]["id"]
        ctx = (await admin(clients[0], "POST", "contexts", {"applicationId": app}))["contextId"]
        for client in clients[1:]:
            await admin(client, "POST", f"contexts/{ctx}/join")
        for client in clients:
            await client.aclose()
        yield nodes, ctx
    finally:
        for node in nodes:
            await asyncio.to_thread(node.stop)


def body(ctx: str, key: str, value: str) -> dict[str, Any]:
    """A ``set`` request."""
    params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": value}}
    return {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}


async def watch(
    url: str, ctx: str, seen: dict[str, list[float]], arrived: asyncio.Condition
) -> None:
    """Record when this node's /ws pushes each key (until cancelled)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{url}/ws") as ws:
        await ws.send_json({"id": 1, "method": "subscribe", "params": {"contextIds": [ctx]}})
        async for message in ws:
            result = json.loads(message.data).get("result", {})
            for event in result.get("data", {}).get("events", []):
                key = json.loads(bytes(event["data"]))["key"]
                seen.setdefault(key, []).append(time.perf_counter())
                async with arrived:
                    arrived.notify_all()


def everywhere(seen: dict[str, list[float]], key: str) -> Callable[[], bool]:
    """True once every node pushed ``key``."""
    return lambda: len(seen.get(key, ())) >= NODES


async def latency(nodes: list[NodeProcess], ctx: str) -> tuple[float, float]:
    """p50 and p99 (ms) of write → visible on every node."""
    seen: dict[str, list[float]] = {}
    arrived = asyncio.Condition()
    watchers = [asyncio.create_task(watch(n.url, ctx, seen, arrived)) for n in nodes]
    await asyncio.sleep(0.5)
    samples = []
    sessions = [aiohttp.ClientSession(base_url=n.url) for n in nodes]
    try:
        for round_ in range(LATENCY_ROUNDS):
            key = f"lat-{round_}"
            started = time.perf_counter()
            async with sessions[round_ % NODES].post("/jsonrpc", json=body(ctx, key, "v")) as r:
                await r.read()
            async with asyncio.timeout(10), arrived:
                await arrived.wait_for(everywhere(seen, key))
            samples.append((max(seen[key]) - started) * 1000)
    finally:
        for session in sessions:
            await session.close()
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    return percentile(samples, 50), percentile(samples, 99)


async def write_many(url: str, ctx: str, prefix: str, count: int) -> None:
    """``count`` sets, each acknowledged before the next."""
    async with aiohttp.ClientSession(base_url=url) as session:
        for n in range(count):
            async with session.post("/jsonrpc", json=body(ctx, f"{prefix}-{n}", str(n))) as r:
                assert "result" in await r.json()


async def converge(nodes: list[NodeProcess], ctx: str) -> None:
    """Wait until the nodes agree (at most two minutes)."""
    clients = [httpx.AsyncClient(base_url=n.url, timeout=60) for n in nodes]
    try:
        await wait_converged(clients, ctx, timeout=120)
    finally:
        for client in clients:
            await client.aclose()


async def sustained(nodes: list[NodeProcess], ctx: str) -> float:
    """Deltas per second each node absorbed while every node wrote."""
    started = time.perf_counter()
    await asyncio.gather(*(
        write_many(n.url, ctx, f"s{i}-{w}", SUSTAINED_PER_WRITER)
        for i, n in enumerate(nodes) for w in range(WRITERS)
    ))  # fmt: skip
    await converge(nodes, ctx)
    remote_per_node = (NODES - 1) * WRITERS * SUSTAINED_PER_WRITER
    return remote_per_node / (time.perf_counter() - started)


async def heal(broker: BrokerHandle, nodes: list[NodeProcess], ctx: str, count: int) -> float:
    """Seconds to converge after healing a partition with ``count`` writes on each side."""
    left, right = nodes[: NODES // 2 + 1], nodes[NODES // 2 + 1 :]
    groups = tuple(frozenset(f"n{nodes.index(n)}" for n in side) for side in (left, right))
    await publish_net_rules(broker.url, CLUSTER, NetRules(partitions=groups))
    await asyncio.sleep(0.5)
    per_writer = count // 2
    await asyncio.gather(*(write_many(side[w % len(side)].url, ctx, f"h{s}-{w}", per_writer)
                           for s, side in enumerate((left, right)) for w in range(2)))  # fmt: skip
    await asyncio.gather(converge(left, ctx), converge(right, ctx))
    started = time.perf_counter()
    await publish_net_rules(broker.url, CLUSTER, HEALTHY)
    await converge(nodes, ctx)
    return time.perf_counter() - started


async def run(kind: str, opener: Any, heal_n: int) -> None:
    """Run every measurement against one broker and print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-repl-") as tmp:
        root = Path(tmp)
        async with opener(workdir=root) as broker, cluster(broker, root) as (nodes, ctx):
            p50, p99 = await latency(nodes, ctx)
            print(f"{kind:9} write→visible on {NODES} nodes: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            rate = await sustained(nodes, ctx)
            print(f"{kind:9} sustained: {rate:,.0f} deltas/s absorbed per node")
            healed = await heal(broker, nodes, ctx, heal_n)
            print(f"{kind:9} heal after {heal_n:,} writes per side: converged in {healed:.2f} s")
            rss = [rss_mib(n.proc.pid) for n in nodes]
            print(f"{kind:9} RSS per node: {statistics.mean(rss):.0f} MiB (max {max(rss):.0f})")


async def main() -> None:
    """Both brokers, one after the other."""
    heal_n = int(sys.argv[1]) if len(sys.argv) > 1 else HEAL_N
    for kind, opener in (("amqtt", open_embedded_broker), ("mosquitto", open_mosquitto)):
        await run(kind, opener, heal_n)


if __name__ == "__main__":
    asyncio.run(main())
