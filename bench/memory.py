"""Provides what a process's memory costs: RSS, and PSS (shared pages split among sharers).

RSS counts every page a process maps, shared or not, so forked nodes (sharing the fork
server's imported modules) each show most of it again; PSS divides each shared page by
the processes that share it, so summed over a cluster it is what the cluster really holds.
"""

from __future__ import annotations

from pathlib import Path

FIELDS = ("Rss", "Pss")


def memory_kib(pid: int) -> dict[str, int]:
    """``{"Rss": KiB, "Pss": KiB}`` of ``pid`` (``/proc/<pid>/smaps_rollup``).

    Raises:
        RuntimeError: the process is gone.
    """
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError):
        raise RuntimeError(f"process {pid} is gone") from None
    found = {}
    for line in rollup.splitlines():
        name, _, rest = line.partition(":")
        if name in FIELDS:
            found[name] = int(rest.split()[0])
    return found


def per_node_mib(pids: list[int]) -> tuple[float, float]:
    """(mean RSS, mean PSS) of ``pids`` in MiB."""
    samples = [memory_kib(pid) for pid in pids]
    return tuple(sum(s[f] for s in samples) / len(samples) / 1024 for f in FIELDS)  # type: ignore[return-value]
