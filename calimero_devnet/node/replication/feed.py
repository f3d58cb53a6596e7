"""Provides the JSON events a replicating node publishes on its feed (``node/<node>/feed``).

Every event is a compact JSON object ``{"event": <name>, "ts": <unix ms>, ...}``; ids are
base58, lists of ids are cut at ``MAX_IDS`` (counts stay exact). Shapes::

    authored  context delta author parents hlc kind  a local call committed a delta (the
              events root summary actions          one head now: no ``state`` follows);
                                                    ``hlc`` its time, ``summary`` its first
                                                    3 actions as one line (≤ 80 chars),
                                                    ``actions`` how many it holds
    applied   context from count deltas             peer deltas applied (one per batch)
    pending   context from delta missing            a delta waits for parents (fetching them)
    rejected  context from delta author reason      a forged or invalid delta was dropped
    failed    context delta reason attempts retryInMs   applying a delta failed; backing off
    state     context heads root pending            heads or root changed (after each batch)
    event     context delta author origin kind data handler   an app event (local or remote)
    handler   context delta handler ok error        an ``emit_with_handler`` handler ran here
    joined    context from entries applied heads    a snapshot was installed (join done)
    joinFailed context reason                       a join was abandoned
    served    context to entries applied            this node served a snapshot
    members   context members signer                the member list grew
    log       level text                            a warning or error of the sync layer
    bus       decodeErrors droppedRules ...         transport counters, when garbage arrived
    link      state since attempt error             the bus connection changed state
                                                    (``connected``, ``disconnected``,
                                                    ``reconnecting``): sent when it is back,
                                                    so the manager learns how long it was out

``data`` is the event's bytes as UTF-8 text when they decode, else ``dataHex``. When
events queue up, several travel as one message ``{"event": "batch", "ts", "events": [...]}``
(at most 200, in order); ``feedDropped`` ``count`` says how many the node dropped because
the feed fell too far behind (oldest first).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from calimero_devnet.ids import to_b58 as _to_b58
from calimero_devnet.node.bus.link import LinkState
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.deltalog import event_view, summary

FeedEvent = dict[str, Any]
MAX_IDS = 16

# base58 costs ~20 µs an id, and the same ids (context, authors, new heads) recur in event
# after event: cache them.
to_b58 = lru_cache(maxsize=8192)(_to_b58)


def feed_event(name: str, context: bytes | None = None, **fields: Any) -> FeedEvent:
    """Build one event: name, time, context (base58) and the given fields."""
    event: FeedEvent = {"event": name, "ts": time.time_ns() // 1_000_000}
    if context is not None:
        event["context"] = to_b58(context)
    event.update(fields)
    return event


def ids(values: Iterable[bytes]) -> list[str]:
    """Base58 ids, at most ``MAX_IDS`` of them."""
    out: list[str] = []
    for value in values:
        if len(out) == MAX_IDS:
            break
        out.append(to_b58(value))
    return out


def authored(
    delta: CausalDelta, root: bytes | None, names: Mapping[bytes, str] | None = None
) -> FeedEvent:
    """A local commit became ``delta``, the context's one head now, with root ``root``.

    ``names`` (collection id → field name) names collections in the summary; describing
    decodes only the first actions, so the cost per commit stays flat however big it is.
    """
    line, count = summary(delta, names or {})
    return feed_event(
        "authored",
        delta.context_id,
        delta=to_b58(delta.id),
        author=to_b58(delta.author),
        parents=ids(delta.parents),
        hlc=delta.hlc.time,
        kind=delta.kind.label,
        events=len(delta.events),
        root=None if root is None else to_b58(root),
        summary=line,
        actions=count,
    )


def applied(context: bytes, sender: str, deltas: list[bytes]) -> FeedEvent:
    """Peer deltas from ``sender`` applied in one batch."""
    return feed_event("applied", context, **{"from": sender}, count=len(deltas), deltas=ids(deltas))


def pending(context: bytes, sender: str, delta: bytes, missing: Iterable[bytes]) -> FeedEvent:
    """A delta waits for parents we lack (they are being fetched)."""
    return feed_event(
        "pending", context, **{"from": sender}, delta=to_b58(delta), missing=ids(missing)
    )


def rejected(context: bytes, sender: str, delta: CausalDelta, reason: str) -> FeedEvent:
    """An invalid delta was dropped."""
    return feed_event(
        "rejected", context, **{"from": sender}, delta=to_b58(delta.id),
        author=to_b58(delta.author), reason=reason,
    )  # fmt: skip


def failed(context: bytes, delta: bytes, reason: str, attempts: int, retry_ms: int) -> FeedEvent:
    """Applying a delta failed; it is refused for ``retry_ms``."""
    return feed_event(
        "failed", context, delta=to_b58(delta), reason=reason, attempts=attempts,
        retryInMs=retry_ms,
    )  # fmt: skip


def state(context: bytes, heads: Iterable[bytes], root: bytes | None, waiting: int) -> FeedEvent:
    """The context's heads or root changed."""
    return feed_event(
        "state", context, heads=ids(heads), root=None if root is None else to_b58(root),
        pending=waiting,
    )  # fmt: skip


def app_event(delta: CausalDelta, event: Event, origin: str) -> FeedEvent:
    """An event an app emitted, carried by ``delta``; ``origin`` is ``local`` or ``remote``."""
    fields = event_view(event) | {"handler": event.handler}
    return feed_event(
        "event", delta.context_id, delta=to_b58(delta.id), author=to_b58(delta.author),
        origin=origin, **fields,
    )  # fmt: skip


def handler_ran(delta: CausalDelta, handler: str, error: str | None) -> FeedEvent:
    """An ``emit_with_handler`` handler ran on this node (``error`` None: it succeeded)."""
    return feed_event(
        "handler", delta.context_id, delta=to_b58(delta.id), handler=handler,
        ok=error is None, error=error,
    )  # fmt: skip


def log_line(level: str, text: str) -> FeedEvent:
    """A warning or error of the replication layer."""
    return feed_event("log", level=level, text=text)


def link(state: LinkState) -> FeedEvent:
    """The bus connection changed state (``link.LinkState`` in its JSON form)."""
    return feed_event("link", **state.to_json())
