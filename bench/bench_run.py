"""Provides the ``devnet run`` benchmark: a small merobox workflow, wall time to exit.

Run from the repository root: ``.venv/bin/python -m bench.bench_run [--repeats 3]``;
``--against DIR`` alternates each run with one of the code in DIR (another checkout, e.g.
``git archive main | tar -x -C /tmp/base``, run by this venv's Python as
``python -m calimero_devnet.cli``), so both see the same load.
The workflow: 2 nodes, install the bundled kv-store template, create a context, bring the
second node in, 10 ``set`` calls, ``wait_for_sync``, one read and a ``json_assert``. Each
run is the ``devnet`` console script as a subprocess, from its start to its exit (the
interpreter's start, parsing, cluster up, the steps, cluster down); the toolchain cache is
expected warm. The runs share one data dir, as reruns of one file do (``.devnet/run/<file>``):
the first compiles the app into its module cache, the others find it there. The data dir
is a temp dir, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = """\
name: bench - install, context, 10 calls, sync
nodes:
  count: 2
  prefix: node
steps:
  - type: install_application
    node: node-1
    path: ./templates/kv-store
    outputs:
      app_id: applicationId
  - type: create_mesh
    context_node: node-1
    application_id: '{{app_id}}'
    nodes: [node-2]
    outputs:
      context_id: contextId
  - type: repeat
    count: 10
    steps:
      - type: call
        node: node-1
        context_id: '{{context_id}}'
        method: set
        args: {key: 'k{{iteration}}', value: 'v{{iteration}}'}
  - type: wait_for_sync
    context_id: '{{context_id}}'
    nodes: [node-1, node-2]
  - type: call
    node: node-2
    context_id: '{{context_id}}'
    method: get
    args: {key: k10}
    outputs:
      last: result
  - type: json_assert
    statements:
      - 'json_equal({{last}}, {"output": "v10"})'
"""


def one_run(workflow: Path, data_dir: Path, checkout: Path | None = None) -> tuple[float, float]:
    """Wall seconds of one ``devnet run``, and the cluster-up seconds it printed; with
    ``checkout``, of the code there."""
    devnet = [str(Path(sys.executable).with_name("devnet"))]
    env = None
    if checkout is not None:
        devnet = [sys.executable, "-m", "calimero_devnet.cli"]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    argv = [*devnet, "run", str(workflow), "--data-dir", str(data_dir)]
    done = subprocess.run(argv, cwd=checkout or REPO, capture_output=True, text=True,
                          timeout=120, check=False, env=env)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"devnet run failed:\n{done.stdout}{done.stderr}")
    up = re.search(r"cluster up in ([0-9.]+) s", done.stdout)
    return wall, float(up.group(1)) if up else float("nan")


def main() -> None:
    """Run the workflow ``--repeats`` times; print the median and the samples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--against", type=Path, metavar="DIR", help="alternate with DIR's code")
    args = parser.parse_args()
    repeats = max(args.repeats, 2)
    temp = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        workflow = temp / "bench.yml"
        workflow.write_text(WORKFLOW)
        samples, other = [], []
        for _ in range(repeats):
            samples.append(one_run(workflow, temp / "cluster"))
            if args.against is not None:
                other.append(one_run(workflow, temp / "against", args.against.resolve()))
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    report(samples)
    if other:
        print(f"{args.against}:")
        report(other)


def report(samples: list[tuple[float, float]]) -> None:
    """Print the first run, the median of the others, and the cluster-up median."""
    walls = [wall for wall, _ in samples]
    ups = [up for _, up in samples]
    print(f"devnet run, 2 nodes, install + context + 10 calls + wait_for_sync: first (cold "
          f"module cache) {walls[0]:.2f} s, then median {statistics.median(walls[1:]):.2f} s "
          f"{[round(w, 2) for w in walls]}")  # fmt: skip
    print(f"  of which cluster up: median {statistics.median(ups):.2f} s {ups}")


if __name__ == "__main__":
    main()
