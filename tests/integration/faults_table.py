"""Collects one row per fault-injection test and prints them as a table after the run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    fault: str
    what: str
    acked: int
    refused: int
    missing: dict[str, int]
    converged_after_s: float


ROWS: list[Row] = []


def record(row: Row) -> None:
    """Keep one test's outcome for the table."""
    ROWS.append(row)


def lines() -> list[str]:
    """The table as Markdown (empty when no fault test ran)."""
    if not ROWS:
        return []
    out = [
        "| fault | what | writes acknowledged | refused while down | lost | converged after |",
        "|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        lost = ", ".join(f"{node}: {n}" for node, n in row.missing.items()) or "none"
        out.append(
            f"| {row.fault} | {row.what} | {row.acked} | {row.refused} | {lost} | "
            f"{row.converged_after_s:.2f} s |"
        )
    return out
