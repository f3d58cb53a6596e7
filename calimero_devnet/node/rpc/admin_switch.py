"""Provides the hot-redeploy primitive: switch a context to another installed app, keeping state.

A devnet extension (``POST /admin-api/contexts/<id>/application``). Only the context's
record changes, in one batch: its state, deltas, heads and members stay, so the next call
runs the new code on the old state. Deltas carry no application id, so nodes on either
build keep replicating; the manager switches every member (``cluster/rollout.py``).
Whether the new code can read the old state is the app's business: a call that cannot
fails with the app's own error, and the state is still there for a build that can.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from calimero_devnet.errors import ContextNotFound, NodeError, ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.results import ContextInfo
from calimero_devnet.node.rpc.replies import json_kind, ok, read_json_object
from calimero_devnet.node.rpc.worker import CoreWorker


class SwitchUnsupported(NodeError):
    """This node's core keeps no context records it could switch (a test double)."""

    type_name = "InternalError"
    http_status = 501


def switch_application(core: Any, ctx_id: bytes, app_id: bytes) -> ContextInfo:
    """Point context ``ctx_id`` of ``core`` (a ``NodeCore``) at app ``app_id``; one batch.

    Raises:
        ApplicationNotFound: the app is not installed here (install it first).
        ContextNotFound: the node has no such context.
    """
    from calimero_devnet.node.core import NodeCore  # noqa: PLC0415  (loaded by the node already)

    if not isinstance(core, NodeCore):
        raise SwitchUnsupported(f"node {core.name} cannot switch a context's application")
    core.application(app_id)
    record = core.store.context(ctx_id)
    if record is None:
        raise ContextNotFound(
            f"context {to_b58(ctx_id)} not found on node {core.name}: create or join it first"
        )
    if record.application_id != app_id:
        record = record.model_copy(update={"application_id": app_id})
        batch = core.store.batch()
        batch.put_context(record)
        core.store.write(batch)
    return ContextInfo.from_record(record)


def switch_route(worker: CoreWorker) -> web.RouteDef:
    """``POST /admin-api/contexts/<id>/application {"applicationId"}``; answers the context."""

    async def handle(request: web.Request) -> web.Response:
        from calimero_devnet.node.rpc.admin import context_json  # noqa: PLC0415  (a cycle)

        ctx_id = from_b58(request.match_info["id"], "context id")
        body = await read_json_object(request)
        field = body.get("applicationId")
        if not isinstance(field, str):
            raise ParseError(f"applicationId must be a base58 string, got {json_kind(field)}")
        app_id = from_b58(field, "applicationId")
        info = await worker.call(lambda core: switch_application(core, ctx_id, app_id))
        return ok(context_json(info))

    return web.post("/admin-api/contexts/{id}/application", handle)
