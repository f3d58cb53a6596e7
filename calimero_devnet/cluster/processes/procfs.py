"""Provides what Linux's ``/proc`` tells about other processes: command lines, open files.

How devnet proves a process is one of its own before it signals it (``orphans.py``,
``datadir.lock_holder``): never on a pid alone, which the system may have given to
another program since.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")


def pids() -> Iterator[int]:
    """Every process id there is now."""
    with contextlib.suppress(OSError):
        for entry in PROC.iterdir():
            if entry.name.isdigit():
                yield int(entry.name)


def cmdline(pid: int) -> list[str]:
    """The command line of ``pid`` (empty if it is gone or unreadable)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def open_files(pid: int) -> set[str]:
    """The paths ``pid`` has open (empty if it is gone or not ours to look at)."""
    found = set()
    with contextlib.suppress(OSError):
        for fd in (PROC / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):  # closed while we looked
                found.add(os.readlink(fd))
    return found


def fd_target(pid: int, fd: int) -> str | None:
    """What descriptor ``fd`` of ``pid`` points at (None if gone or not ours to look at)."""
    try:
        return os.readlink(PROC / str(pid) / "fd" / str(fd))
    except OSError:
        return None
