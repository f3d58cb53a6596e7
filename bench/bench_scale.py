"""Provides the scaling run: how each figure of a cluster grows with its node count.

Run from the repository root: ``.venv/bin/python -m bench.bench_scale [--nodes 3,10,30]``.
For each node count it brings up a cluster through the library (``open_cluster``, so this
process is the manager) running the bundled kv-store template (the JS app users run), one
context joined by every node, and measures:

* up: ``open_cluster`` entered → ready (``fresh`` data, warm toolchain and module cache);
* RSS: the sum of the node processes' VmRSS when ready, and again after the load below;
* write → visible: one ``set`` at a time on a rotating node, until every node's ``/ws``
  pushed its ``ItemSet`` event (p50, p99 in ms);
* deltas/s: every node writes ``--writes`` sets back to back; the deltas each node absorbed
  from the others per second, counted until the cluster converged;
* heal: the nodes split in two halves, ``--heal`` writes on each side, the halves converged
  apart; then the partition is lifted: seconds until every node agrees.

Then it prints the table and a text plot of each figure against the node count. Every wait
is bounded; nothing leaves 127.0.0.1; the temp dir is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.scale_plot import plot
from calimero_devnet.cluster.convergence import wait_converged
from calimero_devnet.cluster.events import ClusterEvent, Problem
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.config.load import Overrides, load_config

VISIBLE_TIMEOUT_S = 30.0
CONVERGE_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class Row:
    """The figures of one node count."""

    nodes: int
    up_s: float
    rss_ready_mib: float
    rss_loaded_mib: float
    visible_p50_ms: float
    visible_p99_ms: float
    deltas_per_s: float
    heal_s: float


def say(event: ClusterEvent) -> None:
    """Print problems only: the figures are the output."""
    if isinstance(event, Problem):
        print(f"  problem: {event}")


def rss_mib(pids: list[int]) -> float:
    """The summed VmRSS of ``pids``, in MiB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def set_body(ctx: str, key: str) -> dict[str, Any]:
    """A JSON-RPC ``set`` of ``key``."""
    params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": "v"}}
    return {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}


async def write_many(session: aiohttp.ClientSession, ctx: str, prefix: str, count: int) -> None:
    """``count`` sets on one node, each acknowledged before the next."""
    for n in range(count):
        async with session.post("/jsonrpc", json=set_body(ctx, f"{prefix}-{n}")) as resp:
            answer = await resp.json()
        if "result" not in answer:
            raise RuntimeError(f"set failed: {answer}")


def event_keys(message: str) -> list[str]:
    """The keys of the ``ItemSet`` events one ``/ws`` message carries."""
    result = json.loads(message).get("result", {})
    keys = []
    for event in result.get("data", {}).get("events", []):
        data = json.loads(bytes(event.get("data") or b"{}"))
        if isinstance(data, dict) and "key" in data:
            keys.append(str(data["key"]))
    return keys


async def watch(url: str, ctx: str, seen: dict[str, list[float]], cond: asyncio.Condition) -> None:
    """Record when this node's ``/ws`` pushes each key (until cancelled)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{url}/ws") as ws:
        await ws.send_json({"id": 1, "method": "subscribe", "params": {"contextIds": [ctx]}})
        async for message in ws:
            for key in event_keys(message.data):
                seen.setdefault(key, []).append(time.perf_counter())
            async with cond:
                cond.notify_all()


def on_every(seen: dict[str, list[float]], key: str, nodes: int) -> Callable[[], bool]:
    """True once ``nodes`` nodes pushed ``key``."""
    return lambda: len(seen.get(key, ())) >= nodes


async def visible(urls: list[str], ctx: str, rounds: int) -> tuple[float, float]:
    """p50 and p99 (ms) of write → visible on every node."""
    seen: dict[str, list[float]] = {}
    cond = asyncio.Condition()
    watchers = [asyncio.create_task(watch(url, ctx, seen, cond)) for url in urls]
    sessions = [aiohttp.ClientSession(base_url=url) for url in urls]
    samples = []
    try:
        await asyncio.sleep(1.0)  # every watcher subscribed
        for round_ in range(rounds):
            key = f"visible-{round_}"
            started = time.perf_counter()
            await write_many(sessions[round_ % len(urls)], ctx, key, 1)
            async with asyncio.timeout(VISIBLE_TIMEOUT_S), cond:
                await cond.wait_for(on_every(seen, f"{key}-0", len(urls)))
            samples.append((max(seen[f"{key}-0"]) - started) * 1000)
    finally:
        for session in sessions:
            await session.close()
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    return percentile(samples, 50), percentile(samples, 99)


async def absorbed_per_s(cluster: Cluster, urls: list[str], ctx: str, writes: int) -> float:
    """Deltas each node absorbed from the others per second while every node wrote."""
    sessions = [aiohttp.ClientSession(base_url=url) for url in urls]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(
            write_many(session, ctx, f"load{i}", writes) for i, session in enumerate(sessions)
        ))  # fmt: skip
        await cluster.wait_converged(CONVERGE_TIMEOUT_S)
        elapsed = time.perf_counter() - started
    finally:
        for session in sessions:
            await session.close()
    return (len(urls) - 1) * writes / elapsed


def split(urls: list[str], half: int) -> tuple[list[str], list[str]]:
    """The URLs of the two sides of the partition."""
    return urls[:half], urls[half:]


async def converged(urls: list[str], ctx: str) -> None:
    """Wait until the nodes at ``urls`` agree (the cluster's own wait spans every member)."""
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]
    try:
        await wait_converged(clients, ctx, timeout=CONVERGE_TIMEOUT_S)
    finally:
        for client in clients:
            await client.aclose()


async def heal_s(cluster: Cluster, urls: list[str], ctx: str, per_side: int) -> float:
    """Seconds to converge after a partition with ``per_side`` writes on each half."""
    names = cluster.node_names
    half = (len(names) + 1) // 2
    sides = (names[:half], names[half:])
    await cluster.partition(sides)
    await asyncio.sleep(0.5)  # every node has the rules
    sessions = {
        name: aiohttp.ClientSession(base_url=url) for name, url in zip(names, urls, strict=True)
    }
    try:
        writers = [  # two writers on each side, on its first two nodes
            write_many(sessions[side[w % len(side)]], ctx, f"heal{s}-{w}", per_side // 2)
            for s, side in enumerate(sides)
            for w in range(2)
        ]
        await asyncio.gather(*writers)
    finally:
        for session in sessions.values():
            await session.close()
    await asyncio.gather(*(converged(side_urls, ctx) for side_urls in split(urls, half)))
    started = time.perf_counter()
    await cluster.heal()
    await cluster.wait_converged(CONVERGE_TIMEOUT_S)
    return time.perf_counter() - started


async def warm_up(data: Path, broker: str) -> None:
    """One untimed node: builds the app and fills the module cache the runs share."""
    config = load_config(None, Overrides(nodes=1, data_dir=data, fresh=True, broker=broker))
    async with open_cluster(config, say, control=False):
        pass


async def measure(nodes: int, data: Path, args: argparse.Namespace) -> Row:
    """Bring up ``nodes`` nodes and take every figure."""
    overrides = Overrides(nodes=nodes, data_dir=data, fresh=True, broker=args.broker)
    config = load_config(None, overrides)
    started = time.perf_counter()
    async with open_cluster(config, say, control=False) as cluster:
        up = time.perf_counter() - started
        refs = cluster.refs()
        pids = [ref.pid for ref in refs if ref.pid is not None]
        urls = [ref.url for ref in refs if ref.url is not None]
        ctx = cluster.context_id()
        ready_rss = rss_mib(pids)
        p50, p99 = await visible(urls, ctx, args.rounds)
        rate = await absorbed_per_s(cluster, urls, ctx, args.writes)
        healed = await heal_s(cluster, urls, ctx, args.heal)
        loaded_rss = rss_mib(pids)
    return Row(nodes, up, ready_rss, loaded_rss, p50, p99, rate, healed)


COLUMNS = (
    ("nodes", "nodes", "{:d}"),
    ("up_s", "up s", "{:.2f}"),
    ("rss_ready_mib", "RSS ready MiB", "{:.0f}"),
    ("rss_loaded_mib", "RSS loaded MiB", "{:.0f}"),
    ("visible_p50_ms", "visible p50 ms", "{:.1f}"),
    ("visible_p99_ms", "visible p99 ms", "{:.1f}"),
    ("deltas_per_s", "deltas/s/node", "{:.0f}"),
    ("heal_s", "heal s", "{:.2f}"),
)


def table_row(row: Row) -> str:
    """One node count's figures as a Markdown table row."""
    return "| " + " | ".join(fmt.format(getattr(row, name)) for name, _, fmt in COLUMNS) + " |"


def table(rows: list[Row]) -> str:
    """The figures as a Markdown table, one row per node count."""
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = [table_row(row) for row in rows]
    per_node = [
        f"RSS per node, {row.nodes} nodes: ready {row.rss_ready_mib / row.nodes:.1f} MiB, "
        f"loaded {row.rss_loaded_mib / row.nodes:.1f} MiB"
        for row in rows
    ]
    return "\n".join([head, rule, *body, "", *per_node])


def node_counts(text: str) -> list[int]:
    """``"3,10,30"`` → ``[3, 10, 30]`` (each 1..64)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of node counts") from None
    if not counts or any(not 1 <= n <= 64 for n in counts):
        raise argparse.ArgumentTypeError(f"{text!r}: node counts must be 1..64")
    return counts


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--nodes", type=node_counts, default=[3, 10, 30], help="node counts (default 3,10,30)")
    add("--heal", type=int, default=1000, help="writes on each side of the partition")
    add("--writes", type=int, default=20, help="sets per node for deltas/s")
    add("--rounds", type=int, default=50, help="writes timed for write → visible")
    add("--broker", choices=("embedded", "mosquitto"), default="embedded")
    return parser.parse_args()


async def main() -> None:
    """One node count after another (never in parallel: the machine has 2 cores)."""
    args = parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        data = Path(tmp) / "data"  # one data dir: the module cache survives `fresh`
        await warm_up(data, args.broker)
        for nodes in args.nodes:
            row = await measure(nodes, data, args)
            print(table_row(row), flush=True)  # at once: a long run may be cut short
            rows.append(row)
    print()
    print(table(rows))
    print()
    print(plot(rows, COLUMNS[1:]))


if __name__ == "__main__":
    asyncio.run(main())
