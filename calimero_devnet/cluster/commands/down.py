"""Provides ``devnet down``: stop the cluster a manager runs in another terminal or detached.

SIGTERM to the manager makes it stop as a Ctrl-C would (nodes, broker, state file). The
manager is the one ``cluster.json`` names, or, when that file is unreadable (or not yet
written), the holder of the data dir's lock (``datadir.lock_holder``). If it does not exit
in time, it is killed. What is still running after it (its nodes and broker, when the
manager was already gone or had to be killed) is stopped as the manager would have:
SIGINT to nodes, SIGTERM to the broker, SIGKILL past the grace period, said in the report
(``orphans.py``: a process is signalled only once its command line proves it ours).
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.cluster.processes import orphans
from calimero_devnet.cluster.processes.datadir import lock_holder
from calimero_devnet.cluster.processes.statefile import (
    STATE_FILE,
    ClusterState,
    manager_alive,
    remove_state,
    state_path,
)

MANAGER_TIMEOUT_S = 30.0  # nodes get 5 s each (stopped concurrently), then the broker


@dataclass(frozen=True, slots=True)
class DownReport:
    """What ``down`` did: the manager it stopped and what it had to stop or kill after it."""

    manager_pid: int | None
    graceful: bool
    killed: tuple[str, ...]
    seconds: float
    stopped: tuple[str, ...] = ()  # left running without a manager, stopped politely
    removed_unreadable: bool = False  # an unreadable cluster.json was removed

    def lines(self) -> list[str]:
        """The report in words."""
        if self.manager_pid is None and not (self.killed or self.stopped):
            if self.removed_unreadable:
                return [f"nothing was running here: removed the unreadable {STATE_FILE}"]
            return ["no cluster running here: nothing to stop"]
        how = "stopped" if self.graceful else "did not stop in time: killed"
        out = [f"manager pid {self.manager_pid} {how}"] if self.manager_pid else []
        out += [f"stopped leftover {what}" for what in self.stopped]
        out += [f"killed leftover {what}" for what in self.killed]
        out += [f"removed the unreadable {STATE_FILE}"] if self.removed_unreadable else []
        return [*out, f"down in {self.seconds:.1f} s"]


def read_any_state(data_dir: Path) -> ClusterState | None:
    """The state file even if stale (its manager gone); None if missing or unreadable."""
    try:
        return ClusterState.from_json(json.loads(state_path(data_dir).read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def leftovers(state: ClusterState) -> list[tuple[int, str]]:
    """Processes of ``state``'s data dir still alive: its nodes, and its broker."""
    return [(found.pid, found.what) for found in orphans.find(state.data_dir)]


def _manager(data_dir: Path, state: ClusterState | None) -> tuple[int, int | None] | None:
    """The live manager of ``data_dir`` as (pid, start time), by its state file or its lock."""
    if state is not None and manager_alive(state.manager_pid, state.manager_started):
        return state.manager_pid, state.manager_started
    pid = lock_holder(data_dir)
    return None if pid is None else (pid, None)


def stop_cluster(data_dir: Path, timeout: float = MANAGER_TIMEOUT_S) -> DownReport:
    """Stop the cluster of ``data_dir`` (see the module docstring)."""
    started = time.monotonic()
    state = read_any_state(data_dir)
    unreadable = state is None and state_path(data_dir).exists()
    manager = _manager(data_dir, state)
    graceful = True
    if manager is not None:
        os.kill(manager[0], signal.SIGTERM)
        graceful = _wait_gone(*manager, timeout)
        if not graceful:
            os.kill(manager[0], signal.SIGKILL)
            _wait_gone(*manager, 5.0)
    done = orphans.stop(orphans.find(data_dir))
    if state is not None:
        remove_state(data_dir, state.manager_pid)
    elif unreadable:  # what ran on it is stopped; a new `devnet up` could not read it either
        state_path(data_dir).unlink(missing_ok=True)
    return DownReport(
        manager[0] if manager else None, graceful, done.killed, time.monotonic() - started,
        done.stopped, unreadable,
    )  # fmt: skip


def _wait_gone(pid: int, started: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while manager_alive(pid, started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
