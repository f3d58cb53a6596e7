"""The data dir: one manager at a time, ``--fresh`` removes only what devnet made; ``down``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calimero_devnet.cluster.commands.down import DownReport, stop_cluster
from calimero_devnet.cluster.processes import orphans, procfs
from calimero_devnet.cluster.processes.datadir import (
    LOCK_FILE,
    MANAGER_LOG,
    lock_holder,
    manager_lock,
    wipe,
)
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


def test_the_lock_holder_is_proved_by_the_lock_and_the_open_file(tmp_path: Path) -> None:
    assert lock_holder(tmp_path) is None  # no lock file
    with manager_lock(tmp_path):
        assert lock_holder(tmp_path) == os.getpid()
    assert lock_holder(tmp_path) is None  # the file names us, but nobody holds the lock


def test_a_node_is_recognised_by_its_home_in_the_data_dir(tmp_path: Path) -> None:
    node = [sys.executable, "-m", "calimero_devnet.node", "--home"]
    assert orphans.node_of([*node, str(tmp_path / "nodes" / "node-2")], tmp_path) == "node-2"
    assert orphans.node_of([*node, str(tmp_path / "elsewhere" / "node-2")], tmp_path) is None
    assert orphans.node_of(["vim", "--home", str(tmp_path / "nodes" / "n")], tmp_path) is None
    assert orphans.node_of([*node], tmp_path) is None  # --home without its value


def test_a_forked_node_without_its_title_is_recognised_by_its_stderr(tmp_path: Path) -> None:
    home = tmp_path / "nodes" / "node-3"
    home.mkdir(parents=True)
    untitled = [
        sys.executable,
        "-c",
        "import time; time.sleep(30)",
        "calimero_devnet.node.forkserver",
    ]
    for stderr_path, expected in ((home / "stderr.log", "node-3"), (tmp_path / "x.log", None)):
        with stderr_path.open("ab") as stderr:
            child = subprocess.Popen(untitled, stderr=stderr)
        try:
            deadline = time.monotonic() + 10
            while procfs.cmdline(child.pid) != untitled:  # exec'd: not the parent's argv still
                assert time.monotonic() < deadline, "the child never showed its command line"
                time.sleep(0.01)
            assert orphans.node_running(child.pid, tmp_path) == expected
        finally:
            child.kill()
            child.wait()


def test_a_forked_node_is_recognised_by_its_title(tmp_path: Path) -> None:
    home = shlex.quote(str(tmp_path / "nodes" / "node 2"))
    title = f"python -m calimero_devnet.node --home {home} --rpc-port 0"
    assert orphans.node_of([title], tmp_path) == "node 2"
    assert orphans.node_of([f"vim --home {home}"], tmp_path) is None
    assert orphans.node_of([f"python -m calimero_devnet.node --home '{tmp_path}"], tmp_path) is None


def test_down_removes_an_unreadable_state_file_it_could_not_read(tmp_path: Path) -> None:
    (tmp_path / "cluster.json").write_text("{ not json")
    report = stop_cluster(tmp_path)
    assert report.lines() == ["nothing was running here: removed the unreadable cluster.json"]
    assert not (tmp_path / "cluster.json").exists()


def test_down_report_says_what_it_stopped_politely() -> None:
    report = DownReport(None, True, ("broker (pid 9)",), 5.5, ("node-1 (pid 7)",))
    assert report.lines() == [
        "stopped leftover node-1 (pid 7)",
        "killed leftover broker (pid 9)",
        "down in 5.5 s",
    ]
