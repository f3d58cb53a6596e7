"""Provides the processes a data dir's cluster left running, found and stopped.

A manager that dies unasked (SIGKILL, out of memory) cannot stop its children: the nodes
serve on (holding their stores' locks, so a new ``devnet up`` could not open them) and so
does the broker. They are found by what proves them ours, never by a pid alone:

- a node runs ``calimero_devnet.node`` with ``--home <data_dir>/nodes/<name>`` (a node
  forked by the fork server shows that command line as one shell-quoted title, or, where
  the title could not be set in full, a command line naming our package and its stderr
  open on ``<data_dir>/nodes/<name>/stderr.log``);
- the broker runs our embedded broker module or mosquitto, with its output going to
  ``<data_dir>/broker/`` (and mosquitto with the config file there).

``stop`` stops them as the manager would have: nodes first (SIGINT: they finish their
calls, flush and close their stores), then the broker (SIGTERM); SIGKILL only for what
outlives the grace period, said in the report.
"""

from __future__ import annotations

import os
import shlex
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.cluster.processes import procfs
from calimero_devnet.cluster.processes.statefile import manager_alive

NODE_MODULE = "calimero_devnet.node"
BROKER_MODULE = "calimero_devnet.cluster.processes.broker"
NODE_GRACE_S = 5.0  # as the manager gives its nodes (supervisor.STOP_GRACE_S)
BROKER_GRACE_S = 3.0
POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Leftover:
    """One process of a cluster that runs without its manager."""

    pid: int
    what: str  # "node-1 (pid 123)", "broker (pid 99)"
    is_node: bool


@dataclass(frozen=True, slots=True)
class Stopped:
    """What ``stop`` did: stopped politely, or killed once the grace period was over."""

    stopped: tuple[str, ...]
    killed: tuple[str, ...]


def node_of(argv: Sequence[str], data_dir: Path) -> str | None:
    """The name of the node of ``data_dir`` that ``argv`` runs, if it runs one."""
    if len(argv) == 1:  # a forked node's title
        try:
            argv = shlex.split(argv[0])
        except ValueError:
            return None
    if NODE_MODULE not in argv or "--home" not in argv[:-1]:
        return None
    home = Path(argv[list(argv).index("--home") + 1]).resolve()
    return home.name if home.parent == (data_dir / "nodes").resolve() else None


def node_running(pid: int, data_dir: Path) -> str | None:
    """The name of the node of ``data_dir`` that ``pid`` is, if it is one."""
    argv = procfs.cmdline(pid)
    name = node_of(argv, data_dir)
    if name is not None or not any(NODE_MODULE in part for part in argv):
        return name
    target = procfs.fd_target(pid, 2)  # a forked node whose title is missing or cut short
    if target is None:
        return None
    stderr = Path(target)
    nodes = (data_dir / "nodes").resolve()
    return (
        stderr.parent.name
        if stderr.name == "stderr.log" and stderr.parent.parent == nodes
        else None
    )


def is_broker_of(pid: int, argv: Sequence[str], data_dir: Path) -> bool:
    """Whether ``pid`` (running ``argv``) is a broker a manager of ``data_dir`` started."""
    workdir = (data_dir / "broker").resolve()
    ours = BROKER_MODULE in argv or str(workdir / "mosquitto.conf") in argv
    return ours and any(Path(path).parent == workdir for path in procfs.open_files(pid))


def find(data_dir: Path) -> list[Leftover]:
    """The nodes and broker of ``data_dir`` running now, nodes first (by name)."""
    nodes, brokers = [], []
    for pid in procfs.pids():
        if pid == os.getpid() or not manager_alive(pid):
            continue  # ourselves, or a zombie
        name = node_running(pid, data_dir)
        if name is not None:
            nodes.append(Leftover(pid, f"{name} (pid {pid})", is_node=True))
        elif is_broker_of(pid, procfs.cmdline(pid), data_dir):
            brokers.append(Leftover(pid, f"broker (pid {pid})", is_node=False))
    return sorted(nodes, key=lambda n: n.what) + brokers


def stop(found: Sequence[Leftover], node_grace: float = NODE_GRACE_S) -> Stopped:
    """Stop ``found``: nodes (SIGINT), then the broker (SIGTERM); SIGKILL what stays."""
    stopped: list[str] = []
    killed: list[str] = []
    nodes = [leftover for leftover in found if leftover.is_node]
    brokers = [leftover for leftover in found if not leftover.is_node]
    for group, sig, grace in ((nodes, signal.SIGINT, node_grace),
                              (brokers, signal.SIGTERM, BROKER_GRACE_S)):  # fmt: skip
        _send(group, sig)
        left = _wait_gone(group, grace)
        _send(left, signal.SIGKILL)
        _wait_gone(left, grace)
        stopped += [leftover.what for leftover in group if leftover not in left]
        killed += [leftover.what for leftover in left]
    return Stopped(tuple(stopped), tuple(killed))


def _send(group: Sequence[Leftover], sig: signal.Signals) -> None:
    for leftover in group:
        try:
            os.kill(leftover.pid, sig)
        except ProcessLookupError:
            continue


def _wait_gone(group: Sequence[Leftover], timeout: float) -> list[Leftover]:
    """Wait up to ``timeout`` s for ``group`` to exit; return those still running."""
    deadline = time.monotonic() + timeout
    left = [leftover for leftover in group if manager_alive(leftover.pid)]
    while left and time.monotonic() < deadline:
        time.sleep(POLL_S)
        left = [leftover for leftover in left if manager_alive(leftover.pid)]
    return left
