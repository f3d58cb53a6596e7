"""Provides the context routes the devnet adds: switch a context's app, delete a context.

``POST /admin-api/contexts/<id>/application {"applicationId", "force"?}`` (hot redeploy):
only the context's record changes, in one batch: its state, deltas, heads and members stay,
so the next call runs the new code on the old state. Deltas carry no application id, so
nodes on either build keep replicating; the manager switches every member
(``cluster/deploy/rollout.py``). Before switching, an app that can check its state (the TypeScript
SDK's ``__calimero_check_state``) reads it; if it cannot, the switch is refused with
``StateIncompatible`` and the old version keeps serving (``force`` switches anyway).

``DELETE /admin-api/contexts/<id>`` (upstream's shape, ``{"isDeleted": true}``): the
context and everything the node holds of it go in one batch, and replication forgets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from calimero_devnet.errors import ContextNotFound, NodeError, ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.admin_sync import REPLICATION
from calimero_devnet.node.rpc.replies import context_json, json_kind, ok, read_json_object
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.results import ContextInfo

if TYPE_CHECKING:
    from calimero_devnet.node.state.core import NodeCore


class SwitchUnsupported(NodeError):
    """This node's core keeps no context records to switch or delete (a test double)."""

    type_name = "InternalError"
    http_status = 501


def real_core(core: Any) -> NodeCore:
    """``core`` as the ``NodeCore`` it must be for these routes (test doubles are not)."""
    from calimero_devnet.node.state.core import NodeCore  # noqa: PLC0415  (loaded by the node already)

    if not isinstance(core, NodeCore):
        raise SwitchUnsupported(f"node {core.name} keeps no context records to change")
    return core


def switch_application(
    any_core: Any, ctx_id: bytes, app_id: bytes, *, check: bool = True
) -> ContextInfo:
    """Point context ``ctx_id`` of ``core`` (a ``NodeCore``) at app ``app_id``; one batch.

    Raises:
        ApplicationNotFound: the app is not installed here (install it first).
        ContextNotFound: the node has no such context.
        StateIncompatible: ``check`` and the app cannot read the context's state.
    """
    core = real_core(any_core)
    core.application(app_id)
    record = core.store.context(ctx_id)
    if record is None:
        raise ContextNotFound(
            f"context {to_b58(ctx_id)} not found on node {core.name}: create or join it first"
        )
    if record.application_id != app_id:
        if check:
            core.check_state(ctx_id, app_id)
        record = record.model_copy(update={"application_id": app_id})
        batch = core.store.batch()
        batch.put_context(record)
        core.store.write(batch)
    return ContextInfo.from_record(record)


def switch_route(worker: CoreWorker) -> web.RouteDef:
    """``POST /admin-api/contexts/<id>/application {"applicationId"}``; answers the context."""

    async def handle(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")
        body = await read_json_object(request)
        field = body.get("applicationId")
        if not isinstance(field, str):
            raise ParseError(f"applicationId must be a base58 string, got {json_kind(field)}")
        app_id = from_b58(field, "applicationId")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise ParseError(f"force must be true or false, got {json_kind(force)}")
        info = await worker.call(
            lambda core: switch_application(core, ctx_id, app_id, check=not force)
        )
        return ok(context_json(info))

    return web.post("/admin-api/contexts/{id}/application", handle)


def delete_route(worker: CoreWorker) -> web.RouteDef:
    """``DELETE /admin-api/contexts/<id>``: answers ``{"isDeleted": true}``."""

    async def handle(request: web.Request) -> web.Response:
        ctx_id = from_b58(request.match_info["id"], "context id")
        replication = request.app.get(REPLICATION)
        if replication is not None:
            await replication.delete(ctx_id)
        else:
            await worker.call(lambda core: real_core(core).delete_context(ctx_id))
        return ok({"isDeleted": True})

    return web.delete("/admin-api/contexts/{id}", handle)
