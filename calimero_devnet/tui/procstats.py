"""Provides the RSS and CPU of node processes (psutil), sampled between two calls.

CPU is the share of one core since the previous sample of the same pid, as ``top`` shows
it; the first sample of a pid reads 0. A pid that is gone is left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import psutil


class ProcessStats:
    """Samples processes by pid; keeps one ``psutil.Process`` per pid for CPU deltas."""

    def __init__(self) -> None:
        """Start with no history."""
        self._procs: dict[int, psutil.Process] = {}

    def sample(self, pids: Mapping[str, int]) -> dict[str, tuple[int, float]]:
        """Name → (RSS bytes, CPU % of one core) for each live pid of ``pids``."""
        out: dict[str, tuple[int, float]] = {}
        for name, pid in pids.items():
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                with proc.oneshot():
                    out[name] = (proc.memory_info().rss, proc.cpu_percent(interval=None))
            except psutil.Error:  # gone, or not ours to read
                self._procs.pop(pid, None)
        for pid in set(self._procs) - set(pids.values()):
            del self._procs[pid]
        return out
