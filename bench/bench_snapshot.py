"""Provides the snapshot benchmark: save and restore of a 3-node cluster holding 10k keys.

Run from the repository root: ``.venv/bin/python -m bench.bench_snapshot [--keys N]
[--repeats R]``. Through the library (``open_cluster`` in this process, so this process is
the manager), on the bundled kv-store template, the toolchain cache warm:

* fill: ``KEYS`` ``set`` calls spread over the three nodes (``CONCURRENCY`` in flight), then
  the wait until every node holds every key;
* save: ``Cluster.save_snapshot`` (checkpoint on each node, move, hash every file, manifest),
  ``--repeats`` times (each snapshot removed after), and the snapshot's size on disk;
* restore: ``Cluster.restore_snapshot`` after one more write, until every node is back and
  converged (stop, stores put back, start, apps brought up to date, converged).

Every loop is bounded; nothing leaves 127.0.0.1; the temp dir is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.config.load import Overrides, load_config

NODES = ("node-1", "node-2", "node-3")
CONCURRENCY = 16
CONVERGE_TIMEOUT_S = 600.0


async def fill(cluster: Cluster, keys: int) -> float:
    """Write ``keys`` keys over the nodes; return seconds until every node holds them all."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            await cluster.call(NODES[i % len(NODES)], "set", {"key": f"k{i:05}", "value": str(i)})

    await asyncio.gather(*(one(i) for i in range(keys)))
    await cluster.wait_value("len", None, CONVERGE_TIMEOUT_S, expected=keys)
    return time.perf_counter() - started


def size_mib(folder: Path) -> float:
    """The bytes of every file below ``folder``, in MiB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


async def bench(keys: int, repeats: int) -> None:
    """Fill, then time saves and restores (medians, every sample printed)."""
    with tempfile.TemporaryDirectory(prefix="bench-snap-") as tmp:
        data = Path(tmp) / "data"
        config = load_config(None, Overrides(nodes=len(NODES), data_dir=data, fresh=True))
        async with open_cluster(config, control=False) as cluster:
            filled = await fill(cluster, keys)
            print(f"fill: {keys} keys on {len(NODES)} nodes, converged in {filled:.1f} s")
            saves = []
            for n in range(repeats):
                started = time.perf_counter()
                manifest = await cluster.save_snapshot(f"bench-{n}")
                saves.append(time.perf_counter() - started)
            folder = disk.snapshot_dir(data, "bench-0")
            print(f"save: median {statistics.median(saves):.2f} s {_fmt(saves)}; "
                  f"{len(manifest.files)} files, {size_mib(folder):.1f} MiB")  # fmt: skip
            restores = []
            for n in range(repeats):
                await cluster.call("node-1", "set", {"key": "later", "value": str(n)})
                started = time.perf_counter()
                await cluster.restore_snapshot("bench-0", CONVERGE_TIMEOUT_S)
                restores.append(time.perf_counter() - started)
                assert await cluster.call("node-2", "get", {"key": "later"}) is None
            assert await cluster.call("node-3", "len") == keys
            print(f"restore (converged): median {statistics.median(restores):.2f} s "
                  f"{_fmt(restores)}")  # fmt: skip


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench(args.keys, args.repeats))


if __name__ == "__main__":
    main()
