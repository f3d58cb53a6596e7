"""Provides a measurement of in-process runtime calls: p50/p99 of kv-store get and set.

Run: ``.venv/bin/python bench/bench_runtime.py [calls]``. Each call is a full
``Runtime.call``: a fresh Store and Instance, the register/storage host calls, and the
outcome; the state is a plain dict that committed writes are applied to.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bench.timing import measure
from calimero_devnet.node.runtime import CallEnv, CallOutcome, Runtime
from tests.fixtures import load_wat


class DictState(dict[bytes, bytes]):
    """A context's committed state; ``apply`` persists a committed outcome."""

    def apply(self, outcome: CallOutcome) -> None:
        """Persist the writes of a committed call."""
        if outcome.committed:
            for key, value in outcome.writes.items():
                if value is None:
                    self.pop(key, None)
                else:
                    self[key] = value


def main() -> None:
    """Load the kv-store app, fill 100 keys, then time get and set."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    state, clock = DictState(), iter(range(1, 10**12))
    env = CallEnv(
        context_id=bytes(32),
        executor_id=bytes(range(32)),
        state=state,
        time_now=lambda: next(clock),
        random_bytes=os.urandom,
    )
    runtime = Runtime(None)
    started = time.perf_counter()
    app = runtime.load(load_wat("kv_store"))
    print(f"load (compile): {(time.perf_counter() - started) * 1e3:.1f} ms")
    state.apply(runtime.call(app, "init", b"{}", env))
    for i in range(100):
        args = f'{{"key":"key{i}","value":"value {i}"}}'.encode()
        state.apply(runtime.call(app, "set", args, env))

    def get(i: int) -> None:
        runtime.call(app, "get", f'{{"key":"key{i % 100}"}}'.encode(), env)

    def set_(i: int) -> None:
        args = f'{{"key":"key{i % 100}","value":"new {i}"}}'.encode()
        state.apply(runtime.call(app, "set", args, env))

    for name, run in (("get", get), ("set", set_)):
        p50, p99 = measure(calls, run, warmup=50)
        print(f"{name}: p50 {p50:.3f} ms  p99 {p99:.3f} ms  ({calls} calls)")


if __name__ == "__main__":
    main()
