"""A cluster whose manager is gone, or whose ``cluster.json`` is damaged, can still be driven.

Real processes throughout: ``devnet up --detach`` (a background manager, an embedded
broker, two real nodes on RocksDB), then the manager SIGKILLed or its state file broken,
and the other ``devnet`` commands run in this process as a user would run them.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from calimero_devnet.cluster.commands.down import leftovers
from calimero_devnet.cluster.processes.statefile import ClusterState, manager_alive, running_state
from tests.integration.conftest import devnet_cli, up_detached

pytestmark = pytest.mark.integration


def ready_state(data_dir: Path) -> ClusterState:
    state = running_state(data_dir)
    assert state is not None
    return state


def wait_until(check: object, what: str, within: float = 10.0) -> None:
    """Poll ``check()`` until true (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_nodes_of_a_killed_manager_serve_on_and_up_stops_them_first(
    detached: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = detached

    def run(*argv: str) -> tuple[int, str]:
        return devnet_cli(capsys, data_dir, *argv)

    assert run("call", "node-1", "set", '{"key": "a", "value": "1"}')[0] == 0
    before = ready_state(data_dir)
    old = [pid for pid, _ in leftovers(before)]  # both nodes and the broker
    assert len(old) == 3
    os.kill(before.manager_pid, signal.SIGKILL)
    wait_until(lambda: not manager_alive(before.manager_pid), "the manager did not die")

    # Reads keep working against the live nodes; status says the manager is gone.
    code, out = run("status")
    assert code == 0, out
    assert f"manager: pid {before.manager_pid} is gone; 2 node(s) serve on" in out
    assert [line.split()[1] for line in out.splitlines()[1:3]] == ["running", "running"]
    status = json.loads(run("status", "--json")[1])
    assert status["manager"] == {"pid": before.manager_pid, "running": False}
    assert run("call", "node-2", "set", '{"key": "b", "value": "2"}')[0] == 0
    code, out = run("wait-converged", "--value", "get", '{"key": "b"}', "--expect", '"2"')
    assert code == 0, out  # the orphaned broker still carries their deltas
    code, out = run("partition", "node-1", "/", "node-2")
    assert (code, f"the manager (pid {before.manager_pid}) is gone" in out) == (4, True), out

    # Each node noticed, and said so in its log.
    def both_said() -> bool:
        code, out = run("logs", "-n", "50")
        return code == 0 and out.count(f"its manager (pid {before.manager_pid}) is gone") == 2

    wait_until(both_said, "a node did not log that its manager is gone")

    # `devnet up` finds them, says so, stops them (data kept) and starts afresh.
    code, out = up_detached(data_dir)
    assert code == 0, out
    assert "still running, left by a manager that is gone" in out
    assert [pid for pid in old if manager_alive(pid)] == []
    after = ready_state(data_dir)
    assert after.manager_pid != before.manager_pid
    manager_log = (data_dir / "manager.log").read_text()
    assert "stopped 3 left-over process(es)" in manager_log
    code, out = run("call", "node-2", "get", '{"key": "a"}')
    assert (code, out) == (0, '"1"\n')  # state kept on disk through the clean stop


def test_down_with_a_damaged_state_file_finds_the_manager_by_its_lock(
    detached: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = detached
    state = ready_state(data_dir)
    ours = [state.manager_pid, *(pid for pid, _ in leftovers(state))]
    (data_dir / "cluster.json").write_text("{ not json", encoding="utf-8")

    code, out = devnet_cli(capsys, data_dir, "status")
    assert (code, "is not a devnet state file" in out) == (4, True), out
    code, out = devnet_cli(capsys, data_dir, "down")
    assert code == 0, out
    assert f"manager pid {state.manager_pid} stopped" in out
    assert "removed the unreadable cluster.json" in out
    assert [pid for pid in ours if manager_alive(pid)] == []
    assert not (data_dir / "cluster.json").exists()
    assert devnet_cli(capsys, data_dir, "down")[1] == "no cluster running here: nothing to stop\n"
