"""Provides the heal benchmark: seconds from a heal to convergence, this code against another.

Run from the repository root: ``.venv/bin/python -m bench.bench_heal [--writes 10,1000]
[--rounds 3] [--nodes 3] [--broker mosquitto|embedded] [--against DIR]``. Each case is a
fresh cluster of the bundled kv-store template (``open_cluster``), split in two halves
(``bench_scale.heal_s``: the first half and the rest), ``--writes`` sets on each side, each
side converged, then healed: the figure is from the heal until every node agrees.

Each run is a child process, so ``--against DIR`` (another checkout, e.g. ``git archive
<commit> | tar -x -C DIR``) runs the same case on DIR's code (manager and nodes) next to
this one's, alternating which goes first; the medians and the ratios are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT_S = 120.0


async def one(writes: int, nodes: int, broker: str) -> float:
    """One heal of a fresh cluster (in this process: the child's side)."""
    from bench.bench_scale import heal_s  # noqa: PLC0415  (from the tree on PYTHONPATH)
    from calimero_devnet.cluster.manager import open_cluster  # noqa: PLC0415
    from calimero_devnet.config.load import Overrides, load_config  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-heal-") as tmp:
        overrides = Overrides(nodes=nodes, data_dir=Path(tmp), fresh=True, broker=broker)
        async with open_cluster(load_config(None, overrides), control=False) as cluster:
            refs = cluster.refs()
            urls = [ref.url for ref in refs if ref.url is not None]
            return await heal_s(cluster, urls, cluster.context_id(), writes, LIMIT_S)


def run_side(tree: Path, writes: int, args: argparse.Namespace) -> float:
    """One heal on ``tree``'s code, in a child process."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--one", str(writes)]
    argv += ["--nodes", str(args.nodes), "--broker", args.broker]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"a heal run on {tree} failed: {done.stderr.strip()[-2000:]}")
    seconds: float = json.loads(done.stdout.strip().splitlines()[-1])["heal_s"]
    return seconds


def main() -> None:
    """Every case, every round, both sides; then the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", default="10,1000", help="sets per side, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--broker", choices=("mosquitto", "embedded"), default="mosquitto")
    parser.add_argument("--against", type=Path, help="a checkout to compare with")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child's single run
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps({"heal_s": asyncio.run(one(args.one, args.nodes, args.broker))}))
        return
    trees = {"now": REPO} | ({"before": args.against.resolve()} if args.against else {})
    for writes in (int(w) for w in args.writes.split(",")):
        samples: dict[str, list[float]] = {label: [] for label in trees}
        for turn in range(args.rounds):
            order = list(trees) if turn % 2 == 0 else list(reversed(trees))
            for label in order:
                samples[label].append(run_side(trees[label], writes, args))
        line = f"{args.nodes} nodes, {args.broker}, {writes} writes a side: heal"
        for label, values in samples.items():
            shown = ", ".join(f"{v:.2f}" for v in values)
            line += f"; {label} median {statistics.median(values):.2f} s [{shown}]"
        if args.against:
            gain = statistics.median(samples["before"]) / statistics.median(samples["now"])
            line += f"; before / now {gain:.2f}x"
        print(line, flush=True)


if __name__ == "__main__":
    main()
