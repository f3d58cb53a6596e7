"""Provides the node's watch on the manager that started it (``--manager-pid``).

A manager that dies (SIGKILL, out of memory) cannot stop its nodes. They keep serving, on
their data and their peers (a node never drops either on its own), and say so once in
their log: whoever reads ``devnet logs`` learns why no manager answers, and what to do.
The parent pid tells: a node's parent is its manager until the manager dies.
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
    while os.getppid() == manager_pid:  # noqa: ASYNC110
        await asyncio.sleep(every)
    log.warning(
        "its manager (pid %d) is gone; %s serves on, data kept: `devnet up` stops it and "
        "starts a new manager on the same data, `devnet down` stops it",
        manager_pid, name,
    )  # fmt: skip
