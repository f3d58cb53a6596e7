"""Provides the DAG view's text: a node's recent deltas (its admin API) drawn as lanes.

The node answers its heads and newest deltas, children first; authors come as public keys
and are shown as node names; every node's heads (from the last status poll) are marked
where they appear, and heads the drawn node does not have are listed under the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text

from calimero_devnet.tui.dag import DagDelta, layout
from calimero_devnet.tui.dagrender import render
from calimero_devnet.tui.model import TuiModel


def dag_deltas(model: TuiModel, data: Mapping[str, Any]) -> list[DagDelta]:
    """The node's answer as ``DagDelta`` values, authors named."""
    names = {n.public_key: n.name for n in model.nodes.values() if n.public_key}
    return [
        DagDelta(str(d["id"]), tuple(str(p) for p in d.get("parents") or ()),
                 names.get(d.get("author"), str(d.get("author", "?"))[:6]),
                 str(d.get("summary") or ("merge" if len(d.get("parents") or ()) > 1 else "")))
        for d in data.get("deltas") or ()
    ]  # fmt: skip


def node_heads(model: TuiModel) -> dict[str, tuple[str, ...]]:
    """Node → its heads in the selected context (from the last status poll)."""
    context = model.selected_context() or ""
    return {name: node.views[context].heads for name, node in model.nodes.items()
            if context in node.views}  # fmt: skip


def dag_lines(
    model: TuiModel, node: str, data: Mapping[str, Any], colours: Mapping[str, str], width: int
) -> Text:
    """The whole view: a title, the graph, and heads the drawn node lacks."""
    deltas = dag_deltas(model, data)
    heads = node_heads(model)
    out = Text(f"DAG of {model.selected_context()} as {node} has it: "
               f"{len(deltas)} newest deltas", style="bold")  # fmt: skip
    if data.get("truncated"):
        out.append(" (older ones below the window)", "dim")
    out.append("\n")
    for line in render(layout(deltas), heads, colours, width=width):
        out.append_text(line)
        out.append("\n")
    drawn = {d.id for d in deltas}
    for other, ids in sorted(heads.items()):
        missing = [h for h in ids if h not in drawn]
        if missing:
            out.append(f"{other} has heads {node} lacks: {' '.join(h[:6] for h in missing)}\n",
                       "bold #c98a00")  # fmt: skip
    return out
