"""Provides the store consistency check of one context (used after crashes and in tests)."""

from __future__ import annotations

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections.digest import digest_problems
from calimero_devnet.node.state.delta import CausalDelta, compute_id, decode
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.store import NodeStore


def check_context(store: NodeStore, record: ContextRecord) -> list[str]:
    """Return every inconsistency between a context record and its stored deltas and state.

    Checks: each stored delta decodes, is filed under its own id, belongs to this context
    and has a content-matching id; the recorded heads are exactly the stored deltas that
    no stored delta names as a parent; the recorded delta count matches; for host
    collections (JS apps), the stored digest accumulator matches one recomputed from every
    record. An empty list means consistent.
    """
    problems: list[str] = []
    deltas = _load_deltas(store, record.id, problems)
    parents = {parent for delta in deltas.values() for parent in delta.parents}
    expected_heads = set(deltas) - parents
    recorded = set(record.heads)
    for head in sorted(recorded - expected_heads):
        problems.append(f"head {to_b58(head)} is not a stored delta without children")
    for head in sorted(expected_heads - recorded):
        problems.append(f"stored delta {to_b58(head)} has no children but is not a head")
    if len(record.heads) != len(recorded):
        problems.append("the recorded heads contain duplicates")
    if record.delta_count != len(deltas):
        problems.append(f"delta_count is {record.delta_count} but {len(deltas)} deltas are stored")
    problems.extend(digest_problems(store.state_reader(record.id)))
    return problems


def _load_deltas(store: NodeStore, ctx: bytes, problems: list[str]) -> dict[bytes, CausalDelta]:
    deltas: dict[bytes, CausalDelta] = {}
    for key, wire in store.deltas(ctx):
        try:
            delta = decode(wire)
        except ParseError as exc:
            problems.append(f"delta {to_b58(key)} does not decode: {exc}")
            continue
        if delta.id != key:
            problems.append(f"delta {to_b58(delta.id)} is filed under {to_b58(key)}")
        if delta.context_id != ctx:
            problems.append(f"delta {to_b58(key)} belongs to context {to_b58(delta.context_id)}")
        if compute_id(delta) != delta.id:
            problems.append(f"delta {to_b58(key)} has an id that does not match its content")
        deltas[key] = delta
    return deltas
