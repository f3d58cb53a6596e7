"""Provides ``/proc/<pid>/stat`` read once for the manager and the node alike.

The manager proves a process is the one it recorded by its pid and start time
(``statefile.manager_alive``); a node watches its manager the same way
(``node/manager_watch.py``).
"""

from __future__ import annotations

from pathlib import Path


def stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after ``pid (comm)``: state, ppid, …; empty if
    the process is gone (or off Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    return stat.rsplit(")", 1)[-1].split()  # comm may hold spaces and parentheses


def start_time(fields: list[str]) -> int | None:
    """When the process of ``fields`` started (clock ticks since boot), or None if unknown."""
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None  # field 22


def is_zombie(fields: list[str]) -> bool:
    """Whether the process of ``fields`` has exited and waits for its parent to reap it."""
    return fields[:1] in (["Z"], ["X"])
