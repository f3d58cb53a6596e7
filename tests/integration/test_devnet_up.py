"""``devnet up --headless`` in a real process, driven by the control-plane commands.

Real broker (embedded amqtt), real node processes, a real toolchain build of the bundled
kv-store template. ``up`` runs as a subprocess; the other commands run through
``cli.main`` in this process (the same code the console script runs, minus ~0.3 s of
interpreter start each), so their exit codes and output are checked directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet import cli
from calimero_devnet.cluster.commands.down import leftovers
from calimero_devnet.cluster.events import ClusterEvent, StatusPolled
from calimero_devnet.cluster.processes.statefile import manager_alive, running_state
from calimero_devnet.cluster.remote import RemoteCluster

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 40.0


def devnet(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str]:
    """Run one ``devnet`` command on ``data_dir``; return its exit code and stdout."""
    capsys.readouterr()
    code = cli.main([*argv, "--data-dir", str(data_dir)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def devnet_json(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> Any:
    """Run a command with ``--json``; it must succeed; return the parsed output."""
    code, out = devnet(capsys, data_dir, *argv, "--json")
    assert code == 0, out
    return json.loads(out)


def wait_ready(process: subprocess.Popen[bytes], data_dir: Path, log: Path) -> None:
    """Wait until the manager's state file names it (or fail with its log)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while (state := running_state(data_dir)) is None or state.manager_pid != process.pid:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


async def view_a_write(remote: RemoteCluster) -> tuple[list[dict[str, Any]], list[ClusterEvent]]:
    """What a viewer in another process sees: the apps, and the event stream around a write
    up to the status poll that follows it."""
    apps = await remote.apps_info()
    events = remote.events()
    seen: list[ClusterEvent] = []
    async with asyncio.timeout(15):
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.5)  # subscribed by then (if not, the idle poll still comes)
        await remote.call("node-1", "set", {"key": "node-1", "value": "w"})
        seen.append(await first)
        while not isinstance(seen[-1], StatusPolled):
            seen.append(await anext(events))
    return apps, seen


Manager = tuple[subprocess.Popen[bytes], Path, Path]


@contextlib.contextmanager
def headless_up(tmp_path: Path) -> Iterator[Manager]:
    """``devnet up --headless`` of ``tmp_path``'s devnet.toml (if any) on a fresh data dir,
    ready: (its process, the data dir, its log); stopped with Ctrl-C afterwards."""
    data_dir, log = tmp_path / "data", tmp_path / "up.log"
    argv = [sys.executable, "-m", "calimero_devnet.cli", "up", "--headless", "--fresh",
            "--data-dir", str(data_dir)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        wait_ready(process, data_dir, log)
        yield process, data_dir, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[Manager]:
    """``devnet up --headless`` on a fresh data dir, ready; killed if a test leaves it."""
    with headless_up(tmp_path) as running:
        yield running


def test_up_call_partition_kill_restart_down(
    manager: tuple[subprocess.Popen[bytes], Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    process, data_dir, log = manager

    def run(*argv: str) -> tuple[int, str]:
        return devnet(capsys, data_dir, *argv)

    # A second manager on the same data dir is refused, naming the first.
    code, out = run("up", "--headless")
    assert (code, f"manager pid {process.pid}" in out) == (4, True), out

    assert run("call", "node-1", "set", '{"key": "a", "value": "1"}') == (0, "null\n")
    code, out = run("wait-converged", "--value", "get", '{"key": "a"}', "--expect", '"1"')
    assert code == 0, out
    assert json.loads(run("call", "node-3", "get", '{"key": "a"}')[1]) == "1"

    # Another process watching: the apps with the manifest of the build, the live events.
    (app,), seen = asyncio.run(view_a_write(RemoteCluster.attach(data_dir)))
    assert (app["name"], app["kind"], app["version"]) == ("kv-store", "typescript", 1)
    ready = running_state(data_dir)
    assert ready is not None
    assert app["appId"] == ready.apps["kv-store"]
    methods = {method["name"]: method for method in app["manifest"]["methods"]}
    assert [param["name"] for param in methods["set"]["params"]] == ["key", "value"]
    polled = seen[-1]
    assert isinstance(polled, StatusPolled)
    assert [node.name for node in polled.status.nodes] == ["node-1", "node-2", "node-3"]
    assert {view.node for view in polled.status.views} == {"node-1", "node-2", "node-3"}

    # Every member's writes replicate, whichever peer served its snapshot when it joined.
    writers = ("node-1", "node-2", "node-3")
    for name in writers:
        assert run("call", name, "set", json.dumps({"key": name, "value": "w"}))[0] == 0
    assert run("wait-converged", "--timeout", "15")[0] == 0

    # Partition: writes on each side stay on their side until healed.
    assert run("partition", "node-1,node-2", "/", "node-3")[0] == 0
    time.sleep(0.3)  # the nodes take up the retained rules
    assert run("call", "node-3", "set", '{"key": "b", "value": "3"}')[0] == 0
    assert run("call", "node-1", "set", '{"key": "c", "value": "1"}')[0] == 0
    assert run("wait-converged", "--value", "get", '{"key":"c"}', "--expect", '"1"',
               "--timeout", "1")[0] == 4  # fmt: skip
    status = devnet_json(capsys, data_dir, "status")
    assert status["converged"] == {"kv-store": False}
    assert status["net"]["text"] == "partitions node-1,node-2 | node-3"
    assert run("heal")[0] == 0
    assert run("wait-converged", "--timeout", "15")[0] == 0
    entries = devnet_json(capsys, data_dir, "call", "node-2", "entries")["output"]
    assert entries == {"a": "1", "b": "3", "c": "1"} | dict.fromkeys(writers, "w")

    # Kill: the others go on; a restart catches up on what it missed.
    assert run("kill", "node-3")[0] == 0
    nodes = {n["name"]: n for n in devnet_json(capsys, data_dir, "status")["nodes"]}
    assert not nodes["node-3"]["running"]
    assert run("call", "node-1", "set", '{"key": "d", "value": "4"}')[0] == 0
    assert run("restart", "node-3")[0] == 0
    code, out = run("wait-converged", "--value", "get", '{"key": "d"}', "--expect", '"4"')
    assert code == 0, out
    assert run("wait-converged", "--timeout", "15")[0] == 0

    # Reset: the context starts afresh from init under a new id, on every node.
    before = devnet_json(capsys, data_dir, "status")
    reset = devnet_json(capsys, data_dir, "reset")
    assert reset["context"] == "kv-store"
    assert reset["newId"] != reset["oldId"]
    assert reset["nodes"] == ["node-1", "node-2", "node-3"]
    assert devnet_json(capsys, data_dir, "call", "node-3", "entries")["output"] == {}
    assert run("call", "node-2", "set", '{"key": "e", "value": "5"}')[0] == 0
    code, out = run("wait-converged", "--value", "get", '{"key": "e"}', "--expect", '"5"')
    assert code == 0, out
    assert devnet_json(capsys, data_dir, "status") != before
    assert run("reset", "nope")[0] != 0

    state = running_state(data_dir)
    assert state is not None
    ours = leftovers(state)  # every node and the broker, as `down` would find them
    assert len(ours) == 4, ours
    # A node dying on its own (not `devnet kill`) is a failure: the manager will exit 1.
    os.kill(state.node("node-2").pid or 0, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (now := running_state(data_dir)) is not None and now.node("node-2").pid is not None:
        assert time.monotonic() < deadline, "the manager did not notice node-2 died"
        time.sleep(0.05)
    code, out = run("down")
    assert code == 0, out
    assert process.wait(10) == 1
    assert [pid for pid, _ in ours if manager_alive(pid)] == []
    assert not (data_dir / "cluster.json").exists()
    text = log.read_text()
    for line in ("cluster ready in", "converged: kv-store on 3 nodes", "node-3 killed",
                 "network: partitions node-1,node-2 | node-3", "the cluster is down",
                 "node-2 exited unexpectedly: killed by SIGKILL"):  # fmt: skip
        assert line in text, text
    assert "node-3 exited unexpectedly" not in text
    assert "status polled" not in text  # the polls are for a UI, not the log
