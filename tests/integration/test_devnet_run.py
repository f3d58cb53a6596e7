"""``devnet run`` as a subprocess: the example workflows on real nodes, and a failing one.

Real broker, real node processes, a real toolchain build of the bundled kv-store template;
paths in the files resolve against the repository root, the folder it runs in.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.yml"))


def devnet_run(tmp_path: Path, workflow: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``devnet run`` on one file, its cluster in ``tmp_path``; return what it printed."""
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", str(workflow.relative_to(REPO)),
            "--data-dir", str(tmp_path / "cluster"), *extra]  # fmt: skip
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_there_are_examples_to_run() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.timeout(150)
@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda path: path.stem)
def test_each_example_workflow_passes(tmp_path: Path, workflow: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = devnet_run(tmp_path, workflow, "--junit", str(junit))
    assert done.returncode == 0, done.stdout + done.stderr
    step_lines = [line for line in done.stdout.splitlines() if line.lstrip()[:1] in "✓✗"]
    assert step_lines
    assert all(line.lstrip().startswith("✓") for line in step_lines), done.stdout
    assert "1 of 1 workflow(s) passed" in done.stdout
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314  (our own output)
    assert suite is not None
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) == len(step_lines)  # nested steps are cases too


@pytest.mark.timeout(150)
def test_a_failing_assertion_fails_the_run_and_says_why(tmp_path: Path) -> None:
    workflow = REPO / "tests" / "fixtures" / "workflows" / "wrong-value.yml"
    junit = tmp_path / "junit.xml"
    done = devnet_run(tmp_path, workflow, "--junit", str(junit))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines) if line.lstrip().startswith("✗"))
    assert "json_assert 'Expect the wrong colour'" in lines[failed]
    assert 'json_equal({{colour}}, {"output": "red"})' in lines[failed + 1]
    assert 'colour = {"output": "blue"}' in lines[failed + 1]
    assert "Never reached" not in done.stdout  # fail-fast: the next step does not run
    assert "FAILED" in done.stdout
    assert "0 of 1 workflow(s) passed" in done.stdout
    root = ET.parse(junit).getroot()  # noqa: S314  (our own output)
    failures = [case for case in root.iter("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failures] == ["5 json_assert Expect the wrong colour"]


def test_an_unsupported_step_fails_before_any_node_starts(tmp_path: Path) -> None:
    workflow = tmp_path / "namespace.yml"
    workflow.write_text(
        "name: needs namespace governance\nnodes:\n  count: 2\nsteps:\n"
        "  - type: join_namespace\n    node: calimero-node-2\n"
        "  - type: delete_blob_on_disk\n    node: calimero-node-1\n    blob_id: x\n"
    )
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", str(workflow),
            "--data-dir", str(tmp_path / "cluster")]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"devnet: error: {workflow}: uses steps devnet run does not")
    assert "join_namespace at line 5" in done.stderr
    assert "delete_blob_on_disk at line 7" in done.stderr
    assert not (tmp_path / "cluster").exists()


@pytest.mark.timeout(90)
def test_keep_leaves_the_cluster_up_until_ctrl_c(tmp_path: Path) -> None:
    workflow = tmp_path / "keep.yml"
    workflow.write_text("name: keep\nnodes:\n  count: 1\n  prefix: kept\nsteps:\n"
                        "  - type: wait\n    seconds: 0\nstop_all_nodes: false\n")  # fmt: skip
    data_dir = tmp_path / "cluster"
    out = tmp_path / "out.txt"
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", str(workflow), "--keep",
            "--data-dir", str(data_dir)]  # fmt: skip
    with out.open("w") as sink:
        process = subprocess.Popen(argv, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "--keep:" not in out.read_text():
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.05)
        status = subprocess.run(
            [sys.executable, "-m", "calimero_devnet.cli", "status", "--json", "--data-dir",
             str(data_dir)], capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stdout + status.stderr
        assert '"kept-1"' in status.stdout
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, out.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stop_all_nodes: false: the nodes stop when devnet run exits" in out.read_text()
    assert "1 of 1 workflow(s) passed" in out.read_text()


@pytest.mark.timeout(90)
def test_the_loss_step_drops_at_the_receiving_node_and_heal_restores_the_link(
    tmp_path: Path,
) -> None:
    workflow = tmp_path / "loss.yml"
    workflow.write_text("""\
name: loss
log_level: debug
nodes: {count: 2, prefix: n}
steps:
  - type: install_application
    node: n-1
    path: ./templates/kv-store
    outputs: {app: applicationId}
  - type: create_mesh
    context_node: n-1
    application_id: '{{app}}'
    nodes: [n-2]
    outputs: {c: contextId}
  - {type: loss, from: n-1, to: n-2, percent: 100, seed: 1}
  - {type: wait, seconds: 0.3}
  - {type: call, node: n-1, context_id: '{{c}}', method: set, args: {key: k, value: lost}}
  - {type: heal}
  - {type: call, node: n-1, context_id: '{{c}}', method: set, args: {key: j, value: after}}
  - {type: wait_value, context_id: '{{c}}', method: len, expected: 2, timeout: 30}
""")  # fmt: skip
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", str(workflow),
            "--data-dir", str(tmp_path / "cluster")]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=80,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    log = (tmp_path / "cluster" / "nodes" / "n-2" / "node.log").read_text()
    assert "from n-1 (loss)" in log
    assert "(loss)" not in (tmp_path / "cluster" / "nodes" / "n-1" / "node.log").read_text()
