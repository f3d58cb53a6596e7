"""Provides a measurement of a JS-like ``set`` and its peer apply as the context grows.

Run: ``.venv/bin/python bench/bench_js_digest.py [calls]``. In process, on real stores and
the real runtime, with the WAT guest ``tests/fixtures/wat/js_like.wat`` (a host map, as our
TypeScript SDK uses it). For each size (0, 1k, 10k map entries) it prints p50/p99 of:

- ``set``: ``NodeCore.execute(ctx, "set", ...)`` on node A (call, commit, root hash);
- ``apply``: ``NodeCore.apply_delta`` of such a delta on node B, which joined by snapshot;
- ``digest``: the root hash of the committed state recomputed from scratch (a full scan).

Entries are filled directly (one host-collections session per fill, no delta), so the fill
does not dominate the run; ``set`` cycles over a few keys so the size stays put.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bench.timing import percentiles, timed
from calimero_devnet.node.collections import digest
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.runtime import CallOutcome, Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.js_apps import CallCollections
from tests.fixtures import load_wat
from tests.node.core_helpers import join
from tests.node.js_helpers import map_id, put

SIZES = (0, 1_000, 10_000)
SEED = b"bench-js-digest"


def fill(node: NodeCore, ctx: bytes, start: int, stop: int) -> None:
    """Insert map entries ``start``..``stop`` in one session and one batch (no delta)."""
    state = node.store.state_reader(ctx)
    collections = CallCollections(state, node.public_key, node.clock.hlc)
    cid = map_id(node, ctx)
    for i in range(start, stop):
        collections.session.map_insert(cid, b"fill-%d" % i, b'"v"')
    collections.finish(CallOutcome(), node.clock, ctx, "bench-fill")
    batch = node.store.batch()
    collections.stage(batch, ctx)
    node.store.write(batch)


def measure(a: NodeCore, b: NodeCore, ctx: bytes, calls: int) -> dict[str, list[float]]:
    """Time ``set`` on ``a``, then ``b`` applying those deltas, then a full recompute."""
    join(a, b, ctx)
    deltas: list[CausalDelta] = []
    sets = timed(calls, lambda i: deltas.append(put(a, ctx, f"k{i % 20}", '"x"')))
    applies = timed(calls, lambda i: b.apply_delta(deltas[i]))
    assert a.context(ctx).root_hash == b.context(ctx).root_hash
    scans = timed(5, lambda _: digest.recompute_digest(a.store.state_reader(ctx)))
    return {"set": sets, "apply": applies, "digest": scans}


def main() -> None:
    """Open two nodes, grow the context through ``SIZES`` and print one line per figure."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(Path(tmp) / "cache", extra_imports=COLLECTION_IMPORTS)
        with NodeCore.open(Path(tmp) / "a", index=1, runtime=runtime) as a:
            app = a.install_application(load_wat("js_like"), source="bench")
            ctx = a.create_context(app, seed=SEED).id
            filled = 0
            for size in SIZES:
                fill(a, ctx, filled, size)
                filled = size
                with NodeCore.open(Path(tmp) / f"b{size}", index=2, runtime=runtime) as b:
                    figures = measure(a, b, ctx, calls)
                for name, samples in figures.items():
                    p50, p99 = percentiles(samples)
                    print(f"{size:>6} entries  {name:<6} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms")


if __name__ == "__main__":
    main()
