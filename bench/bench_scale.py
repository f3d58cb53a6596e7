"""Provides the scaling run: how each figure of a cluster grows with its node count.

Run from the repository root: ``.venv/bin/python -m bench.bench_scale [--nodes 3,10,30]``.
For each node count it brings up a cluster through the library (``open_cluster``, so this
process is the manager) running the bundled kv-store template (the JS app users run), one
context joined by every node, and measures:

* up: ``open_cluster`` entered → ready (``fresh`` data, warm toolchain and module cache);
* RSS: the sum of the node processes' VmRSS when ready, and again after the load below;
  PSS when ready, the fork server's included (``bench/memory.py``: forked nodes share its
  pages, which RSS counts in every node);
* write → visible: one ``set`` at a time on a rotating node, until every node's ``/ws``
  pushed its ``ItemSet`` event (p50, p99 in ms);
* deltas/s: every node writes ``--writes`` sets back to back; the deltas each node absorbed
  from the others per second, counted until the cluster converged;
* heal: the nodes split in two halves, ``--heal`` writes on each side, the halves converged
  apart; then the partition is lifted: seconds until every node agrees.

Then it prints the table and a text plot of each figure against the node count. Every wait
is bounded; nothing leaves 127.0.0.1; the temp dir is removed. A phase that fails prints
why and leaves its cells empty ("—"); the other phases and node counts still run. Every
cluster is stopped in a ``finally`` (nodes outlive a dead manager by design), and SIGTERM
or SIGHUP stop the run the same way Ctrl-C does; whatever still runs in the data dir is
stopped before it is removed. Only a SIGKILL of this script can leave nodes behind:
``devnet stop --data-dir`` (or ``devnet up``) finds and stops those.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp
import httpx

from bench.memory import cluster_total_mib, total_mib
from bench.scale_plot import plot
from bench.scale_visible import visible, write_many
from calimero_devnet.cluster.convergence import wait_converged
from calimero_devnet.cluster.events import ClusterEvent, Problem
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.processes import orphans
from calimero_devnet.config.load import Overrides, load_config

CONVERGE_TIMEOUT_S = 600.0
T = TypeVar("T")


@dataclass(slots=True)
class Row:
    """The figures of one node count (None: its phase failed, see ``failures``)."""

    nodes: int
    up_s: float | None = None
    rss_ready_mib: float | None = None
    pss_ready_mib: float | None = None
    rss_loaded_mib: float | None = None
    visible_p50_ms: float | None = None
    visible_p99_ms: float | None = None
    deltas_per_s: float | None = None
    heal_s: float | None = None
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end
    failures: list[str] = field(default_factory=list)


def say(event: ClusterEvent) -> None:
    """Print problems only: the figures are the output."""
    if isinstance(event, Problem):
        print(f"  problem: {event}")


def why(exc: BaseException) -> str:
    """One line saying what went wrong."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else '(no message)'}"


async def phase(row: Row, name: str, work: Awaitable[T]) -> T | None:
    """Await one phase; if it fails, say why and note it in ``row`` (None: no figure)."""
    try:
        return await work
    except Exception as exc:  # one failed phase must not hide the other figures
        row.failures.append(f"{name}: {why(exc)}")
        print(f"  {row.nodes} nodes: {name} failed: {why(exc)}", flush=True)
        return None


def stop_leftovers(data: Path) -> None:
    """Stop whatever still runs in ``data`` (a cluster whose stop failed)."""
    found = orphans.find(data)
    if found:
        stopped = orphans.stop(found)
        print(f"  stopped leftovers: {', '.join(stopped.stopped + stopped.killed)}", flush=True)


async def absorbed_per_s(
    cluster: Cluster, urls: list[str], ctx: str, writes: int, limit_s: float
) -> float:
    """Deltas each node absorbed from the others per second while every node wrote."""
    sessions = [aiohttp.ClientSession(base_url=url) for url in urls]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(
            write_many(session, ctx, f"load{i}", writes) for i, session in enumerate(sessions)
        ))  # fmt: skip
        await cluster.wait_converged(limit_s)
        elapsed = time.perf_counter() - started
    finally:
        for session in sessions:
            await session.close()
    return (len(urls) - 1) * writes / elapsed


def split(urls: list[str], half: int) -> tuple[list[str], list[str]]:
    """The URLs of the two sides of the partition."""
    return urls[:half], urls[half:]


async def converged(urls: list[str], ctx: str, limit_s: float) -> None:
    """Wait until the nodes at ``urls`` agree (the cluster's own wait spans every member)."""
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]
    try:
        await wait_converged(clients, ctx, timeout=limit_s)
    finally:
        for client in clients:
            await client.aclose()


async def heal_s(
    cluster: Cluster, urls: list[str], ctx: str, per_side: int, limit_s: float
) -> float:
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
    try:
        await asyncio.gather(*(converged(side, ctx, limit_s) for side in split(urls, half)))
    finally:
        started = time.perf_counter()
        await cluster.heal()  # even if a side failed: the cluster is whole again
    await cluster.wait_converged(limit_s)
    return time.perf_counter() - started


async def warm_up(data: Path, broker: str) -> None:
    """One untimed node: builds the app and fills the module cache the runs share."""
    config = load_config(None, Overrides(nodes=1, data_dir=data, fresh=True, broker=broker))
    async with open_cluster(config, say, control=False):
        pass


async def measure(nodes: int, data: Path, args: argparse.Namespace) -> Row:
    """Bring up ``nodes`` nodes and take every figure; always stop them."""
    row = Row(nodes)
    load_before = os.getloadavg()[0]
    overrides = Overrides(nodes=nodes, data_dir=data, fresh=True, broker=args.broker)
    config = load_config(None, overrides)
    started = time.perf_counter()
    try:
        async with open_cluster(config, say, control=False) as cluster:
            row.up_s = time.perf_counter() - started
            await take_figures(row, cluster, args)
    except Exception as exc:  # did not come up, or did not stop cleanly
        where = "up" if row.up_s is None else "stop"
        row.failures.append(f"{where}: {why(exc)}")
        print(f"  {nodes} nodes: {where} failed: {why(exc)}", flush=True)
    finally:
        stop_leftovers(data)
    row.load = (load_before, os.getloadavg()[0])
    return row


async def take_figures(row: Row, cluster: Cluster, args: argparse.Namespace) -> None:
    """Every figure of a ready cluster, phase by phase."""
    refs = cluster.refs()
    pids = [ref.pid for ref in refs if ref.pid is not None]
    urls = [ref.url for ref in refs if ref.url is not None]
    ctx, limit = cluster.context_id(), args.converge_timeout
    row.rss_ready_mib, row.pss_ready_mib = cluster_total_mib(pids, os.getpid())
    shown = await phase(row, "write → visible", visible(urls, ctx, args.rounds))
    if shown is not None:
        row.visible_p50_ms, row.visible_p99_ms = shown
    rate = absorbed_per_s(cluster, urls, ctx, args.writes, limit)
    row.deltas_per_s = await phase(row, "deltas/s", rate)
    row.heal_s = await phase(row, "heal", heal_s(cluster, urls, ctx, args.heal, limit))
    loaded = await phase(row, "RSS loaded", asyncio.to_thread(total_mib, pids))
    row.rss_loaded_mib = loaded[0] if loaded is not None else None


COLUMNS = (
    ("nodes", "nodes", "{:d}"),
    ("up_s", "up s", "{:.2f}"),
    ("rss_ready_mib", "RSS ready MiB", "{:.0f}"),
    ("pss_ready_mib", "PSS ready MiB", "{:.0f}"),
    ("rss_loaded_mib", "RSS loaded MiB", "{:.0f}"),
    ("visible_p50_ms", "visible p50 ms", "{:.1f}"),
    ("visible_p99_ms", "visible p99 ms", "{:.1f}"),
    ("deltas_per_s", "deltas/s/node", "{:.0f}"),
    ("heal_s", "heal s", "{:.2f}"),
)


def cell(value: float | None, fmt: str) -> str:
    """One figure as shown in the table ("—": its phase failed)."""
    return "—" if value is None else fmt.format(value)


def table_row(row: Row) -> str:
    """One node count's figures as a Markdown table row, then its load average."""
    cells = " | ".join(cell(getattr(row, name), fmt) for name, _, fmt in COLUMNS)
    return f"| {cells} | {row.load[0]:.1f} → {row.load[1]:.1f} |"


def table(rows: list[Row]) -> str:
    """The figures as a Markdown table, one row per node count."""
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " | load avg |"
    rule = "|" + "|".join("---" for _ in range(len(COLUMNS) + 1)) + "|"
    body = [table_row(row) for row in rows]
    per_node = [
        f"RSS per node, {row.nodes} nodes: ready {cell(per(row.rss_ready_mib, row), '{:.1f}')}"
        f" MiB (PSS {cell(per(row.pss_ready_mib, row), '{:.1f}')}), loaded "
        f"{cell(per(row.rss_loaded_mib, row), '{:.1f}')} MiB"
        for row in rows
    ]
    failed = [f"{row.nodes} nodes, {text}" for row in rows for text in row.failures]
    return "\n".join([head, rule, *body, "", *per_node, *failed])


def per(value: float | None, row: Row) -> float | None:
    """``value`` per node of ``row``."""
    return None if value is None else value / row.nodes


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
    limit = (
        f"seconds a convergence may take before its phase fails (default {CONVERGE_TIMEOUT_S:.0f})"
    )
    add("--converge-timeout", type=float, default=CONVERGE_TIMEOUT_S, help=limit)
    return parser.parse_args()


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP cancel the run like Ctrl-C, so every ``finally`` stops its cluster."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, task.cancel)


async def main() -> None:
    """One node count after another (never in parallel: the machine has 2 cores)."""
    args = parse_args()
    stop_on_signals()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        data = Path(tmp) / "data"  # one data dir: the module cache survives `fresh`
        try:
            await warm_up(data, args.broker)
            print(f"broker: {args.broker}; " + table(rows).splitlines()[0], flush=True)
            for nodes in args.nodes:
                row = await measure(nodes, data, args)
                print(table_row(row), flush=True)  # at once: a long run may be cut short
                rows.append(row)
        finally:
            stop_leftovers(data)
    print()
    print(table(rows))
    print()
    print(plot(rows, COLUMNS[1:]))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench_scale: stopped before the end; its clusters were stopped", file=sys.stderr)
        raise SystemExit(1) from None
