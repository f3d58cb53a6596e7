"""The data dir: one manager at a time, ``--fresh`` removes only what devnet made; ``down``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calimero_devnet.cluster.commands.down import DownReport, stop_cluster
from calimero_devnet.cluster.processes.datadir import LOCK_FILE, MANAGER_LOG, manager_lock, wipe
from calimero_devnet.cluster.processes.statefile import ClusterState, write_state
from calimero_devnet.errors import ClusterError


def test_fresh_removes_only_what_devnet_made(tmp_path: Path) -> None:
    for made in ("nodes/node-1/store", "broker", "apps/kv/build"):
        (tmp_path / made).mkdir(parents=True)
    (tmp_path / "cluster.json").write_text("{}")
    (tmp_path / MANAGER_LOG).write_text("log")
    (tmp_path / "my-notes.txt").write_text("mine")
    assert wipe(tmp_path) == ["nodes", "broker", "apps", "cluster.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANAGER_LOG, "my-notes.txt"]
    assert wipe(tmp_path) == []


def test_a_second_manager_is_refused(tmp_path: Path) -> None:
    with manager_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        refused = pytest.raises(ClusterError, match=r"already running in .* `devnet down`")
        with refused, manager_lock(tmp_path):
            pass  # pragma: no cover
    with manager_lock(tmp_path):
        pass  # released: free again


def test_a_running_state_file_names_the_manager(tmp_path: Path) -> None:
    write_state(ClusterState.for_this_manager("devnet", tmp_path, None))
    refused = pytest.raises(ClusterError, match=f"manager pid {os.getpid()}")
    with refused, manager_lock(tmp_path):
        pass  # pragma: no cover


def test_down_with_nothing_running(tmp_path: Path) -> None:
    report = stop_cluster(tmp_path)
    assert report.lines() == ["no cluster running here: nothing to stop"]


def test_down_clears_a_stale_state_file(tmp_path: Path) -> None:
    stale = ClusterState("devnet", 2**22 + 12345, tmp_path, "mqtt://127.0.0.1:1")
    write_state(stale)
    report = stop_cluster(tmp_path)
    assert (report.manager_pid, report.killed) == (None, ())
    assert not (tmp_path / "cluster.json").exists()


def test_down_report_in_words() -> None:
    report = DownReport(42, False, ("node-1 (pid 7)",), 31.0)
    assert report.lines() == [
        "manager pid 42 did not stop in time: killed",
        "killed leftover node-1 (pid 7)",
        "down in 31.0 s",
    ]
