"""Benchmark one real node process over loopback: JSON-RPC latency, throughput, start-to-ready.

Run from the repository root: ``.venv/bin/python -m bench.bench_node_rpc``. The load generator
is aiohttp's client (httpx tops out near 2.5k req/s, see DEPENDENCIES.md). Every loop is
bounded; nothing leaves 127.0.0.1. Targets: execute p50 <= 2 ms, start-to-ready <= 1 s.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from tests.integration.node_process import deploy_kv_store, start_node

LATENCY_CALLS = 500
THROUGHPUT_CLIENTS = 4
THROUGHPUT_CALLS_PER_CLIENT = 400
READY_RUNS = 5


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def request(ctx: str, method: str, args: dict[str, Any], rid: int) -> dict[str, Any]:
    """An ``execute`` request body."""
    params = {"contextId": ctx, "method": method, "argsJson": args}
    return {"jsonrpc": "2.0", "id": rid, "method": "execute", "params": params}


async def timed_calls(
    session: aiohttp.ClientSession, ctx: str, method: str, count: int, tag: str
) -> list[float]:
    """Make ``count`` sequential calls; return each one's latency in seconds."""
    latencies = []
    for n in range(count):
        body = request(ctx, method, {"key": f"{tag}-{n % 50}", "value": str(n)}, n)
        started = time.perf_counter()
        async with session.post("/jsonrpc", json=body) as resp:
            answer = await resp.json()
        latencies.append(time.perf_counter() - started)
        assert "result" in answer, answer
    return latencies


async def http_baseline(session: aiohttp.ClientSession) -> None:
    """Print the latency of ``health``: the HTTP path alone, no worker thread, no core."""
    latencies = []
    for _ in range(LATENCY_CALLS):
        started = time.perf_counter()
        async with session.get("/admin-api/health") as resp:
            await resp.read()
        latencies.append(time.perf_counter() - started)
    print(f"health     : p50 {percentile(latencies, 50) * 1e3:.2f} ms  (HTTP only, for scale)")


async def measure_rpc(url: str, ctx: str) -> None:
    """Print latency percentiles and calls/s for ``get`` and ``set``."""
    async with aiohttp.ClientSession(base_url=url) as session:
        await timed_calls(session, ctx, "set", 50, "warm")
        await http_baseline(session)
        for method in ("get", "set"):
            lat = await timed_calls(session, ctx, method, LATENCY_CALLS, "lat")
            p50, p99 = percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3
            print(f"execute {method:3}: p50 {p50:.2f} ms  p99 {p99:.2f} ms  (n={len(lat)})")
        for method in ("get", "set"):
            started = time.perf_counter()
            clients = [
                timed_calls(session, ctx, method, THROUGHPUT_CALLS_PER_CLIENT, f"c{c}")
                for c in range(THROUGHPUT_CLIENTS)
            ]
            await asyncio.gather(*clients)
            rate = (
                THROUGHPUT_CLIENTS * THROUGHPUT_CALLS_PER_CLIENT / (time.perf_counter() - started)
            )
            print(f"execute {method:3}: {rate:.0f} calls/s with {THROUGHPUT_CLIENTS} clients")


def measure_ready(root: Path) -> None:
    """Print median spawn-to-ready time on fresh homes and on a home with data."""
    fresh = []
    for run in range(READY_RUNS):
        node = start_node(root / f"fresh-{run}")
        fresh.append(node.started_s)
        node.stop()
    existing = []
    for _ in range(READY_RUNS):
        node = start_node(root / "node")
        existing.append(node.started_s)
        node.stop()
    print(f"start-to-ready (fresh home):    median {statistics.median(fresh) * 1e3:.0f} ms")
    print(f"start-to-ready (existing home): median {statistics.median(existing) * 1e3:.0f} ms")


def main() -> None:
    """Run every measurement against one node, then the start-up runs."""
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        root = Path(tmp)
        node = start_node(root / "node", "--index", "1")
        try:
            with httpx.Client(base_url=node.url) as client:
                ctx = deploy_kv_store(client, root)
            asyncio.run(measure_rpc(node.url, ctx))
        finally:
            node.stop()
        measure_ready(root)


if __name__ == "__main__":
    main()
