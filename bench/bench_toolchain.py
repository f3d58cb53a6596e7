"""Benchmarks `devnet build`: cold and warm builds, one-line incremental rebuilds, module
size, and the cost of a call on a fresh wasmtime instance (with fuel).

    python bench/bench_toolchain.py [--temp-cache] [--rebuilds 10] [--calls 200]

``--temp-cache`` points CALIMERO_DEVNET_CACHE at an empty folder, so the first build runs
every one-time step (download, QuickJS, wasi-libc, npm); without it a cold build is only
measured when the cache is empty anyway.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.cache import CACHE_ENV, cache_root

APP = Path(__file__).parents[1] / "tests" / "fixtures" / "apps" / "smoke"
MASK = 0xFFFF_FFFF_FFFF_FFFF


def timed_build(app: Path, out: Path) -> BuildResult:
    return build_app(app, out_dir=out, progress=lambda line: print(f"    {line}"))


def incremental(app: Path, out: Path, runs: int) -> tuple[list[float], dict[str, float]]:
    """Rebuild ``runs`` times, each after changing one line of the app."""
    entry = app / "src" / "index.ts"
    original = entry.read_text()
    totals, phases = [], []
    for n in range(runs):
        entry.write_text(original.replace("return 'pong';", f"return 'pong {n}';"))
        result = build_app(app, out_dir=out)
        totals.append(result.duration)
        phases.append(result.timings)
    entry.write_text(original)
    median = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    return totals, median


def call_times(wasm: Path, calls: int) -> tuple[float, float, int]:
    """Return (median ms, p90 ms, fuel) of `ping` on a fresh Store + Instance per call."""
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, str(wasm))
    linker = wasmtime.Linker(engine)
    state: dict[str, object] = {}

    def memory() -> wasmtime.Memory:
        mem = state["memory"]
        assert isinstance(mem, wasmtime.Memory)
        return mem

    def buf(store: wasmtime.Store | wasmtime.Caller, addr: int) -> tuple[int, int]:
        raw = bytes(memory().read(store, addr & MASK, (addr & MASK) + 16))
        ptr, length = struct.unpack("<QQ", raw)
        return ptr, length

    regs: dict[int, bytes] = {}

    def read_register(caller: wasmtime.Caller, reg: int, addr: int) -> int:
        memory().write(caller, regs[reg & MASK], buf(caller, addr)[0])
        return 1

    host: dict[str, Callable[..., object]] = {
        "input": lambda c, r: regs.__setitem__(r & MASK, b"{}"),
        "register_len": lambda c, r: len(regs[r & MASK]) if (r & MASK) in regs else -1,
        "read_register": read_register,
        "value_return": lambda c, v: None,
        "log_utf8": lambda c, b: None,
    }
    for imp in module.imports:
        ty, name = imp.type, imp.name or ""
        assert isinstance(ty, wasmtime.FuncType)
        impl = host.get(name) if imp.module == "env" else None

        def trap(*_args: object, _name: str = name) -> None:
            raise wasmtime.WasmtimeError(f"{_name} is not provided by the benchmark")

        func: Callable[..., object] = impl or trap
        linker.define_func(imp.module, name, ty, func, access_caller=impl is not None)
    samples, fuel = [], 0
    for _ in range(calls):
        store = wasmtime.Store(engine)
        store.set_fuel(10**10)
        start = time.perf_counter()
        instance = linker.instantiate(store, module)
        state["memory"] = instance.exports(store)["memory"]
        ping = instance.exports(store)["ping"]
        assert isinstance(ping, wasmtime.Func)
        ping(store)
        samples.append(time.perf_counter() - start)
        fuel = 10**10 - store.get_fuel()
    samples.sort()
    return statistics.median(samples) * 1e3, samples[int(len(samples) * 0.9)] * 1e3, fuel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--temp-cache", action="store_true", help="measure a cold first build")
    parser.add_argument("--rebuilds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-toolchain-"))
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
    totals, phases = incremental(app, scratch / "out1", args.rebuilds)
    parts = ", ".join(f"{k} {v * 1e3:.0f}" for k, v in phases.items() if k != "total")
    median_ms = statistics.median(totals) * 1e3
    print(f"incremental rebuild after a one-line change: median {median_ms:.0f} ms "
          f"(n={len(totals)}; {parts} ms)")  # fmt: skip
    print(f"wasm size: {first.size / 1024:.0f} KiB ({first.size} bytes, no wasm-opt)")
    call_ms, p90_ms, fuel = call_times(first.wasm_path, args.calls)
    print(f"fresh-instance call of `ping`: median {call_ms:.2f} ms, p90 {p90_ms:.2f} ms, "
          f"{fuel / 1e6:.2f} M fuel (n={args.calls})")  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
