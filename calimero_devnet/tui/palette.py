"""Provides the UI's colours: one per node (stable, by its place in the cluster), one per level.

Every colour is chosen to read on both dark and light themes; meaning is never carried by
colour alone (states and verdicts are also words).
"""

from __future__ import annotations

from collections.abc import Iterable

NODE_COLOURS = (
    "#3b8eea", "#d7875f", "#5fa85f", "#b267e6", "#c9a227", "#2aa198", "#e0608a", "#7f8fa6",
    "#9a6a3a", "#4f9d9d",
)  # fmt: skip
LEVEL_STYLES = {
    "ok": "bold #2e9e4f",
    "warning": "bold #c98a00",
    "error": "bold #d64545",
    "busy": "bold #3b8eea",
    "muted": "#888888",
    "info": "",
    "debug": "#888888",
}


def node_colours(names: Iterable[str]) -> dict[str, str]:
    """Node → colour, by order (the first ten nodes never share one)."""
    return {name: NODE_COLOURS[i % len(NODE_COLOURS)] for i, name in enumerate(names)}


def level_style(level: str) -> str:
    """The Rich style of a level (``ok``, ``warning``, ``error``, ``busy``, ``muted``…)."""
    return LEVEL_STYLES.get(level, "")
