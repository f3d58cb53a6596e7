"""Measures a catch-up's apply on one node: peer deltas one batch each against runs of them.

Run from the repository root: ``.venv/bin/python -m bench.bench_apply [N] [--rounds R]``.
Node a (the bundled kv-store template, built by the toolchain) writes N sets; node b, a
fresh member with a's genesis, applies them in causal order through ``NodeCore``:

* one by one: ``apply_delta`` per delta, each its own store batch (what every applied
  delta cost before runs);
* in runs: ``remote_run`` over ``RUN_LIMIT`` deltas at a time, one batch each (what the
  replication engine does with a catch-up's reply).

Each round applies both ways on fresh copies of b, alternating which goes first, and
prints CPU and wall time per delta; the ratio is of the medians. No bus and no
verification here: only the core's apply and the store (what ``bench_heal`` adds around
it is the rest of a heal).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.replication.apply import RUN_LIMIT
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.templates import template_dir
from calimero_devnet.toolchain import build_app
from tests.node.core_helpers import join

Applier = Callable[[NodeCore, bytes, list[CausalDelta]], None]


def one_by_one(node: NodeCore, ctx: bytes, deltas: list[CausalDelta]) -> None:
    """Each delta in its own batch."""
    for delta in deltas:
        node.apply_delta(delta)


def in_runs(node: NodeCore, ctx: bytes, deltas: list[CausalDelta]) -> None:
    """``RUN_LIMIT`` deltas per batch, as the engine applies a catch-up."""
    for start in range(0, len(deltas), RUN_LIMIT):
        run = node.remote_run(ctx)
        for delta in deltas[start : start + RUN_LIMIT]:
            run.apply(delta)
        run.commit()


def prepare(
    tmp: Path, runtime: Runtime, wasm: bytes, sets: int
) -> tuple[bytes, list[CausalDelta], bytes | None]:
    """Node a's context, the deltas of its ``sets`` sets and its root after them;
    ``tmp/b-genesis`` is node b holding that context as it was before them (a member, as a
    snapshot leaves it)."""
    with NodeCore.open(tmp / "a", index=1, runtime=runtime) as a:
        ctx = a.create_context(a.install_application(wasm, source="bench")).id
        with NodeCore.open(tmp / "b-genesis", index=2, runtime=runtime) as b:
            join(a, b, ctx)
        deltas = []
        for i in range(sets):
            args = f'{{"key":"key-{i % 97}","value":"value {i}"}}'.encode()
            delta = a.execute(ctx, "set", args).delta
            assert delta is not None
            deltas.append(delta)
        return ctx, deltas, a.context(ctx).root_hash


@dataclass(frozen=True)
class Setup:
    """What every timing applies: node b's genesis in ``tmp``, the context, its deltas."""

    tmp: Path
    runtime: Runtime
    ctx: bytes
    deltas: list[CausalDelta]
    root: bytes | None


def timed(applier: Applier, setup: Setup, name: str) -> tuple[float, float]:
    """(CPU s, wall s) of ``applier`` on a fresh copy of the genesis member."""
    tmp, runtime, ctx, deltas = setup.tmp, setup.runtime, setup.ctx, setup.deltas
    shutil.copytree(tmp / "b-genesis", tmp / name)
    with NodeCore.open(tmp / name, index=2, runtime=runtime) as node:
        cpu, wall = time.process_time(), time.perf_counter()
        applier(node, ctx, deltas)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = node.context(ctx)
        assert (after.heads, after.root_hash) == ((deltas[-1].id,), setup.root)
    shutil.rmtree(tmp / name)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="?", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as folder:
        tmp = Path(folder)
        wasm = build_app(template_dir("kv-store"), out_dir=tmp / "build").wasm_path.read_bytes()
        runtime = Runtime(tmp / "cache", extra_imports=COLLECTION_IMPORTS)
        setup = Setup(tmp, runtime, *prepare(tmp, runtime, wasm, options.sets))
        results: dict[str, list[tuple[float, float]]] = {"one by one": [], "in runs": []}
        appliers: list[tuple[str, Applier]] = [("one by one", one_by_one), ("in runs", in_runs)]
        for round_ in range(options.rounds):
            for name, applier in appliers if round_ % 2 == 0 else appliers[::-1]:
                results[name].append(timed(applier, setup, f"b{round_}"))
        report(results, len(setup.deltas))


def report(results: dict[str, list[tuple[float, float]]], count: int) -> None:
    medians = {}
    for name, samples in results.items():
        cpu = statistics.median(s[0] for s in samples) / count * 1e6
        wall = statistics.median(s[1] for s in samples) / count * 1e6
        medians[name] = cpu
        shown = ", ".join(f"{s[0] / count * 1e6:.0f}" for s in samples)
        print(f"{name:>10}: CPU {cpu:6.0f} µs/delta [{shown}]  wall {wall:6.0f} µs/delta")
    print(f"runs of {RUN_LIMIT}: one by one / in runs (CPU) = "
          f"{medians['one by one'] / medians['in runs']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
