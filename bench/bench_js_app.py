"""Provides a measurement of the TypeScript kv-store template in process: p50/p99 of get/set.

Run: ``.venv/bin/python bench/bench_js_app.py [calls]``. The template is built by the real
toolchain (into a temporary folder) twice, without and with the build-time VM snapshot
(``build_app(snapshot=...)``; the snapshot is the default build), then each build is timed
two ways, each call in a fresh wasmtime instance (a fresh QuickJS VM, or a fresh copy of
the snapshotted one):

- ``runtime``: ``Runtime.call`` with a host-collections session over an in-memory store
  (the SDK's work: VM start, bytecode load, root document, collection host calls);
- ``node``: ``NodeCore.execute`` on a real store (adds the commit: RocksDB batch, delta,
  signature, digest).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bench.timing import measure
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS, EXTENSION
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.runtime import CallEnv, LoadedApp, Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.templates import template_dir
from calimero_devnet.testing.collections_node import SimNode
from calimero_devnet.toolchain import build_app
from calimero_devnet.toolchain.build import SNAPSHOT_DEFAULT

KEYS = 100


def set_args(i: int) -> bytes:
    """The arguments of ``set`` for call ``i`` (one of ``KEYS`` keys)."""
    return f'{{"key":"key{i % KEYS}","value":"value {i}"}}'.encode()


def get_args(i: int) -> bytes:
    """The arguments of ``get`` for call ``i``."""
    return f'{{"key":"key{i % KEYS}"}}'.encode()


def runtime_call(runtime: Runtime, app: LoadedApp, node: SimNode) -> Callable[[str, bytes], int]:
    """Return ``call(method, args)``: one call over ``node``'s store, writes persisted; it
    returns the fuel the call used (wasm instructions: stable where wall time is noisy)."""

    def call(method: str, args: bytes) -> int:
        overlay = Overlay(node.kv)
        session = CollectionsSession(overlay, node.executor, node.tick)
        env = CallEnv(context_id=bytes(32), executor_id=node.executor, state=node.kv,
                      time_now=time.time_ns, random_bytes=os.urandom,
                      extensions={EXTENSION: session})  # fmt: skip
        outcome = runtime.call(app, method, args, env)
        node.kv.write_batch(overlay.writes)
        return outcome.fuel_used

    return call


def report(name: str, calls: int, run: Callable[[int], object]) -> float:
    """Print one line of figures; return the p50 (ms)."""
    p50, p99 = measure(calls, run)
    print(f"{name}: p50 {p50:.3f} ms  p99 {p99:.3f} ms  ({calls} calls)")
    return p50


def bench_build(tmp: Path, calls: int, *, snapshot: bool) -> dict[str, float]:
    """Build the template (with or without the VM snapshot) and time it; return the p50s
    and the fuel per call by name."""
    label = "snapshot" if snapshot else "fresh VM"
    started = time.perf_counter()
    built = build_app(template_dir("kv-store"), out_dir=tmp / "build", snapshot=snapshot)
    wall = (time.perf_counter() - started) * 1e3
    print(f"[{label}] build: {built.duration * 1e3:.0f} ms, {built.size:,} bytes "
          f"({built.size / 1024:.0f} KiB, wall {wall:.0f} ms)")  # fmt: skip
    wasm = built.wasm_path.read_bytes()
    runtime = Runtime(tmp / "cache", extra_imports=COLLECTION_IMPORTS)
    app = runtime.load(wasm)
    call = runtime_call(runtime, app, SimNode(0))
    call("init", b"{}")
    for i in range(KEYS):
        call("set", set_args(i))
    figures = {
        "runtime get": report(f"[{label}] runtime get", calls, lambda i: call("get", get_args(i))),
        "runtime set": report(f"[{label}] runtime set", calls, lambda i: call("set", set_args(i))),
    }
    fuel = {m: call(m, set_args(0) if m == "set" else get_args(0)) for m in ("get", "set")}
    print(f"[{label}] fuel per call: get {fuel['get']:,}  set {fuel['set']:,}")
    figures.update({f"fuel {m}": float(v) for m, v in fuel.items()})
    with NodeCore.open(tmp / "node", index=1, runtime=runtime) as core:
        ctx = core.create_context(core.install_application(wasm, source="bench")).id
        for i in range(KEYS):
            core.execute(ctx, "set", set_args(i))
        run_get = lambda i: core.execute(ctx, "get", get_args(i))  # noqa: E731
        run_set = lambda i: core.execute(ctx, "set", set_args(i))  # noqa: E731
        figures["node get"] = report(f"[{label}] node get", calls, run_get)
        figures["node set"] = report(f"[{label}] node set", calls, run_set)
    return figures


def main() -> None:
    """Build the template both ways, fill ``KEYS`` keys, time get and set, print ratios."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        fresh = bench_build(Path(tmp) / "fresh", calls, snapshot=False)
        snap = bench_build(Path(tmp) / "snapshot", calls, snapshot=True)
    for name, before in fresh.items():
        print(f"snapshot/fresh {name}: {snap[name] / before:.2f}x")
    print(f"the default build is the {'snapshot' if SNAPSHOT_DEFAULT else 'fresh VM'} one")


if __name__ == "__main__":
    main()
