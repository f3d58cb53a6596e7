"""Benchmarks `devnet build`: cold and warm builds, one-line incremental rebuilds, module size.

    python bench/bench_toolchain.py [--temp-cache] [--rebuilds 10]

(The cost of a call of a built app is measured through the node runtime by
``bench/bench_js_app.py``.)

``--temp-cache`` points CALIMERO_DEVNET_CACHE at an empty folder, so the first build runs
every one-time step (download, QuickJS, wasi-libc, npm); without it a cold build is only
measured when the cache is empty anyway.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
from pathlib import Path

from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.cache import CACHE_ENV, cache_root

APP = Path(__file__).parents[1] / "tests" / "fixtures" / "apps" / "smoke"
MASK = 0xFFFF_FFFF_FFFF_FFFF


def timed_build(app: Path, out: Path) -> BuildResult:
    return build_app(app, out_dir=out, progress=lambda line: print(f"    {line}"))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (less load-bound than wall time)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def incremental(
    app: Path, out: Path, runs: int
) -> tuple[list[float], dict[str, float], list[float]]:
    """Rebuild ``runs`` times, each after changing one line of the app; return the wall
    totals, the median phases and the CPU seconds of each rebuild."""
    entry = app / "src" / "index.ts"
    original = entry.read_text()
    totals, phases, cpu = [], [], []
    for n in range(runs):
        entry.write_text(original.replace("return 'pong';", f"return 'pong {n}';"))
        before = cpu_seconds()
        result = build_app(app, out_dir=out)
        cpu.append(cpu_seconds() - before)
        totals.append(result.duration)
        phases.append(result.timings)
    entry.write_text(original)
    median = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    return totals, median, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--temp-cache", action="store_true", help="measure a cold first build")
    parser.add_argument("--rebuilds", type=int, default=10)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-toolchain-"))
    try:
        run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, scratch: Path) -> None:
    """Build a copy of the fixture app in ``scratch`` and print the figures."""
    if args.temp_cache:
        os.environ[CACHE_ENV] = str(scratch / "cache")
    app = scratch / "app"
    shutil.copytree(APP, app)
    cold = not any(cache_root().glob("engine-*/ready.json"))
    print(f"cache: {cache_root()} ({'empty: cold build' if cold else 'warm'})")
    first = timed_build(app, scratch / "out0")
    label = "cold first build" if first.ran_steps else "first build (cache warm)"
    steps = ", ".join(
        f"{k.split(':')[1]} {v:.1f} s" for k, v in first.timings.items() if k.startswith("setup:")
    )
    print(f"{label}: {first.duration:.1f} s (one-time steps: {steps or 'none'})")
    warm = [timed_build(app, scratch / f"out{n}").duration for n in range(1, 4)]
    print(f"warm full build (fresh out dir): median {statistics.median(warm) * 1e3:.0f} ms")
    totals, phases, cpu = incremental(app, scratch / "out1", args.rebuilds)
    parts = ", ".join(f"{k} {v * 1e3:.0f}" for k, v in phases.items() if k != "total")
    median_ms = statistics.median(totals) * 1e3
    cpu_ms = statistics.median(cpu) * 1e3
    print(f"incremental rebuild after a one-line change: median {median_ms:.0f} ms "
          f"(n={len(totals)}; {parts} ms; CPU median {cpu_ms:.0f} ms)")  # fmt: skip
    kind = "VM snapshot" if first.snapshot else "fresh VM"
    print(f"wasm size: {first.size / 1024:.0f} KiB ({first.size} bytes, {kind}, no wasm-opt)")


if __name__ == "__main__":
    main()
