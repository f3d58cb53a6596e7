"""Provides the node's watch on the manager that started it (``--manager-pid``).

A manager that dies (SIGKILL, out of memory) cannot stop its nodes. They keep serving, on
their data and their peers (a node never drops either on its own), and say so once in
their log: whoever reads ``devnet logs`` learns why no manager answers, and what to do.
The parent pid tells: a node's parent is its manager, or the manager's fork server (which
exits with it), until the manager dies.
"""

from __future__ import annotations

import asyncio
import logging
import os

log = logging.getLogger(__name__)
CHECK_S = 1.0


async def watch_manager(manager_pid: int, name: str, every: float = CHECK_S) -> None:
    """Return once ``manager_pid`` is no longer this process's parent, after a warning."""
    # Polled: no event tells a child its parent died (PR_SET_PDEATHSIG only sends a signal,
    # which would stop the node); a getppid() a second costs nothing.
    while started_by(manager_pid):  # noqa: ASYNC110
        await asyncio.sleep(every)
    log.warning(
        "its manager (pid %d) is gone; %s serves on, data kept: `devnet up` stops it and "
        "starts a new manager on the same data, `devnet down` stops it",
        manager_pid, name,
    )  # fmt: skip


def started_by(manager_pid: int) -> bool:
    """Whether our parent is ``manager_pid`` or a child of it (its fork server)."""
    parent = os.getppid()
    return parent == manager_pid or parent_of(parent) == manager_pid


def parent_of(pid: int) -> int | None:
    """The parent pid of ``pid`` (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so from the last ")"
            return int(stat.read().rpartition(b")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None
