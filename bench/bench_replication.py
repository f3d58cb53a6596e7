"""Benchmark replication between node processes on loopback, amqtt against mosquitto.

Run from the repository root: ``.venv/bin/python -m bench.bench_replication [HEAL_N]
[--app wat|js|both] [--brokers amqtt,mosquitto] [--against DIR]``. For each broker (started
by the bench on a free loopback port) and each app (the hand-written WAT kv-store, and the
JS kv-store template built by the toolchain: what users run) it starts ``NODES`` nodes in
one context, then measures:

* write → visible: one ``set`` at a time on a rotating node; the time until every node's
  ``/ws`` pushed the ``StateMutation`` carrying that key (p50, p99);
* sustained: ``WRITERS`` clients per node write back to back; deltas each node absorbed
  per second, counted until every node converged, and the CPU time all node processes used
  per delta written (``/proc``; a shared machine disturbs it least);
* heal: nodes split in two groups, ``HEAL_N`` writes on each side, then the rules are
  lifted; seconds from healing until every node has the same heads, root and no pending;
* RSS of each node process at the end.

``--against DIR`` (a checkout of the commit before, e.g. ``git archive main | tar -x -C
DIR``) runs every case twice, on this checkout's nodes and DIR's back to back under the same
load (which goes first alternates from case to case), and prints the before/after
ratios. Every loop is bounded; nothing leaves 127.0.0.1.
The load generator is aiohttp's client.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import aiohttp

from bench.replication_setup import (
    APPS,
    CLUSTER,
    Side,
    app_wasm,
    body,
    cluster,
    converge,
    cpu_s,
    percentile,
    ratio_table,
    rss_mib,
    sides,
    watching,
)
from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.bus.session import publish_net_rules
from tests.integration.node_process import NodeProcess

NODES = 5
LATENCY_ROUNDS = 200
WRITERS = 2
SUSTAINED_PER_WRITER = 100
HEAL_N = 1000
BrokerOpener = Callable[..., AbstractAsyncContextManager[BrokerHandle]]
BROKERS: dict[str, BrokerOpener] = {"amqtt": open_embedded_broker, "mosquitto": open_mosquitto}
FIGURES = [
    ("p50", "write→visible p50 (ms)", False),
    ("p99", "write→visible p99 (ms)", False),
    ("rate", "sustained deltas/s per node", True),
    ("cpu", "node CPU per delta, all nodes (ms)", False),
    ("heal", "heal (s)", False),
    ("rss", "RSS per node (MiB)", False),
]


async def latency(nodes: list[NodeProcess], ctx: str) -> tuple[float, float]:
    """p50 and p99 (ms) of write → visible on every node."""
    samples = []
    sessions = [aiohttp.ClientSession(base_url=n.url) for n in nodes]
    try:
        async with watching(nodes, ctx) as seen:
            for round_ in range(LATENCY_ROUNDS):
                key = f"lat-{round_}"
                started = time.perf_counter()
                session = sessions[round_ % len(nodes)]
                async with session.post("/jsonrpc", json=body(ctx, key, "v")) as r:
                    await r.read()
                await seen.wait(key)
                samples.append((seen.visible_at(key) - started) * 1000)
    finally:
        for session in sessions:
            await session.close()
    return percentile(samples, 50), percentile(samples, 99)


async def write_many(url: str, ctx: str, prefix: str, count: int) -> None:
    """``count`` sets, each acknowledged before the next."""
    async with aiohttp.ClientSession(base_url=url) as session:
        for n in range(count):
            async with session.post("/jsonrpc", json=body(ctx, f"{prefix}-{n}", str(n))) as r:
                assert "result" in await r.json()


async def sustained(nodes: list[NodeProcess], ctx: str) -> tuple[float, float]:
    """Deltas per second each node absorbed while every node wrote, and the node CPU (ms,
    all nodes) per delta written."""
    pids = [n.proc.pid for n in nodes]
    cpu_before = cpu_s(pids)
    started = time.perf_counter()
    await asyncio.gather(*(
        write_many(n.url, ctx, f"s{i}-{w}", SUSTAINED_PER_WRITER)
        for i, n in enumerate(nodes) for w in range(WRITERS)
    ))  # fmt: skip
    await converge(nodes, ctx)
    remote_per_node = (len(nodes) - 1) * WRITERS * SUSTAINED_PER_WRITER
    rate = remote_per_node / (time.perf_counter() - started)
    written = len(nodes) * WRITERS * SUSTAINED_PER_WRITER
    return rate, (cpu_s(pids) - cpu_before) * 1000 / written


async def heal(broker: BrokerHandle, nodes: list[NodeProcess], ctx: str, count: int) -> float:
    """Seconds to converge after healing a partition with ``count`` writes on each side."""
    half = len(nodes) // 2 + 1
    left, right = nodes[:half], nodes[half:]
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


async def run(kind: str, app: str, wasm: Path, side: Side, heal_n: int) -> dict[str, float]:
    """Every measurement against one broker and one app; print and return the figures."""
    tag = f"{kind:9} {app:3} {side.label:6}"
    with tempfile.TemporaryDirectory(prefix="bench-repl-") as tmp:
        root = Path(tmp)
        opener = BROKERS[kind]
        async with (
            opener(workdir=root) as broker,
            cluster(broker, root, wasm, NODES, side.repo) as (nodes, ctx),
        ):
            p50, p99 = await latency(nodes, ctx)
            print(f"{tag} write→visible on {NODES} nodes: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            rate, cpu = await sustained(nodes, ctx)
            print(f"{tag} sustained: {rate:,.0f} deltas/s absorbed per node; node CPU "
                  f"{cpu:.2f} ms per delta written (all nodes)")  # fmt: skip
            healed = await heal(broker, nodes, ctx, heal_n)
            print(f"{tag} heal after {heal_n:,} writes per side: converged in {healed:.2f} s")
            rss = [rss_mib(n.proc.pid) for n in nodes]
            print(f"{tag} RSS per node: {statistics.mean(rss):.0f} MiB (max {max(rss):.0f})")
    rss_mean = statistics.mean(rss)
    return {"p50": p50, "p99": p99, "rate": rate, "cpu": cpu, "heal": healed, "rss": rss_mean}


def parse_args() -> argparse.Namespace:
    """The bench's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("heal_n", nargs="?", type=int, default=HEAL_N)
    parser.add_argument("--app", choices=[*APPS, "both"], default="both")
    parser.add_argument("--brokers", default="amqtt,mosquitto")
    parser.add_argument("--against", type=Path, help="a checkout to compare with")
    return parser.parse_args()


async def main() -> None:
    """Each broker and app, this checkout then (with ``--against``) the other one."""
    args = parse_args()
    apps = APPS if args.app == "both" else (args.app,)
    results: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-repl-apps-") as tmp:
        wasms = {app: app_wasm(app, Path(tmp)) for app in apps}
        cases = [(kind, app) for kind in args.brokers.split(",") for app in apps]
        for turn, (kind, app) in enumerate(cases):
            for side in sides(args.against, turn):
                figures = await run(kind, app, wasms[app], side, args.heal_n)
                results.setdefault((kind, app), {})[side.label] = figures
    if args.against is not None:
        for (kind, app), rows in results.items():
            print(f"\n{kind}, {app} kv-store, {NODES} nodes: before = {args.against}")
            print("\n".join(ratio_table(rows, FIGURES)))


if __name__ == "__main__":
    asyncio.run(main())
