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


def growth(nodes: Sequence[int], values: Sequence[float], index: int) -> str:
    """How much nodes and the figure grew from the previous row to row ``index``."""
    if index == 0 or values[index - 1] <= 0:
        return ""
    more_nodes = nodes[index] / nodes[index - 1]
    return f"  x{more_nodes:.1f} nodes → x{values[index] / values[index - 1]:.1f}"


def chart(title: str, nodes: Sequence[int], values: Sequence[float], fmt: str) -> str:
    """One figure's chart."""
    top = max(values, default=0.0)
    lines = [title]
    for index, (count, value) in enumerate(zip(nodes, values, strict=True)):
        shown = fmt.format(value)
        lines.append(f"{count:4} │{bar(value, top)} {shown}{growth(nodes, values, index)}")
    return "\n".join(lines)


def plot(rows: Sequence[Any], columns: Sequence[tuple[str, str, str]]) -> str:
    """A chart for each ``(attribute, title, format)`` of ``columns`` over ``rows``."""
    nodes = [row.nodes for row in rows]
    charts = [
        chart(title, nodes, [float(getattr(row, name)) for row in rows], fmt)
        for name, title, fmt in columns
    ]
    return "\n\n".join(charts)
