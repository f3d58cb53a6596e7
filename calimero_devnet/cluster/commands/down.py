"""Provides ``devnet down``: stop the cluster a manager runs in another terminal or detached.

SIGTERM to the manager named by ``cluster.json`` makes it stop as a Ctrl-C would (nodes,
broker, state file). If it does not exit in time, or is already gone (a stale state file
left by a killed manager), the processes it leaves behind are SIGKILLed: the nodes the
file lists, and the broker it started. A process is only killed after its command line
proves it is ours (a node of this data dir, a broker on this port), never on a pid alone.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.cluster.processes.statefile import (
    ClusterState,
    manager_alive,
    remove_state,
    state_path,
)

MANAGER_TIMEOUT_S = 30.0  # nodes get 5 s each (stopped concurrently), then the broker


@dataclass(frozen=True, slots=True)
class DownReport:
    """What ``down`` did: the manager it stopped and anything it had to kill."""

    manager_pid: int | None
    graceful: bool
    killed: tuple[str, ...]
    seconds: float

    def lines(self) -> list[str]:
        """The report in words."""
        if self.manager_pid is None and not self.killed:
            return ["no cluster running here: nothing to stop"]
        how = "stopped" if self.graceful else "did not stop in time: killed"
        out = [f"manager pid {self.manager_pid} {how}"] if self.manager_pid else []
        out += [f"killed leftover {what}" for what in self.killed]
        return [*out, f"down in {self.seconds:.1f} s"]


def _read_any_state(data_dir: Path) -> ClusterState | None:
    """The state file even if stale (its manager gone): it still lists the node pids."""
    try:
        return ClusterState.from_json(json.loads(state_path(data_dir).read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def leftovers(state: ClusterState) -> list[tuple[int, str]]:
    """Processes of ``state`` still alive: its nodes, and the broker it started."""
    found = []
    for node in state.nodes:
        if node.pid and manager_alive(node.pid):
            argv = _cmdline(node.pid)
            if "calimero_devnet.node" in argv and str(node.home) in argv:
                found.append((node.pid, f"{node.name} (pid {node.pid})"))
    port = (state.broker_url or "").rsplit(":", 1)[-1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_our_broker(_cmdline(int(entry.name)), port, state):
            found.append((int(entry.name), f"broker (pid {entry.name})"))
    return found


def _is_our_broker(argv: list[str], port: str, state: ClusterState) -> bool:
    embedded = (
        "calimero_devnet.cluster.processes.broker" in argv and "--port" in argv and port in argv
    )
    mosquitto = str(state.data_dir / "broker" / "mosquitto.conf") in argv
    return embedded or mosquitto


def stop_cluster(data_dir: Path, timeout: float = MANAGER_TIMEOUT_S) -> DownReport:
    """Stop the cluster of ``data_dir`` (see the module docstring)."""
    started = time.monotonic()
    state = _read_any_state(data_dir)
    if state is None:
        return DownReport(None, True, (), 0.0)
    graceful = True
    alive = manager_alive(state.manager_pid, state.manager_started)
    if alive:
        os.kill(state.manager_pid, signal.SIGTERM)
        graceful = _wait_gone(state, timeout)
        if not graceful:
            os.kill(state.manager_pid, signal.SIGKILL)
            _wait_gone(state, 5.0)
    killed = []
    for pid, what in leftovers(state):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        killed.append(what)
    remove_state(data_dir, state.manager_pid)
    manager = state.manager_pid if alive else None
    return DownReport(manager, graceful, tuple(killed), time.monotonic() - started)


def _wait_gone(state: ClusterState, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while manager_alive(state.manager_pid, state.manager_started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
