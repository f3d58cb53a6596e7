"""Provides ``write_bundle``: the failure bundle of a run, written while its cluster still runs.

``<data-dir>/failure/`` holds::

    why.txt, why.json        the "why not converged" report of every context
    state/<node>/<ctx>.json  each member's record, DAG and state listing of each context
    bus-trace.jsonl          the bus messages the broker relayed, one JSON object a line
    logs/<node>.log          every node's log

A part that cannot be written (a node that does not answer) is said so in ``why.txt``; the
others are written all the same.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calimero_devnet.cluster.why.collect import collect_with_answers
from calimero_devnet.cluster.why.report import WhyReport

if TYPE_CHECKING:
    from calimero_devnet.cluster.bustrace import BusTrace
    from calimero_devnet.cluster.handle import Cluster

FOLDER = "failure"


@dataclass(frozen=True, slots=True)
class Bundle:
    """Where the bundle is, and the reports in it."""

    path: Path
    reports: tuple[WhyReport, ...]
    problems: tuple[str, ...]


async def write_bundle(cluster: Cluster, trace: BusTrace | None) -> Bundle:
    """Write the bundle into the cluster's data dir (replacing an older one); return it."""
    folder = cluster.data_dir / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "state").mkdir(parents=True)
    problems = _copy_logs(cluster.data_dir, cluster.node_names, folder / "logs")
    if trace is not None:
        kept = trace.write(folder / "bus-trace.jsonl")
        if trace.seen > kept:
            problems.append(f"bus-trace.jsonl holds the last {kept} of {trace.seen} messages")
    found = await collect_with_answers(cluster)
    for report, answers in found:
        for answer in answers:
            _write_json(folder / "state" / answer.node / f"{report.context}.json",
                        answer.parts or {"error": answer.error})  # fmt: skip
    reports = tuple(report for report, _ in found)
    text = "\n".join(report.text() for report in reports) or "the run made no contexts"
    notes = "".join(f"\nnote: {problem}" for problem in problems)
    (folder / "why.txt").write_text(text + notes + "\n", encoding="utf-8")
    _write_json(folder / "why.json", [report.to_json() for report in reports])
    return Bundle(folder, reports, tuple(problems))


def _copy_logs(data_dir: Path, names: list[str], into: Path) -> list[str]:
    into.mkdir(parents=True)
    problems = []
    for name in names:
        try:
            shutil.copyfile(data_dir / "nodes" / name / "node.log", into / f"{name}.log")
        except OSError as exc:
            problems.append(f"no log of {name}: {exc.strerror or exc}")
    return problems


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
