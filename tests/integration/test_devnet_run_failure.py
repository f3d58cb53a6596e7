"""A workflow broken on purpose, through ``devnet run --keep``: the failure bundle, its why
report, and ``devnet why`` on the cluster it leaves running.

Real broker, real node processes, the bundled kv-store template: node-1 writes twice and
node-2 once while partitioned, then ``wait_converged`` fails (no heal step).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_devnet_run import REPO

pytestmark = pytest.mark.integration
BROKEN = REPO / "examples" / "workflows" / "broken" / "never-converges.yml"


def devnet(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "calimero_devnet.cli", *argv], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def kept_until_ready(argv: list[str], out: Path) -> subprocess.Popen[bytes]:
    """Start ``devnet run --keep``; return once it says the cluster keeps running."""
    with out.open("w") as sink:
        process = subprocess.Popen(argv, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while "--keep:" not in out.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(out.read_text())
        time.sleep(0.05)
    return process


def check_why(data_dir: Path) -> list[dict[str, Any]]:
    """``devnet why`` on the kept cluster, as text, as JSON and on an unknown context."""
    text = devnet("why", "--data-dir", str(data_dir))
    as_json = devnet("why", "--json", "--data-dir", str(data_dir))
    unknown = devnet("why", "--context", "nope", "--data-dir", str(data_dir))
    out, err = text.communicate(timeout=60)
    json_out, json_err = as_json.communicate(timeout=60)
    _, unknown_err = unknown.communicate(timeout=60)
    assert unknown.returncode != 0
    assert unknown_err.startswith("devnet: error: no context named 'nope' in this cluster")
    assert text.returncode == 0, out + err
    assert ": NOT converged on node-1, node-2" in out
    assert "lacks 2 delta(s)" in out
    assert as_json.returncode == 0, json_err
    reports: list[dict[str, Any]] = json.loads(json_out)
    return reports


def lacks_by_node(report: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return {n["node"]: {lack["delta"]: lack["holders"] for lack in n["lacks"]}
            for n in report["nodes"]}  # fmt: skip


@pytest.mark.timeout(150)
def test_a_broken_workflow_leaves_a_bundle_that_says_which_deltas_each_node_lacks(
    tmp_path: Path,
) -> None:
    data_dir, junit, out = tmp_path / "cluster", tmp_path / "junit.xml", tmp_path / "out.txt"
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", str(BROKEN.relative_to(REPO)),
            "--keep", "--data-dir", str(data_dir), "--junit", str(junit)]  # fmt: skip
    process = kept_until_ready(argv, out)
    try:
        live = check_why(data_dir)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 1, out.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    printed = out.read_text()
    bundle = data_dir / "failure"
    assert "FAILED in " in printed, printed
    assert f"failure bundle: {bundle}" in printed
    assert "Never reached" not in printed
    for part in ("why.txt", "why.json", "bus-trace.jsonl", "logs/node-1.log", "logs/node-2.log"):
        assert (bundle / part).is_file(), part
    (report,) = json.loads((bundle / "why.json").read_text())
    assert report["converged"] is False
    assert lacks_by_node(report) == lacks_by_node(live[0])  # devnet why says the same
    lacks = lacks_by_node(report)
    assert len(lacks["node-2"]) == 2
    assert set(map(tuple, lacks["node-2"].values())) == {("node-1",)}
    assert list(lacks["node-1"].values()) == [["node-2"]]
    context = report["context"]
    for node, theirs in (("node-1", "node-2"), ("node-2", "node-1")):
        saved = json.loads((bundle / "state" / node / f"{context}.json").read_text())
        assert set(saved) == {"record", "dag", "state"}
        assert not set(lacks[node]) & set(saved["dag"]["applied"])  # it really lacks them
        other = json.loads((bundle / "state" / theirs / f"{context}.json").read_text())
        assert set(lacks[node]) <= set(other["dag"]["applied"])
    labels = {key["label"] for key in report["keys"]}
    assert {'items["left-1"]', 'items["left-2"]', 'items["right"]'} <= labels
    why_text = (bundle / "why.txt").read_text()
    for delta in lacks["node-2"]:
        assert f"{delta[:8]} (on node-1)" in why_text
    trace = [json.loads(line) for line in (bundle / "bus-trace.jsonl").read_text().splitlines()]
    broadcast = {e["delta"]: e["sender"] for e in trace if e["kind"] == "delta"}
    assert all(broadcast.get(delta) == "node-1" for delta in lacks["node-2"])  # sent, dropped
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314  (our own output)
    assert suite is not None
    prop = suite.find("properties/property")
    assert prop is not None
    assert prop.get("value") == str(bundle)
