"""Provides the text plot of ``bench_scale``: one bar chart per figure against the node count.

Each chart has a bar per node count, scaled to the largest value, and the growth from the
previous count (``x3.3 nodes → x4.1``): a figure growing faster than the node count is where
the curve bends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH = 40


def bar(value: float, top: float) -> str:
    """A bar of ``value`` on a scale where ``top`` fills ``WIDTH`` cells."""
    cells = 0 if top <= 0 else round(WIDTH * value / top)
    return "█" * cells + " " * (WIDTH - cells)


def growth(nodes: Sequence[int], values: Sequence[float | None], index: int) -> str:
    """How much nodes and the figure grew from the previous row to row ``index``."""
    value, before = values[index], values[index - 1] if index else None
    if value is None or before is None or before <= 0:
        return ""
    more_nodes = nodes[index] / nodes[index - 1]
    return f"  x{more_nodes:.1f} nodes → x{value / before:.1f}"


def chart(title: str, nodes: Sequence[int], values: Sequence[float | None], fmt: str) -> str:
    """One figure's chart (a missing value, from a failed phase, shows as ``failed``)."""
    top = max((v for v in values if v is not None), default=0.0)
    lines = [title]
    for index, (count, value) in enumerate(zip(nodes, values, strict=True)):
        if value is None:
            lines.append(f"{count:4} │{' ' * WIDTH} failed")
            continue
        shown = fmt.format(value)
        lines.append(f"{count:4} │{bar(value, top)} {shown}{growth(nodes, values, index)}")
    return "\n".join(lines)


def plot(rows: Sequence[Any], columns: Sequence[tuple[str, str, str]]) -> str:
    """A chart for each ``(attribute, title, format)`` of ``columns`` over ``rows``."""
    nodes = [row.nodes for row in rows]
    charts = [
        chart(title, nodes, [figure(getattr(row, name)) for row in rows], fmt)
        for name, title, fmt in columns
    ]
    return "\n\n".join(charts)


def figure(value: Any) -> float | None:
    """A row's value as a float (None stays None: the phase failed)."""
    return None if value is None else float(value)
