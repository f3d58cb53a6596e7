"""Provides the cluster-manager benchmark: up to ready, save to redeployed, idle CPU, JS RPC.

Run from the repository root: ``.venv/bin/python -m bench.bench_up [--repeats 2]``.
Everything goes through the library (``open_cluster``, in this process, so this process is
the manager), not the ``devnet`` CLI; the toolchain cache is expected warm.

* up: ``open_cluster`` entered → ready, for 3 and 10 nodes of the bundled kv-store
  template, with ``fresh`` (empty data dir) and on the data the previous run kept; nodes
  forked from the fork server and, interleaved, each its own process
  (``$DEVNET_FORK_SERVER=0``); RSS and PSS per node once ready (``bench/memory.py``; a
  forked node's PSS includes its share of the fork server's);
* save → redeployed: a copy of ``templates/kv-store`` in a temp dir is a watched app on 5
  nodes; from the write of ``src/index.ts`` until ``AppDeployed`` names all 5 nodes (the
  rollout emits it after every context is switched to the new build; the redeploy's type
  check runs next to the build, so it is included);
* idle: CPU seconds (``os.times``, all threads) of this (the manager) process over
  ``IDLE_S`` with 3 nodes up; the embedded broker (amqtt) runs in this process too, so it is
  measured with mosquitto as well;
* JSON-RPC: ``execute`` of the JS kv-store's ``get`` / ``set`` on one node, aiohttp client.

Every loop is bounded; nothing leaves 127.0.0.1; temp dirs are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.memory import cluster_per_node_mib
from calimero_devnet.cluster.events import AppDeployed, ClusterEvent, Problem
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.processes.supervisor import FORK_SERVER_ENV
from calimero_devnet.config.load import Overrides, load_config

REPO = Path(__file__).resolve().parents[1]
IDLE_S = 10.0
SETTLE_S = 3.0
EDITS = 3
RPC_CALLS = 500
EVENT_TIMEOUT_S = 30.0
MARKER = "set: the key must not be empty"


def say(event: ClusterEvent) -> None:
    """Print problems only: the figures are the output."""
    if isinstance(event, Problem):
        print(f"  problem: {event}")


@dataclass
class UpRuns:
    """Samples of one way of starting nodes: seconds to ready, memory per node once ready."""

    fresh: list[float] = field(default_factory=list)
    kept: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    pss: list[float] = field(default_factory=list)

    def line(self) -> str:
        """The medians (and every up sample)."""
        return (
            f"fresh {statistics.median(self.fresh):.2f} s {fmt(self.fresh)}, kept data "
            f"{statistics.median(self.kept):.2f} s {fmt(self.kept)}; per node RSS "
            f"{statistics.median(self.rss):.0f} MiB, PSS {statistics.median(self.pss):.0f} MiB"
        )


async def time_up(nodes: int, data_dir: Path, fresh: bool, runs: UpRuns) -> None:
    """Add to ``runs`` the seconds from entering ``open_cluster`` until it hands out the
    ready cluster, and the memory per node then."""
    config = load_config(None, Overrides(nodes=nodes, data_dir=data_dir, fresh=fresh))
    started = time.perf_counter()
    async with open_cluster(config, say, control=True) as cluster:
        (runs.fresh if fresh else runs.kept).append(time.perf_counter() - started)
        pids = [ref.pid for ref in cluster.refs() if ref.pid is not None]
        rss, pss = cluster_per_node_mib(pids, os.getpid())
        runs.rss.append(rss)
        runs.pss.append(pss)


async def bench_up(repeats: int) -> None:
    """Up to ready, 3 and 10 nodes, fresh and on kept data (medians): nodes forked from the
    fork server, and (interleaved, same run) each node its own process."""
    for nodes in (3, 10):
        ways = {"forked": UpRuns(), "exec": UpRuns()}
        user_setting = os.environ.get(FORK_SERVER_ENV)
        with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
            data = Path(tmp) / "data"
            for _ in range(repeats):
                for way, runs in ways.items():
                    os.environ[FORK_SERVER_ENV] = "1" if way == "forked" else "0"
                    await time_up(nodes, data, True, runs)
                    await time_up(nodes, data, False, runs)
        os.environ.pop(FORK_SERVER_ENV)
        if user_setting is not None:
            os.environ[FORK_SERVER_ENV] = user_setting
        for way, runs in ways.items():
            print(f"up to ready, {nodes:2} nodes, {way:6} (warm toolchain): {runs.line()}")
        ratio = statistics.median(ways["exec"].fresh) / statistics.median(ways["forked"].fresh)
        print(f"  fresh up, exec / forked: {ratio:.2f}x")


def fmt(values: list[float]) -> str:
    """All samples, for the record."""
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def write_app_config(root: Path, snapshot: bool = False) -> Path:
    """Copy the kv-store template into ``root`` and declare it a watched app."""
    shutil.copytree(REPO / "templates" / "kv-store", root / "kv-store")
    config = root / "devnet.toml"
    config.write_text(
        '[cluster]\ndata_dir = "data"\n\n[[apps]]\nname = "kv-store"\n'
        f'path = "kv-store"\nwatch = true\nsnapshot = {str(snapshot).lower()}\n',
        encoding="utf-8",
    )
    return config


async def until_deployed(events: Any, version: int, nodes: int) -> float:
    """``perf_counter`` when ``AppDeployed`` of ``version`` names ``nodes`` nodes."""
    async for event in events:
        if isinstance(event, AppDeployed) and event.version == version:
            if len(event.nodes) != nodes:
                raise RuntimeError(f"v{version} runs on {event.nodes} only: {event.failed}")
            return time.perf_counter()
    raise RuntimeError("the event stream ended before the redeploy")


async def bench_redeploy(nodes: int = 5) -> None:
    """Save → running on every node, ``EDITS`` times on a ``nodes``-node cluster."""
    with tempfile.TemporaryDirectory(prefix="bench-redeploy-") as tmp:
        root = Path(tmp)
        config = load_config(write_app_config(root), Overrides(nodes=nodes, fresh=True))
        source = root / "kv-store" / "src" / "index.ts"
        text = source.read_text(encoding="utf-8")
        async with open_cluster(config, say, watch=True) as cluster:
            await asyncio.sleep(1.0)  # the watcher has started
            took = []
            for edit in range(1, EDITS + 1):
                events = cluster.events()
                waiter = asyncio.ensure_future(until_deployed(events, edit + 1, nodes))
                started = time.perf_counter()
                source.write_text(text.replace(MARKER, f"{MARKER} (edit {edit})"), "utf-8")
                try:
                    took.append(await asyncio.wait_for(waiter, EVENT_TIMEOUT_S) - started)
                finally:
                    events.close()
                await asyncio.sleep(0.5)
        print(
            f"save → redeployed on {nodes} nodes: median {statistics.median(took):.2f} s "
            f"{fmt(took)}"
        )


async def idle_cpu(cluster: Cluster) -> float:
    """Per cent of one core this process used over ``IDLE_S``, after settling."""
    del cluster  # held open by the caller; only its presence matters
    await asyncio.sleep(SETTLE_S)
    before, started = os.times(), time.perf_counter()
    await asyncio.sleep(IDLE_S)
    after, elapsed = os.times(), time.perf_counter() - started
    used = (after.user - before.user) + (after.system - before.system)
    return 100.0 * used / elapsed


async def rpc_times(url: str, context: str, method: str, args: Any) -> list[float]:
    """Milliseconds of ``RPC_CALLS`` sequential ``execute`` calls on loopback."""
    params = {"contextId": context, "method": method, "argsJson": args}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    took = []
    async with aiohttp.ClientSession(base_url=url) as session:
        for _ in range(RPC_CALLS + 20):  # 20 warm-up calls, not counted
            started = time.perf_counter()
            async with session.post("/jsonrpc", json=body) as resp:
                answer = await resp.json()
            took.append((time.perf_counter() - started) * 1000)
            if "result" not in answer:
                raise RuntimeError(f"execute {method} failed: {answer}")
    return took[20:]


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_rpc(cluster: Cluster, build: str) -> None:
    """JSON-RPC ``execute`` of the JS kv-store on node-1."""
    url = next(ref.url for ref in cluster.refs() if ref.url is not None)
    context = cluster.contexts["kv-store"]
    sets = await rpc_times(url, context, "set", {"key": "k", "value": "v"})
    gets = await rpc_times(url, context, "get", {"key": "k"})
    for name, took in (("get", gets), ("set", sets)):
        print(
            f"JSON-RPC execute {name} (JS kv-store, {build}, loopback): "
            f"p50 {pct(took, 0.5):.2f} ms, "
            f"p99 {pct(took, 0.99):.2f} ms (n={len(took)})"
        )


async def bench_idle_and_rpc() -> None:
    """Idle manager CPU with each broker (3 nodes), then JSON-RPC on the embedded one, for
    the default build and the VM snapshot build (``snapshot = true``)."""
    runs = (("embedded", False), ("mosquitto", False), ("embedded", True))
    for broker, snapshot in runs:
        with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
            root = Path(tmp)
            config = load_config(
                write_app_config(root, snapshot), Overrides(nodes=3, broker=broker, fresh=True)
            )
            async with open_cluster(config, say, watch=True) as cluster:
                if not snapshot:
                    cpu = await idle_cpu(cluster)
                    print(f"idle manager CPU, 3 nodes, {broker} broker: {cpu:.1f} % of one core")
                if broker == "embedded":
                    await bench_rpc(cluster, "VM snapshot" if snapshot else "fresh VM")


async def main() -> None:
    """Run the parts one after another (never in parallel: the machine has 2 cores)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="up runs per configuration")
    parser.add_argument(
        "--only", choices=("up", "redeploy", "idle"), help="run one part (idle includes RPC)"
    )
    args = parser.parse_args()
    if args.only in (None, "up"):
        await bench_up(max(1, min(args.repeats, 10)))
    if args.only in (None, "redeploy"):
        await bench_redeploy()
    if args.only in (None, "idle"):
        await bench_idle_and_rpc()


if __name__ == "__main__":
    asyncio.run(main())
