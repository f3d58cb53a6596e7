"""Load test of a 3-node cluster from outside: 9 writers, mosquitto, the compiled JS app.

Run from the repository root: ``.venv/bin/python -m bench.bench_load [--sets N]
[--app js|wat] [--against DIR]``. It starts ``NODES`` node processes on mosquitto (started
by the bench on a free loopback port), installs the JS kv-store template built by the
toolchain (or the WAT kv-store), joins one context everywhere and subscribes to every
node's ``/ws``. Then:

* load: ``WRITERS`` clients (spread over the nodes) each send ``--sets`` ``set`` calls back
  to back. Accepted sets/s counts acknowledged calls; replicated sets/s counts until the last
  key was pushed by every node's ``/ws``; write → visible is, per call, from its request to
  the push of the last node (p50, p99). Visibility comes from the WebSocket pushes, so the
  bench does not measure its own polling. Node CPU per set is the CPU time all node
  processes used meanwhile (``/proc``), divided by the sets: the figure that a shared
  machine disturbs least;
* rpc: ``RPC_CALLS`` sequential ``execute set`` calls on node-1 with the others replicating
  them (p50, p99 of the HTTP round trip).

``--against DIR`` runs the same cases on DIR's code (another checkout) next to this one's
and prints the before/after ratios; ``--rounds N`` repeats that, alternating which goes
first, and compares the medians. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.replication_setup import (
    APPS,
    Side,
    Visibility,
    app_wasm,
    body,
    cluster,
    cpu_s,
    medians,
    percentile,
    ratio_table,
    sides,
    watching,
)
from calimero_devnet.cluster.processes.broker import open_mosquitto
from tests.integration.node_process import NodeProcess

NODES = 3
WRITERS = 9
SETS = 200
RPC_CALLS = 300
FIGURES = [
    ("accepted", "sets/s accepted", True),
    ("replicated", "sets/s replicated to all", True),
    ("p50", "write→visible p50 (ms)", False),
    ("p99", "write→visible p99 (ms)", False),
    ("cpu", "node CPU per set, all nodes (ms)", False),
    ("rpc_p50", "execute set node-1 p50 (ms)", False),
    ("rpc_p99", "execute set node-1 p99 (ms)", False),
]


async def writer(url: str, ctx: str, prefix: str, count: int, sent: dict[str, float]) -> None:
    """``count`` sets, each acknowledged before the next; note when each was sent."""
    async with aiohttp.ClientSession(base_url=url) as session:
        for n in range(count):
            key = f"{prefix}-{n}"
            sent[key] = time.perf_counter()
            async with session.post("/jsonrpc", json=body(ctx, key, str(n))) as r:
                assert "result" in await r.json(), key


async def load(nodes: list[NodeProcess], ctx: str, seen: Visibility, sets: int) -> dict[str, float]:
    """Every writer at once; throughput and write → visible."""
    sent: dict[str, float] = {}
    pids = [n.proc.pid for n in nodes]
    cpu_before = cpu_s(pids)
    started = time.perf_counter()
    await asyncio.gather(*(
        writer(nodes[w % len(nodes)].url, ctx, f"w{w}", sets, sent) for w in range(WRITERS)
    ))  # fmt: skip
    accepted_at = time.perf_counter()
    for key in sent:
        await seen.wait(key)
    visible = {key: seen.visible_at(key) for key in sent}
    cpu = cpu_s(pids) - cpu_before
    samples = [(visible[key] - sent[key]) * 1000 for key in sent]
    total = len(sent)
    return {
        "accepted": total / (accepted_at - started),
        "replicated": total / (max(visible.values()) - started),
        "p50": percentile(samples, 50),
        "p99": percentile(samples, 99),
        "cpu": cpu * 1000 / total,
    }


async def rpc(node: NodeProcess, ctx: str) -> dict[str, float]:
    """Sequential ``execute set`` round trips on one node."""
    samples = []
    async with aiohttp.ClientSession(base_url=node.url) as session:
        for n in range(RPC_CALLS):
            started = time.perf_counter()
            async with session.post("/jsonrpc", json=body(ctx, f"rpc-{n}", "v")) as r:
                assert "result" in await r.json()
            samples.append((time.perf_counter() - started) * 1000)
    return {"rpc_p50": percentile(samples, 50), "rpc_p99": percentile(samples, 99)}


async def run(app: str, wasm: Path, side: Side, sets: int) -> dict[str, float]:
    """Both measurements on a fresh cluster; print and return the figures."""
    tag = f"{app:3} {side.label:6}"
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        root = Path(tmp)
        async with (
            open_mosquitto(workdir=root) as broker,
            cluster(broker, root, wasm, NODES, side.repo) as (nodes, ctx),
            watching(nodes, ctx) as seen,
        ):
            figures = await load(nodes, ctx, seen, sets)
            print(f"{tag} {WRITERS} writers, {sets} sets each, on {NODES} nodes: "
                  f"{figures['accepted']:,.0f} sets/s accepted, "
                  f"{figures['replicated']:,.0f} /s replicated to all; write→visible "
                  f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms; node CPU "
                  f"{figures['cpu']:.2f} ms per set (all nodes)")  # fmt: skip
            figures |= await rpc(nodes[0], ctx)
            print(f"{tag} execute set on node-1 of {NODES}: "
                  f"p50 {figures['rpc_p50']:.2f} ms, p99 {figures['rpc_p99']:.2f} ms")  # fmt: skip
    return figures


def parse_args() -> argparse.Namespace:
    """The bench's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=SETS, help="sets per writer")
    parser.add_argument("--app", choices=APPS, default="js")
    parser.add_argument("--against", type=Path, help="a checkout to compare with")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each side")
    return parser.parse_args()


async def main() -> None:
    """This checkout, then (with ``--against``) the other one, then the ratios."""
    args = parse_args()
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-app-") as tmp:
        wasm = app_wasm(args.app, Path(tmp))
        for turn in range(args.rounds):
            for side in sides(args.against, turn):
                runs.setdefault(side.label, []).append(await run(args.app, wasm, side, args.sets))
    rows = {label: medians(figures) for label, figures in runs.items()}
    if args.rounds > 1:
        for label, row in rows.items():
            print(f"median of {args.rounds} rounds, {label}: " + ", ".join(
                f"{key} {value:,.2f}" for key, value in row.items()))  # fmt: skip
    if args.against is not None:
        print(f"\nmosquitto, {args.app} kv-store, {NODES} nodes: before = {args.against}")
        print("\n".join(ratio_table(rows, FIGURES)))


if __name__ == "__main__":
    asyncio.run(main())
