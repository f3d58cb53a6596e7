"""Provides read views of a context's stored deltas: one decoded, the recent DAG, summaries.

Every view reads only what it shows: a delta's summary decodes its first few actions
(``actions.decode_prefix``), and the recent slice walks parents from the heads, newest
first, reading one delta body per step, never the whole ``deltas`` column family.
Collections are named after the stored root document (``describe``), parsed once per
root change per context (:class:`CollectionNames`).
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyborsh import BorshError
from pydantic import ValidationError

from calimero_devnet.errors import DeltaNotFound, ParseError, StoreError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections import describe
from calimero_devnet.node.collections.actions import decode_prefix
from calimero_devnet.node.collections.layout import ROOT_KEY, RootRecord
from calimero_devnet.node.collections.model import CollectionError
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.delta import CausalDelta, DeltaKind, decode, verify
from calimero_devnet.node.state.records import ContextRecord

if TYPE_CHECKING:  # the HTTP layer uses this module's views without loading RocksDB
    from calimero_devnet.node.state.store import NodeStore

log = logging.getLogger(__name__)

DEFAULT_RECENT = 64
MAX_RECENT = 512
MAX_ACTION_LINES = 1000  # a detail view; the batch's real count travels beside the lines
_NAMES_KEPT = 256  # contexts whose parsed root document is kept


@dataclass(frozen=True, slots=True)
class DeltaDetail:
    """One stored delta with its actions described and its signature re-checked."""

    delta: CausalDelta
    actions: tuple[str, ...]
    action_count: int
    signature_valid: bool


@dataclass(frozen=True, slots=True)
class DeltaLine:
    """One delta of the recent slice, with its one-line summary."""

    delta: CausalDelta
    summary: str


@dataclass(frozen=True, slots=True)
class RecentDeltas:
    """The newest stored deltas reachable from the heads, children before parents."""

    heads: tuple[bytes, ...]
    deltas: tuple[DeltaLine, ...]
    truncated: bool


class CollectionNames:
    """Collection names of each context's root document, re-parsed only when it changes."""

    def __init__(self) -> None:
        self._parsed: dict[bytes, tuple[bytes, dict[bytes, str]]] = {}

    def of(self, store: NodeStore, ctx: bytes) -> Mapping[bytes, str]:
        """Collection id → field name, from the stored root document (none: empty)."""
        raw = store.state_get(ctx, ROOT_KEY)
        if raw is None:
            return {}  # not a JS app, or no root yet
        kept = self._parsed.get(ctx)
        if kept is not None and kept[0] == raw:
            return kept[1]
        try:
            names = describe.root_names(RootRecord.from_borsh(raw).doc)
        except (BorshError, ValidationError):
            names = {}  # the consistency check reports a bad record; a view just names less
        if len(self._parsed) >= _NAMES_KEPT:
            self._parsed.clear()
        self._parsed[ctx] = (raw, names)
        return names


def action_lines(
    delta: CausalDelta, names: Mapping[bytes, str], limit: int
) -> tuple[list[str], int]:
    """Lines for the first ``limit`` actions of ``delta`` and its action count."""
    if delta.kind is not DeltaKind.HOST_ACTIONS:
        return [], 0
    try:
        actions, count = decode_prefix(delta.payload, limit)
    except CollectionError as exc:
        return [f"payload does not decode: {exc}"], 0
    return describe.describe_all(actions, names), count


def summary(delta: CausalDelta, names: Mapping[bytes, str]) -> tuple[str, int]:
    """A one-line summary of ``delta`` (≤ 80 characters) and its action count."""
    if delta.kind is not DeltaKind.HOST_ACTIONS:
        return f"artifact {len(delta.payload)} B", 0
    lines, count = action_lines(delta, names, describe.SUMMARY_ACTIONS)
    return describe.summarize(lines), count


def signature_valid(delta: CausalDelta, filed_as: bytes) -> bool:
    """Whether the delta is filed under its id, its id fits its content and it is signed."""
    if delta.id != filed_as:
        return False
    try:
        verify(delta, (delta.author,))  # id and signature; membership is not the question
    except ParseError:
        return False
    return True


def detail(
    store: NodeStore, record: ContextRecord, delta_id: bytes, names: Mapping[bytes, str],
    node: str,
) -> DeltaDetail:  # fmt: skip
    """The stored delta ``delta_id`` of a context, decoded.

    Raises:
        DeltaNotFound: the node stores no body of it (perhaps it came inside a snapshot).
        StoreError: the stored bytes do not decode.
    """
    ctx = record.id
    raw = store.delta(ctx, delta_id)
    if raw is None:
        raise DeltaNotFound(_not_found(store, ctx, delta_id, node))
    try:
        delta = decode(raw)
    except ParseError as exc:
        raise StoreError(
            f"stored delta {to_b58(delta_id)} of context {to_b58(ctx)} on node {node} is "
            f"damaged: {exc}; GET /admin-api/contexts/{to_b58(ctx)}/consistency lists more"
        ) from exc
    lines, count = action_lines(delta, names, MAX_ACTION_LINES)
    return DeltaDetail(delta, tuple(lines), count, signature_valid(delta, delta_id))


def _not_found(store: NodeStore, ctx: bytes, delta_id: bytes, node: str) -> str:
    where = f"delta {to_b58(delta_id)} of context {to_b58(ctx)}"
    if store.has_applied(ctx, delta_id):
        return (
            f"{where} is applied on node {node}, but its body is not stored there: it arrived "
            "inside a snapshot; ask a node that received it as a delta"
        )
    return (
        f"node {node} stores no {where}: it may have arrived inside a snapshot (bodies are "
        "not kept then), or not have reached this node yet"
    )


def recent(
    store: NodeStore, record: ContextRecord, limit: int, names: Mapping[bytes, str]
) -> RecentDeltas:
    """The newest ``limit`` stored deltas reachable from the heads, children first.

    The walk pops the newest delta (by HLC, ties by id) from a frontier seeded with the
    heads and pushes its stored parents. An author's clock has observed every parent
    before it stamps a delta, so a child's HLC exceeds its parents' and newest-first is
    children-before-parents. Parents whose body came in a snapshot end the walk there.
    """
    if not 1 <= limit <= MAX_RECENT:
        raise ParseError(f"limit must be 1..{MAX_RECENT}, got {limit}")
    frontier: list[tuple[tuple[int, int, bytes], CausalDelta]] = []
    seen: set[bytes] = set()
    for head in record.heads:
        _push(store, record.id, head, frontier, seen)
    lines: list[DeltaLine] = []
    while frontier and len(lines) < limit:
        _, delta = heapq.heappop(frontier)
        lines.append(DeltaLine(delta, summary(delta, names)[0]))
        for parent in delta.parents:
            _push(store, record.id, parent, frontier, seen)
    return RecentDeltas(tuple(record.heads), tuple(lines), truncated=bool(frontier))


def _push(
    store: NodeStore, ctx: bytes, delta_id: bytes,
    frontier: list[tuple[tuple[int, int, bytes], CausalDelta]], seen: set[bytes],
) -> None:  # fmt: skip
    if delta_id in seen:
        return
    seen.add(delta_id)
    raw = store.delta(ctx, delta_id)
    if raw is None:
        return  # history from a snapshot: no body, no parents to follow
    try:
        delta = decode(raw)
    except ParseError:
        log.warning("stored delta %s does not decode; left out of the listing", to_b58(delta_id))
        return
    # heapq pops the smallest: negate the HLC so the newest comes first.
    heapq.heappush(frontier, ((-delta.hlc.time, -delta.hlc.node, delta.id), delta))


def event_view(event: Event) -> dict[str, Any]:
    """An event's ``kind`` and its bytes: ``data`` as UTF-8 text, else ``dataHex``."""
    fields: dict[str, Any] = {"kind": event.kind}
    try:
        fields["data"] = event.data.decode("utf-8")
    except UnicodeDecodeError:
        fields["dataHex"] = event.data.hex()
    return fields
