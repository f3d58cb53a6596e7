"""UI cost under load: 10 nodes producing 200 deltas/s in total, for ``--seconds`` per view.

The real ``DevnetApp`` runs headless (Textual's test driver: the whole compositor runs,
only the terminal writes are skipped) over a source that emits what ten real nodes'
feeds would: per delta one ``authored`` event on its author and one ``applied`` on each
of the nine others, plus a status poll twice a second. It prints, per view, the UI
process's CPU (% of one core, and µs per delta: fair to a run that fell behind), the render
tick's duration (p50/p99/max), the longest gap between two frames, and "latest": the
longest a delta waited from its arrival to the end of the frame that drew it (the target:
nothing later than 100 ms). Measured in the steady state, once the lists are full.

    python -m bench.bench_tui [--seconds 10] [--rate 200] [--nodes 10] [--views deltas,net]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from calimero_devnet.cluster.events import ClusterEvent, FeedMessage, StatusPolled
from calimero_devnet.testing.fake_cluster import FakeSource
from calimero_devnet.testing.fake_parts import fake_id
from calimero_devnet.tui.app import DevnetApp

VIEWS = ("net", "deltas", "events", "logs", "dag")
STEADY_AFTER_S = 2.0  # the lists are full by then: the steady state, not the first fill


class FloodSource(FakeSource):
    """A fake cluster whose nodes write ``rate`` deltas a second between them."""

    def __init__(self, nodes: int, rate: float) -> None:
        super().__init__(nodes)
        self.rate = rate
        self.sent = 0
        self.unseen_since: float | None = None  # when the oldest delta not yet drawn came

    async def events(self) -> AsyncIterator[ClusterEvent]:
        self.start_up()
        flood = asyncio.create_task(self._flood())
        try:
            async for event in super().events():
                yield event
        finally:
            flood.cancel()

    async def _flood(self) -> None:
        names = list(self.nodes)
        started = time.perf_counter()
        while True:
            due = int((time.perf_counter() - started) * self.rate)
            for _ in range(min(due - self.sent, int(self.rate / 50) + 1)):  # no bursts
                self._one(names[self.sent % len(names)], names)
                self.sent += 1
            if self.sent % max(1, int(self.rate / 2)) == 0:
                self.emit(StatusPolled(self._status()))
            await asyncio.sleep(0.01)

    def _one(self, author: str, names: list[str]) -> None:
        if self.unseen_since is None:
            self.unseen_since = time.perf_counter()
        delta = fake_id("flood", self.sent)
        base: dict[str, Any] = {"ts": 0, "context": self.context_id, "delta": delta}
        summary = f'items["k{self.sent}"] = "v"'
        authored = {**base, "event": "authored", "parents": [], "kind": "host-actions",
                    "actions": 1, "summary": summary}  # fmt: skip
        self.emit(FeedMessage(author, (authored,)))
        for peer in names:
            if peer != author:
                item = {**base, "event": "applied", "from": author, "count": 1, "deltas": [delta]}
                self.emit(FeedMessage(peer, (item,)))


async def measure(view: str, nodes: int, rate: float, seconds: float) -> dict[str, float]:
    source = FloodSource(nodes, rate)
    app = DevnetApp(source.cluster_id, source.node_names(), source=source, tail_logs=False)
    durations: list[float] = []
    frames: list[float] = []
    staleness: list[float] = []  # per frame: how long its oldest new delta waited to be drawn
    inner = app.render_now

    def timed(*, everything: bool = False) -> None:
        start = time.perf_counter()
        inner(everything=everything)
        end = time.perf_counter()
        durations.append(end - start)
        frames.append(start)
        if source.unseen_since is not None:
            staleness.append(end - source.unseen_since)
            source.unseen_since = None

    app.render_now = timed  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.5)
        app.show_view(view)
        await pilot.pause(STEADY_AFTER_S)
        for kept in (durations, frames, staleness):
            kept.clear()
        cpu, wall, sent = time.process_time(), time.perf_counter(), source.sent
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sent = source.sent - sent
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    ordered = sorted(durations)
    return {
        "cpu": 100 * cpu / wall,
        "p50": 1000 * statistics.median(ordered),
        "p99": 1000 * ordered[int(len(ordered) * 0.99) - 1],
        "max": 1000 * ordered[-1],
        "gap": 1000 * max(gaps),
        "late": 1000 * max(staleness),
        "rate": sent / wall,
        "per": 1e6 * cpu / max(1, sent),  # µs of CPU per delta: fair when a run falls behind
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--views", default=",".join(VIEWS), help="comma-separated, of: %(default)s")
    args = parser.parse_args()
    print(f"{args.nodes} nodes, {args.rate:g} deltas/s in total ({args.rate * args.nodes:g} "
          f"feed events/s), {args.seconds:g} s per view, 160x48, headless driver")  # fmt: skip
    print(f"{'view':<8} {'UI CPU':>7} {'tick p50':>9} {'p99':>7} {'max':>7} {'max gap':>8} "
          f"{'latest':>7} {'deltas/s':>9} {'CPU/delta':>10}")  # fmt: skip
    views = args.views.split(",")
    if unknown := sorted(set(views) - set(VIEWS)):
        parser.error(f"unknown view {', '.join(unknown)}; known: {', '.join(VIEWS)}")
    for view in views:
        r = asyncio.run(measure(view, args.nodes, args.rate, args.seconds))
        print(f"{view:<8} {r['cpu']:>6.1f}% {r['p50']:>7.2f}ms {r['p99']:>5.2f}ms "
              f"{r['max']:>5.1f}ms {r['gap']:>6.1f}ms {r['late']:>5.1f}ms "
              f"{r['rate']:>9.0f} {r['per']:>8.0f}µs")  # fmt: skip


if __name__ == "__main__":
    main()
