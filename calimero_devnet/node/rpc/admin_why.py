"""Provides the read-only routes ``devnet why`` compares across nodes (devnet extensions).

``GET /admin-api/contexts/<id>/dag`` answers the context's DAG as this node knows it:
``heads``, ``applied`` (every applied delta id, stored bodies and snapshot history alike)
and ``pending``: each delta waiting here, the parents it waits for (``waitingFor``) and the
unknown ancestors that block it (``missing``, what the node tries to fetch). Without a
broker nothing is pending.

``GET /admin-api/contexts/<id>/state?limit=N`` (1..10000, default 10000) lists the
context's replicated state in key order: per key its hex, a readable ``label``, ``size``,
``hash`` (SHA-256, base58) and the start of its ``value``; ``truncated`` says more remain.
Both read on the core's worker thread; 404 when the node has no such context.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.admin_switch import real_core
from calimero_devnet.node.rpc.admin_sync import REPLICATION
from calimero_devnet.node.rpc.replies import ok
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.statelist import MAX_ENTRIES, StateListing, list_state

_DIGITS = re.compile(r"[0-9]{1,6}")


def why_routes(worker: CoreWorker) -> list[web.RouteDef]:
    """The two routes, ready for ``app.add_routes``."""

    async def dag(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")

        def read(any_core: Any) -> tuple[tuple[bytes, ...], list[bytes]]:
            core = real_core(any_core)
            return core.context(ctx_id).heads, core.store.applied_ids(ctx_id)

        heads, applied = await worker.call(read)
        replication = request.app.get(REPLICATION)
        waiting = {} if replication is None else await replication.waiting(ctx_id)
        pending = [
            {"id": to_b58(delta_id), "waitingFor": [to_b58(p) for p in parents],
             "missing": [to_b58(m) for m in missing]}
            for delta_id, (parents, missing) in waiting.items()
        ]  # fmt: skip
        return ok({"contextId": to_b58(ctx_id), "heads": [to_b58(h) for h in heads],
                   "applied": sorted(to_b58(a) for a in applied), "pending": pending})  # fmt: skip

    async def state(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")
        limit = parse_state_limit(request.query.getall("limit", []))

        def read(any_core: Any) -> StateListing:
            core = real_core(any_core)
            core.context(ctx_id)  # ContextNotFound: a 404, not an empty listing
            return list_state(core.store, ctx_id, core.collection_names(ctx_id), limit)

        listing = await worker.call(read)
        return ok({"contextId": to_b58(ctx_id), **state_json(listing)})

    return [
        web.get("/admin-api/contexts/{id}/dag", dag),
        web.get("/admin-api/contexts/{id}/state", state),
    ]


def parse_state_limit(values: list[str]) -> int:
    """The ``limit`` query parameter: absent → 10000; else one integer 1..10000."""
    if not values:
        return MAX_ENTRIES
    if len(values) == 1 and _DIGITS.fullmatch(values[0]) and 1 <= int(values[0]) <= MAX_ENTRIES:
        return int(values[0])
    shown = values[0] if len(values) == 1 else values
    raise ParseError(f"limit must be one integer from 1 to {MAX_ENTRIES}, got {shown!r}")


def state_json(listing: StateListing) -> dict[str, Any]:
    """The JSON view of a state listing."""
    entries = [
        {"key": e.key.hex(), "label": e.label, "size": e.size, "hash": to_b58(e.digest),
         "value": e.preview}
        for e in listing.entries
    ]  # fmt: skip
    return {"entries": entries, "truncated": listing.truncated}
