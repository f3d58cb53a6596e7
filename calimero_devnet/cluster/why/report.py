"""Provides the "why not converged" report of one context over its nodes' facts (pure).

Per node: its heads and root, the deltas it lacks that other nodes applied (and which
nodes have them), what waits there on which missing parent (and who has that parent);
then every state key whose value differs between nodes, with each node's value cut short.
Whether the nodes agree is judged as ``wait_converged`` judges it
(``convergence.state_differences``: heads, root hash, nothing pending).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from calimero_devnet.cluster.convergence import NodeView, state_differences
from calimero_devnet.cluster.why.facts import NodeFacts, Waiting

SHOWN = 8  # deltas, waits and keys a text line lists before "and N more"
ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class Lack:
    """A delta some nodes applied and one node did not: who has it."""

    delta: str
    holders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NodeWhy:
    """One node's part of the report."""

    facts: NodeFacts
    lacks: tuple[Lack, ...]


@dataclass(frozen=True, slots=True)
class KeyDiff:
    """A state key whose value is not the same on every node: each node's value."""

    key: str
    label: str
    values: tuple[tuple[str, str], ...]  # (node, value or "(absent)")


@dataclass(frozen=True, slots=True)
class WhyReport:
    """Why a context has (or has not) converged on its nodes."""

    context: str
    name: str
    nodes: tuple[NodeWhy, ...]
    differences: tuple[str, ...]
    keys: tuple[KeyDiff, ...]
    left_out: tuple[tuple[str, str], ...] = ()  # (node, why it is not compared)

    @property
    def converged(self) -> bool:
        """True when the nodes agree on heads, root and pending, and on every key."""
        return not self.differences and not self.keys

    def text(self) -> str:
        """The report as lines of text (one line when converged)."""
        return "\n".join(render(self))

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (every delta and key, nothing cut short but the values)."""
        return {
            "context": self.context, "name": self.name, "converged": self.converged,
            "differences": list(self.differences),
            "nodes": [_node_json(n) for n in self.nodes],
            "keys": [{"key": k.key, "label": k.label, "values": dict(k.values)}
                     for k in self.keys],
            "leftOut": dict(self.left_out),
        }  # fmt: skip


def why_report(
    context: str, facts: Sequence[NodeFacts], *, name: str = "",
    left_out: Sequence[tuple[str, str]] = (),
) -> WhyReport:  # fmt: skip
    """The report of ``context`` over what each node said (``left_out``: nodes not asked)."""
    views = [NodeView(f.node, f.heads, f.root, len(f.pending), f.error) for f in facts]
    answered = [f for f in facts if f.error is None]
    nodes = tuple(NodeWhy(f, lacks_of(f, answered)) for f in facts)
    return WhyReport(context, name, nodes, tuple(state_differences(views)),
                     differing_keys(answered), tuple(left_out))  # fmt: skip


def lacks_of(node: NodeFacts, everyone: Sequence[NodeFacts]) -> tuple[Lack, ...]:
    """The deltas other nodes applied that ``node`` did not, each with who has it."""
    if node.error is not None:
        return ()
    others = {d for other in everyone for d in other.applied} - node.applied
    return tuple(Lack(d, holders(d, everyone)) for d in sorted(others))


def holders(delta: str, everyone: Sequence[NodeFacts]) -> tuple[str, ...]:
    """The nodes that applied ``delta``."""
    return tuple(f.node for f in everyone if delta in f.applied)


def differing_keys(answered: Sequence[NodeFacts]) -> tuple[KeyDiff, ...]:
    """Every state key whose value hash is not the same on all nodes (absent counts)."""
    keys = sorted({key for f in answered for key in f.state})
    diffs = []
    for key in keys:
        seen = [f.state.get(key) for f in answered]
        if len({None if v is None else v.digest for v in seen}) > 1:
            label = next(v.label for v in seen if v is not None)
            values = tuple((f.node, ABSENT if v is None else v.value)
                           for f, v in zip(answered, seen, strict=True))  # fmt: skip
            diffs.append(KeyDiff(key, label, values))
    return tuple(diffs)


def render(report: WhyReport) -> list[str]:
    """The text lines of ``report``."""
    named = report.name and not report.context.startswith(report.name)  # not an id's start
    title = f"context {report.name} ({report.context})" if named else f"context {report.context}"
    names = ", ".join(n.facts.node for n in report.nodes)
    left = "".join(f"; {node} {why}" for node, why in report.left_out)
    if not report.nodes:
        return [f"{title}: no running node has it{left}"]
    if report.converged:
        return [f"{title}: converged on {names}{left}"]
    lines = [f"{title}: NOT converged on {names}{left}"]
    lines += [f"  differs: {line}" for line in report.differences]
    for node in report.nodes:
        lines += _node_lines(node, report)
    if report.keys:
        lines.append(f"  keys that differ ({len(report.keys)}):")
        lines += [f"    {k.label}: " + ", ".join(f"{n} {v}" for n, v in k.values)
                  for k in report.keys[:SHOWN]]  # fmt: skip
        lines += _more(len(report.keys), "    ")
    lines += [f"  note: {n.facts.node} has more state keys than were compared"
              for n in report.nodes if n.facts.state_truncated]  # fmt: skip
    return lines


def _node_lines(node: NodeWhy, report: WhyReport) -> list[str]:
    facts = node.facts
    if facts.error is not None:
        return [f"  {facts.node}: {facts.error}"]
    heads = "[" + ", ".join(h[:8] for h in facts.heads) + "]"
    lines = [f"  {facts.node}: heads {heads}, root {(facts.root or '-')[:8]}, "
             f"{len(facts.applied)} delta(s) applied"]  # fmt: skip
    if node.lacks:
        shown = ", ".join(f"{lack.delta[:8]} (on {', '.join(lack.holders)})"
                          for lack in node.lacks[:SHOWN])  # fmt: skip
        lines.append(f"    lacks {len(node.lacks)} delta(s): {shown}")
        lines += _more(len(node.lacks), "    ")
    everyone = [n.facts for n in report.nodes if n.facts.error is None]
    lines += [f"    {_waiting_line(w, everyone)}" for w in facts.pending[:SHOWN]]
    lines += _more(len(facts.pending), "    ")
    return lines


def _waiting_line(waiting: Waiting, everyone: Sequence[NodeFacts]) -> str:
    parents = ", ".join(p[:8] for p in waiting.waiting_for)
    missing = []
    for delta in waiting.missing:
        have = holders(delta, everyone)
        missing.append(f"{delta[:8]} ({'on ' + ', '.join(have) if have else 'no node has it'})")
    return f"pending {waiting.delta[:8]} waits for {parents}; missing: {', '.join(missing)}"


def _more(count: int, pad: str) -> list[str]:
    return [f"{pad}... and {count - SHOWN} more (--json lists them all)"] if count > SHOWN else []


def _node_json(node: NodeWhy) -> dict[str, Any]:
    facts = node.facts
    return {
        "node": facts.node, "error": facts.error, "heads": list(facts.heads),
        "rootHash": facts.root, "applied": len(facts.applied),
        "lacks": [{"delta": lack.delta, "holders": list(lack.holders)} for lack in node.lacks],
        "pending": [{"delta": w.delta, "waitingFor": list(w.waiting_for),
                     "missing": list(w.missing)} for w in facts.pending],
    }  # fmt: skip
