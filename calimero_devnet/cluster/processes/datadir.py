"""Provides the data dir of a cluster: one manager at a time (a lock), and ``--fresh`` wiping.

Layout::

    <data_dir>/cluster.json    the state file other ``devnet`` commands read (statefile.py)
    <data_dir>/manager.lock    held (flock) by the manager for its whole life
    <data_dir>/manager.log     the output of a manager started with ``devnet up --detach``
    <data_dir>/broker/         the broker's log (and mosquitto's config)
    <data_dir>/nodes/<node>/   node homes: store, node.log, stderr.log
    <data_dir>/apps/<app>/     build outputs of TypeScript apps
    <data_dir>/generations.json  how often each context was reset (generations.py)
    <data_dir>/wasm-cache/     compiled modules the nodes share (a cache: kept by --fresh)
    <data_dir>/snapshots/      whole-cluster snapshots (cluster/snapshots/; kept by --fresh)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from calimero_devnet.cluster.deploy.generations import GENERATIONS_FILE
from calimero_devnet.cluster.processes import procfs
from calimero_devnet.cluster.processes.statefile import STATE_FILE, running_state
from calimero_devnet.errors import ClusterError

LOCK_FILE = "manager.lock"
MANAGER_LOG = "manager.log"
# Only what devnet itself creates is ever removed: a --data-dir pointed at the wrong folder
# must not cost the user its files.
WIPED = ("nodes", "broker", "apps", STATE_FILE, GENERATIONS_FILE)


def wipe(data_dir: Path) -> list[str]:
    """Remove the node stores, logs, builds and state of ``data_dir``; return what went."""
    removed = []
    for name in WIPED:
        path = data_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


@contextlib.contextmanager
def manager_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's manager lock for the block.

    Raises:
        ClusterError: another manager runs on ``data_dir`` (its pid when the state file says).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    running = running_state(data_dir)
    if running is not None:
        raise _taken(data_dir, running.manager_pid)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _taken(data_dir, None) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


def lock_holder(data_dir: Path) -> int | None:
    """The manager holding ``data_dir``'s lock now, proved (None when none does).

    The pid written in the lock file counts only while the lock is held and that very
    process has the file open: a pid alone may be reused; the file outlives its writer.
    """
    path = (data_dir / LOCK_FILE).resolve()
    try:
        pid = int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not _held(path) or str(path) not in procfs.open_files(pid):
        return None
    return pid


def _held(path: Path) -> bool:
    """Whether someone holds the flock of ``path`` (tried without waiting, let go at once)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases a lock taken just now
    return False


def _taken(data_dir: Path, pid: int | None) -> ClusterError:
    who = f"manager pid {pid}" if pid is not None else "another `devnet up` is starting"
    return ClusterError(
        f"a cluster is already running in {data_dir} ({who}): stop it with `devnet down`, "
        "or use another --data-dir"
    )
