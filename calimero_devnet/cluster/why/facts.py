"""Provides ``NodeFacts``: what one node says of a context, read from its admin API answers.

Pure: ``facts_from_json`` takes the ``data`` of ``GET /admin-api/contexts/<id>`` (root
hash), ``.../dag`` (heads, applied ids, pending) and ``.../state`` (keys, hashes, values),
so the report can be built and tested without a node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Waiting:
    """A delta pending on a node: the parents it waits for, the unknown ancestors it needs."""

    delta: str
    waiting_for: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StateValue:
    """One state key on one node: its readable name, value hash and value's start."""

    label: str
    digest: str
    value: str


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """One node's view of a context (``error`` set: it could not say)."""

    node: str
    heads: tuple[str, ...] = ()
    root: str | None = None
    applied: frozenset[str] = frozenset()
    pending: tuple[Waiting, ...] = ()
    state: Mapping[str, StateValue] = field(default_factory=dict)  # key hex → value
    state_truncated: bool = False
    error: str | None = None


def facts_from_json(
    node: str, context: Mapping[str, Any], dag: Mapping[str, Any], state: Mapping[str, Any]
) -> NodeFacts:
    """A node's facts from its three answers (each the reply's ``data``)."""
    pending = tuple(
        Waiting(str(p["id"]), tuple(p["waitingFor"]), tuple(p["missing"])) for p in dag["pending"]
    )
    values = {
        str(e["key"]): StateValue(str(e["label"]), str(e["hash"]), str(e["value"]))
        for e in state["entries"]
    }
    return NodeFacts(
        node, tuple(sorted(dag["heads"])), context.get("rootHash"), frozenset(dag["applied"]),
        pending, values, bool(state.get("truncated")),
    )  # fmt: skip
