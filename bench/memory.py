"""Provides what a process's memory costs: RSS, and PSS (shared pages split among sharers).

RSS counts every page a process maps, shared or not, so forked nodes (sharing the fork
server's imported modules) each show most of it again; PSS divides each shared page by
the processes that share it, so summed over a cluster it is what the cluster really holds.
"""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.procstat import stat_fields

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


def total_mib(pids: list[int]) -> tuple[float, float]:
    """(summed RSS, summed PSS) of ``pids`` in MiB."""
    samples = [memory_kib(pid) for pid in pids]
    rss, pss = (sum(sample[name] for sample in samples) / 1024 for name in FIELDS)
    return rss, pss


def per_node_mib(pids: list[int]) -> tuple[float, float]:
    """(mean RSS, mean PSS) of ``pids`` in MiB."""
    rss, pss = total_mib(pids)
    return rss / len(pids), pss / len(pids)


def parent_pid(pid: int) -> int:
    """The parent of ``pid`` (``/proc/<pid>/stat``: the field after the state)."""
    return int(stat_fields(pid)[1])


def cluster_total_mib(pids: list[int], manager: int) -> tuple[float, float]:
    """(summed RSS, summed PSS) of the nodes ``pids``, the PSS with that of the parent they
    have besides ``manager`` (the fork server, when they are forked)."""
    rss, pss = total_mib(pids)
    servers = {parent_pid(pid) for pid in pids} - {manager}
    return rss, pss + (total_mib(sorted(servers))[1] if servers else 0.0)


def cluster_per_node_mib(pids: list[int], manager: int) -> tuple[float, float]:
    """``cluster_total_mib`` per node."""
    rss, pss = cluster_total_mib(pids, manager)
    return rss / len(pids), pss / len(pids)
