"""Provides what the replication benches share: apps, node clusters, /ws watchers, ratios.

A cluster is ``count`` real node processes on one broker, one context of one app joined by
every node. ``repo`` picks the checkout whose ``calimero_devnet`` the nodes run, so a bench
can alternate this checkout with another one (``--against DIR``) under the same load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from calimero_devnet.cluster.convergence import wait_converged
from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.templates import template_dir
from calimero_devnet.toolchain import build_app
from tests.fixtures import load_wat
from tests.integration.node_process import REPO, NodeProcess, start_node

CLUSTER = "bench"
APPS = ("wat", "js")
WAIT_S = 10.0  # the longest a write may take to show everywhere


@dataclass(frozen=True)
class Side:
    """One checkout under test: ``this`` (the bench's own) or ``before`` (``--against``)."""

    label: str
    repo: Path


def sides(against: Path | None, turn: int = 0) -> list[Side]:
    """This checkout and (with ``--against``) the other one; on odd turns the other first,
    so neither is always the one that runs on a machine still busy with the last case."""
    if against is None:
        return [Side("this", REPO)]
    both = [Side("this", REPO), Side("before", against.resolve())]
    return both if turn % 2 == 0 else both[::-1]


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over several runs of one side."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def app_wasm(kind: str, root: Path) -> Path:
    """The app's module in ``root``: the WAT kv-store, or the JS kv-store template built
    by the toolchain (what ``devnet up`` runs; the toolchain cache should be warm)."""
    if kind == "wat":
        wasm = root / "kv_store.wasm"
        wasm.write_bytes(load_wat("kv_store"))
        return wasm
    return build_app(template_dir("kv-store"), out_dir=root / "js-build").wasm_path


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


def cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes used so far: unlike wall time, this barely
    moves when other jobs share the cores, so before/after compare fairly on a busy machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


async def admin(client: httpx.AsyncClient, verb: str, path: str, body: Any = None) -> Any:
    """Call the admin API; return ``data``."""
    response = await client.request(verb, f"/admin-api/{path}", json=body)
    response.raise_for_status()
    return response.json()["data"]


@contextlib.asynccontextmanager
async def cluster(
    broker: BrokerHandle, root: Path, wasm: Path, count: int, repo: Path = REPO
) -> AsyncIterator[tuple[list[NodeProcess], str]]:
    """Start ``count`` nodes, install ``wasm``, create a context and join it everywhere."""
    nodes: list[NodeProcess] = []
    try:
        for i in range(count):
            args = ("--broker", broker.url, "--cluster", CLUSTER, "--index", str(i),
                    "--name", f"n{i}", "--log-level", "warning")  # fmt: skip
            home = root / f"n{i}"
            nodes.append(await asyncio.to_thread(start_node, home, *args, repo=repo))
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


class Visibility:
    """When each node's ``/ws`` pushed each key (the node's own commits and peers')."""

    def __init__(self, nodes: int) -> None:
        """Expect every key on ``nodes`` nodes."""
        self.nodes = nodes
        self.seen: dict[str, list[float]] = {}
        self.arrived = asyncio.Condition()

    async def watch(self, url: str, ctx: str, subscribed: asyncio.Event) -> None:
        """Record this node's pushes until cancelled."""
        async with aiohttp.ClientSession() as session, session.ws_connect(f"{url}/ws") as ws:
            await ws.send_json({"id": 1, "method": "subscribe", "params": {"contextIds": [ctx]}})
            async for message in ws:
                result = json.loads(message.data).get("result", {})
                if "contextIds" in result:
                    subscribed.set()  # the answer to our subscribe
                for event in result.get("data", {}).get("events", []):
                    key = json.loads(bytes(event["data"])).get("key")
                    if isinstance(key, str):
                        self.seen.setdefault(key, []).append(time.perf_counter())
                async with self.arrived:
                    self.arrived.notify_all()

    def everywhere(self, key: str) -> Callable[[], bool]:
        """True once every node pushed ``key``."""
        return lambda: len(self.seen.get(key, ())) >= self.nodes

    def visible_at(self, key: str) -> float:
        """When the last node pushed ``key``."""
        return max(self.seen[key])

    async def wait(self, key: str) -> None:
        """Wait until every node pushed ``key`` (at most ``WAIT_S``)."""
        async with asyncio.timeout(WAIT_S), self.arrived:
            await self.arrived.wait_for(self.everywhere(key))


@contextlib.asynccontextmanager
async def watching(nodes: list[NodeProcess], ctx: str) -> AsyncIterator[Visibility]:
    """A ``Visibility`` fed by a /ws subscription on every node (subscribed on entry)."""
    seen = Visibility(len(nodes))
    ready = [asyncio.Event() for _ in nodes]
    pairs = zip(nodes, ready, strict=True)
    tasks = [asyncio.create_task(seen.watch(n.url, ctx, r)) for n, r in pairs]
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(*(r.wait() for r in ready))
        yield seen
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def converge(nodes: list[NodeProcess], ctx: str) -> None:
    """Wait until the nodes agree (at most two minutes)."""
    clients = [httpx.AsyncClient(base_url=n.url, timeout=60) for n in nodes]
    try:
        await wait_converged(clients, ctx, timeout=120)
    finally:
        for client in clients:
            await client.aclose()


def ratio_table(
    rows: dict[str, dict[str, float]], figures: list[tuple[str, str, bool]]
) -> list[str]:
    """Lines comparing ``rows["this"]`` with ``rows["before"]``: each figure (key, label,
    higher is better) with both values and the gain (above 1 means this checkout is better)."""
    this, before = rows["this"], rows["before"]
    lines = [f"  {'figure':34} {'before':>10} {'this':>10} {'gain':>7}"]
    for key, label, higher in figures:
        if key not in this or key not in before:
            continue
        gain = this[key] / before[key] if higher else before[key] / this[key]
        lines.append(f"  {label:34} {before[key]:10.2f} {this[key]:10.2f} {gain:6.2f}x")
    return lines
