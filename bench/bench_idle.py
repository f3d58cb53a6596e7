"""Measures what an idle cluster costs: CPU of its nodes, broker and manager once ready.

Run from the repository root: ``.venv/bin/python -m bench.bench_idle [--nodes 20]
[--broker embedded|mosquitto] [--against DIR] [--rounds 2]``. Each round brings a cluster of
the bundled kv-store template up (``open_cluster``, one context on every node), waits 5 s,
then reads the CPU time of every process from ``/proc`` over 10 s. With ``--against DIR``
(another checkout, e.g. ``git -C /work/main archive main | tar -x -C DIR``) every round runs
DIR's code right after this one's, in a fresh interpreter each, and the table shows both.
What an idle cluster spends is heads announcements and member lists, whose traffic grows
with the square of the node count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
SETTLE_S = 5.0
WINDOW_S = 10.0
REPO = Path(__file__).resolve().parents[1]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def children(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def kind(pid: int) -> str:
    """``node`` or ``broker``: what a child of the manager runs."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return "node" if b"calimero_devnet.node" in argv else "broker"


async def measure(nodes: int, broker: str, data: Path) -> dict[str, float]:
    """Percent of one core that the nodes, the broker and this manager spent while idle."""
    from calimero_devnet.cluster.manager import open_cluster  # noqa: PLC0415  (after PYTHONPATH)
    from calimero_devnet.config.load import Overrides, load_config  # noqa: PLC0415

    config = load_config(None, Overrides(nodes=nodes, data_dir=data, fresh=True, broker=broker))
    async with open_cluster(config, None, control=False):
        await asyncio.sleep(SETTLE_S)
        kids = {pid: kind(pid) for pid in children(os.getpid())}
        before = {pid: cpu_s(pid) for pid in kids}
        mine, started = cpu_s(os.getpid()), time.monotonic()
        await asyncio.sleep(WINDOW_S)
        elapsed = time.monotonic() - started
        spent = {pid: cpu_s(pid) - before[pid] for pid in kids}
        manager = cpu_s(os.getpid()) - mine
    share = {
        what: sum(s for pid, s in spent.items() if kids[pid] == what) / elapsed * 100
        for what in ("node", "broker")
    }
    return {**share, "manager": manager / elapsed * 100, "load": os.getloadavg()[0]}


def run_once(code: Path, nodes: int, broker: str) -> dict[str, float]:
    """One round on ``code``'s checkout, in a fresh interpreter; its figures."""
    # Run from outside any checkout (a node is ``python -m`` in the manager's folder, which
    # would put that folder's code first): ``PYTHONPATH`` alone says whose code runs.
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        argv = [sys.executable, str(Path(__file__).resolve()), "--one", str(nodes), broker, tmp]
        env = {**os.environ, "PYTHONPATH": str(code)}
        done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True,
                              check=False, timeout=600)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench_idle: a round on {code} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Parse the command line; run the rounds; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20, help="node count (default 20)")
    parser.add_argument("--broker", choices=("embedded", "mosquitto"), default="embedded")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (default 2)")
    args = parser.parse_args()
    codes = [("this", REPO)] + ([("against", args.against.resolve())] if args.against else [])
    print(f"{args.nodes} nodes, {args.broker} broker; CPU in % of one core over {WINDOW_S:.0f} s")
    print("| code | round | nodes total | per node | broker | manager | load avg |")
    print("|---|---|---|---|---|---|---|")
    for round_ in range(1, args.rounds + 1):
        for name, code in codes:
            r = run_once(code, args.nodes, args.broker)
            cells = [r["node"], r["node"] / args.nodes, r["broker"], r["manager"], r["load"]]
            print(f"| {name} | {round_} | " + " | ".join(f"{c:.1f}" for c in cells) + " |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--one":  # a round, run by ``run_once``
        figures = asyncio.run(measure(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]) / "data"))
        print(json.dumps(figures))
    else:
        main()
