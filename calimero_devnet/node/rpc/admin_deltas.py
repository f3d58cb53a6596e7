"""Provides the devnet's delta routes: one stored delta decoded, and the recent DAG slice.

``GET /admin-api/contexts/<id>/deltas/<delta>`` answers one stored delta: its fields, the
first 4096 payload bytes in hex, one line per host-collection action, its events, and
whether its id and signature still check (``signatureValid``). 404 when the node stores
no body of it (it may have arrived inside a snapshot) or has no such context.

``GET /admin-api/contexts/<id>/deltas?limit=N`` (1..512, default 64) answers the heads and
the newest N stored deltas reachable from them, children before parents (newest first by
HLC, ties by id), each with a one-line summary; ``truncated`` says older ones remain.
Both run on the core's worker thread, like every core read.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.replies import ok
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.deltalog import (
    DEFAULT_RECENT,
    MAX_RECENT,
    DeltaDetail,
    RecentDeltas,
    event_view,
)

PAYLOAD_HEX_BYTES = 4096
_DIGITS = re.compile(r"[0-9]{1,6}")


def delta_routes(worker: CoreWorker) -> list[web.RouteDef]:
    """The two routes, ready for ``app.add_routes``."""

    async def one(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")
        delta_id = from_b58(request.match_info["delta"], "delta id")
        found = await worker.call(lambda core: core.delta(ctx_id, delta_id))
        return ok(detail_json(found))

    async def recent(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")
        limit = parse_limit(request.query.getall("limit", []))
        found = await worker.call(lambda core: core.recent_deltas(ctx_id, limit))
        return ok(recent_json(found))

    return [
        web.get("/admin-api/contexts/{id}/deltas", recent),
        web.get("/admin-api/contexts/{id}/deltas/{delta}", one),
    ]


def parse_limit(values: list[str]) -> int:
    """The ``limit`` query parameter: absent → 64; else one integer 1..512."""
    if not values:
        return DEFAULT_RECENT
    if len(values) == 1 and _DIGITS.fullmatch(values[0]):
        limit = int(values[0])
        if 1 <= limit <= MAX_RECENT:
            return limit
    shown = values[0] if len(values) == 1 else values
    raise ParseError(f"limit must be one integer from 1 to {MAX_RECENT}, got {shown!r}")


def hlc_json(delta: CausalDelta) -> dict[str, Any]:
    """The HLC, its u128 node as a decimal string (JSON numbers lose precision past 2^53)."""
    return {"time": delta.hlc.time, "node": str(delta.hlc.node)}


def detail_json(found: DeltaDetail) -> dict[str, Any]:
    """The JSON view of one decoded delta."""
    delta = found.delta
    return {
        "id": to_b58(delta.id),
        "contextId": to_b58(delta.context_id),
        "author": to_b58(delta.author),
        "parents": [to_b58(parent) for parent in delta.parents],
        "hlc": hlc_json(delta),
        "kind": delta.kind.label,
        "payloadSize": len(delta.payload),
        "payloadHex": delta.payload[:PAYLOAD_HEX_BYTES].hex(),
        "actions": list(found.actions),
        "actionCount": found.action_count,
        "events": [event_view(event) | {"handler": event.handler} for event in delta.events],
        "maxTimeNow": delta.max_time_now,
        "signatureValid": found.signature_valid,
    }


def recent_json(found: RecentDeltas) -> dict[str, Any]:
    """The JSON view of the recent slice."""
    deltas = [
        {
            "id": to_b58(line.delta.id),
            "author": to_b58(line.delta.author),
            "parents": [to_b58(parent) for parent in line.delta.parents],
            "hlc": hlc_json(line.delta),
            "kind": line.delta.kind.label,
            "summary": line.summary,
        }
        for line in found.deltas
    ]
    heads = [to_b58(head) for head in found.heads]
    return {"heads": heads, "deltas": deltas, "truncated": found.truncated}
