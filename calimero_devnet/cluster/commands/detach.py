"""Provides ``devnet up --detach``: start the manager in the background, return once ready.

The manager is ``devnet up --headless`` in a new session (so closing the terminal does not
stop it), its output appended to ``<data_dir>/manager.log``. Ready means its
``cluster.json`` names it; if it exits first, the end of its log says why.
``devnet down`` stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from calimero_devnet.cluster.processes import orphans
from calimero_devnet.cluster.processes.datadir import MANAGER_LOG, lock_holder
from calimero_devnet.cluster.processes.node_events import exit_reason
from calimero_devnet.cluster.processes.node_process import PACKAGE_ROOT
from calimero_devnet.cluster.processes.statefile import ClusterState, running_state
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.errors import ClusterError

READY_TIMEOUT_S = 600.0  # a first run builds the toolchain (minutes); later ones take seconds
POLL_S = 0.1


def manager_argv(config: DevnetConfig, args: argparse.Namespace) -> list[str]:
    """The command line of the background manager: this ``up`` without ``--detach``."""
    argv = [sys.executable, "-m", "calimero_devnet.cli", "up", "--headless"]
    argv += ["--data-dir", str(config.cluster.data_dir)]
    argv += ["--config", str(config.source)] if config.source is not None else []
    argv += ["--nodes", str(args.nodes)] if args.nodes is not None else []
    argv += ["--broker", args.broker] if args.broker else []
    argv += ["--fresh"] if args.fresh else []
    argv += ["--from-snapshot", args.from_snapshot] if args.from_snapshot else []
    argv += ["--no-watch"] if args.no_watch else []
    return argv


def _env() -> dict[str, str]:
    """Our environment, with the package's folder first on the manager's import path."""
    paths = [str(PACKAGE_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def start_detached(config: DevnetConfig, args: argparse.Namespace) -> int:
    """Start the manager in the background; wait until its cluster is ready; return 0.

    Raises:
        ClusterError: a cluster already runs there, or the manager exited or stalled
            (quoting the end of its log).
    """
    data_dir = config.cluster.data_dir
    running = running_state(data_dir)
    if running is not None:
        raise ClusterError(
            f"a cluster is already running in {data_dir} (manager pid {running.manager_pid}): "
            "stop it with `devnet down`, or use another --data-dir"
        )
    left = orphans.find(data_dir) if lock_holder(data_dir) is None else []  # else: starting
    if left and not args.json:
        names = ", ".join(leftover.what for leftover in left)
        print(f"devnet: {names} still running, left by a manager that is gone: the new "
              "manager stops them first (their data stays)")  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / MANAGER_LOG
    with log.open("ab") as out:
        out.write(f"--- devnet up --detach at {time.ctime()} ---\n".encode())
        out.flush()
        process = subprocess.Popen(
            manager_argv(config, args), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True, env=_env(),
        )  # fmt: skip
    started = time.monotonic()
    if not args.json:
        print(f"devnet: starting the manager in the background (pid {process.pid}, log {log})")
    while time.monotonic() - started < READY_TIMEOUT_S:
        code = process.poll()
        if code is not None:
            raise ClusterError(f"the manager exited ({exit_reason(code)}): {_tail(log)}")
        state = running_state(data_dir)
        if state is not None and state.manager_pid == process.pid:
            _say_ready(state, process.pid, time.monotonic() - started, log, as_json=args.json)
            return 0
        time.sleep(POLL_S)
    raise ClusterError(
        f"the manager (pid {process.pid}) is not ready after {READY_TIMEOUT_S:.0f} s; "
        f"it keeps trying: see {log}, or stop it with `devnet down`"
    )


def _say_ready(state: ClusterState, pid: int, took: float, log: Path, *, as_json: bool) -> None:
    if as_json:
        data = {"managerPid": pid, "clusterId": state.cluster_id, "seconds": round(took, 3),
                "log": str(log), "nodes": [node.name for node in state.nodes]}  # fmt: skip
        print(json.dumps(data))
        return
    print(f"devnet: cluster {state.cluster_id} ready in {took:.1f} s ({len(state.nodes)} nodes); "
          "`devnet status`, `devnet down`")  # fmt: skip


def _tail(log: Path, lines: int = 12) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    run = text.rsplit("--- devnet up --detach", 1)[-1].splitlines()[1:]
    return "\n  " + "\n  ".join(run[-lines:]) if run else "(nothing in its log)"
