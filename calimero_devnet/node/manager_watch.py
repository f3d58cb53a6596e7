"""Provides the node's watch on the manager that started it (``--manager-pid``).

A manager that dies (SIGKILL, out of memory) cannot stop its nodes. They keep serving, on
their data and their peers (a node never drops either on its own), and say so once in
their log: whoever reads ``devnet logs`` learns why no manager answers, and what to do.
The manager is known by its pid *and* its start time (``/proc/<pid>/stat``), read when the
watch starts: a pid the system hands to another program later is not taken for it. (Its
parent is no proof: a node forked by the fork server has the server as parent, and init
once the server is gone, with the manager alive.)
"""

from __future__ import annotations

import asyncio
import logging

from calimero_devnet import procstat
from calimero_devnet.procstat import is_zombie, stat_fields

log = logging.getLogger(__name__)
CHECK_S = 1.0


async def watch_manager(manager_pid: int, name: str, every: float = CHECK_S) -> None:
    """Return once ``manager_pid`` is no longer running, after a warning."""
    # Polled: no event tells a process another one died (PR_SET_PDEATHSIG only sends a
    # signal, which would stop the node); one read of /proc a second costs nothing.
    started = start_time(manager_pid)
    while started is not None and start_time(manager_pid) == started:  # noqa: ASYNC110
        await asyncio.sleep(every)
    log.warning(
        "its manager (pid %d) is gone; %s serves on, data kept: `devnet up` stops it and "
        "starts a new manager on the same data, `devnet down` stops it",
        manager_pid, name,
    )  # fmt: skip


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot); None if it is gone or a zombie."""
    fields = stat_fields(pid)
    return None if is_zombie(fields) else procstat.start_time(fields)
