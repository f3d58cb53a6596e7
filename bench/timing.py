"""Provides the latency helpers the in-process benchmarks share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p99) in milliseconds of ``samples`` given in seconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def timed(calls: int, run: Callable[[int], object]) -> list[float]:
    """Time ``calls`` runs of ``run(i)``; one sample in seconds each."""
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        run(i)
        samples.append(time.perf_counter() - started)
    return samples


def measure(calls: int, run: Callable[[int], object], warmup: int = 20) -> tuple[float, float]:
    """(p50, p99) in ms of ``calls`` runs of ``run(i)`` after ``warmup`` untimed ones."""
    for i in range(warmup):
        run(i)
    return percentiles(timed(calls, run))
