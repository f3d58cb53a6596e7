"""cluster.json: atomic round trip, and clear answers for a missing, stale or damaged file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.statefile import (
    STATE_FILE,
    ClusterState,
    NodeState,
    manager_alive,
    process_started,
    read_state,
    remove_state,
    running_state,
    state_path,
    write_state,
)
from calimero_devnet.errors import ClusterError


def sample(data_dir: Path) -> ClusterState:
    state = ClusterState.for_this_manager("demo", data_dir, "mqtt://127.0.0.1:1883")
    for number in (1, 2):
        home = data_dir / "nodes" / f"node-{number}"
        node = NodeState(f"node-{number}", home, 4000 + number, f"http://127.0.0.1:{number}", "Key")
        state = state.with_node(node)
    return replace(state, apps={"kv": "App1"}, contexts={"kv": "Ctx1"})


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_written_state_reads_back(tmp_path: Path) -> None:
    state = sample(tmp_path)
    path = write_state(state)
    assert path == tmp_path / STATE_FILE == state_path(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [STATE_FILE]  # no temp left
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    back = read_state(tmp_path)
    assert back == state
    assert back.manager_pid == os.getpid()
    assert back.node("node-2").rpc_url == "http://127.0.0.1:2"
    assert json.loads(path.read_text())["nodes"][0]["publicKey"] == "Key"
    assert running_state(tmp_path) == state


def test_rewriting_replaces_the_whole_file(tmp_path: Path) -> None:
    state = sample(tmp_path)
    write_state(state)
    restarted = state.with_node(NodeState("node-1", tmp_path / "n1", 9999, "http://h:1", "K2"))
    write_state(restarted)
    back = read_state(tmp_path)
    assert [n.name for n in back.nodes] == ["node-1", "node-2"]  # replaced in place
    assert back.node("node-1").pid == 9999


def test_no_file_means_no_cluster(tmp_path: Path) -> None:
    with pytest.raises(ClusterError) as caught:
        read_state(tmp_path)
    assert str(caught.value) == (
        f"no cluster running in {tmp_path} (no cluster.json): start one with `devnet up`"
    )
    assert running_state(tmp_path) is None


def test_a_dead_manager_leaves_a_stale_file(tmp_path: Path) -> None:
    pid = dead_pid()
    write_state(ClusterState("demo", pid, tmp_path, None))
    with pytest.raises(ClusterError) as caught:
        read_state(tmp_path)
    assert f"no cluster running in {tmp_path} (stale state file from pid {pid})" in str(
        caught.value
    )
    assert running_state(tmp_path) is None


def test_a_reused_pid_is_not_mistaken_for_the_manager(tmp_path: Path) -> None:
    started = process_started(os.getpid())
    assert started is not None  # Linux: /proc is there
    assert manager_alive(os.getpid(), started)
    write_state(ClusterState("demo", os.getpid(), tmp_path, None, manager_started=started + 1))
    with pytest.raises(ClusterError, match="stale state file"):
        read_state(tmp_path)


def test_an_unreaped_manager_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not manager_alive(child.pid)
    finally:
        child.wait()
    assert not manager_alive(0)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "not a JSON object"),
        ('{"format": 2}', "format 2; this devnet reads 1"),
        ('{"format": 1, "clusterId": "x"}', "KeyError"),
    ],
)
def test_a_damaged_file_is_named_with_the_fix(tmp_path: Path, content: str, words: str) -> None:
    state_path(tmp_path).write_text(content)
    with pytest.raises(ClusterError) as caught:
        running_state(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / STATE_FILE} is not a devnet state file (")
    assert words in message
    assert message.endswith("then remove the file")


def test_only_its_writer_removes_the_file(tmp_path: Path) -> None:
    write_state(sample(tmp_path))
    assert not remove_state(tmp_path, manager_pid=os.getpid() + 1)
    assert state_path(tmp_path).exists()
    assert remove_state(tmp_path, manager_pid=os.getpid())
    assert not state_path(tmp_path).exists()
    assert not remove_state(tmp_path)


def test_unknown_nodes_are_named(tmp_path: Path) -> None:
    with pytest.raises(
        ClusterError, match=r"no node named 'node-9' in cluster demo \(node-1, node-2\)"
    ):
        sample(tmp_path).node("node-9")


def test_a_state_with_the_token_is_private(tmp_path: Path) -> None:
    open_state = sample(tmp_path)
    assert state_path(tmp_path) == write_state(open_state)
    assert state_path(tmp_path).stat().st_mode & 0o777 == 0o644
    assert read_state(tmp_path).token is None
    guarded = replace(open_state, token="a-cluster-token-0123456789")
    write_state(guarded)
    assert state_path(tmp_path).stat().st_mode & 0o777 == 0o600
    assert read_state(tmp_path).token == "a-cluster-token-0123456789"
    assert "a-cluster-token" not in repr(guarded)
