"""Provides the replication routes of the admin API: join, sync, sync status.

They reach the node's replication through the aiohttp app key ``REPLICATION`` (set by the
node service when it runs with ``--broker``); without it they answer 501 and say how to
start the node.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58
from calimero_devnet.node.rpc.replies import fail, json_kind, ok, read_json_object

if TYPE_CHECKING:
    from calimero_devnet.node.state.invitation import Invitation
    from calimero_devnet.node.state.results import ContextInfo

NO_BUS = (
    "this node replicates nothing: it was started without a broker; "
    "restart it with --broker mqtt://HOST:PORT to join or sync contexts"
)


class Replication(Protocol):
    """What the admin API asks of the node's replication (``node.replication.Replicator``)."""

    async def join(self, context: bytes) -> dict[str, Any]:
        """Join a context from a member's snapshot."""
        ...

    async def sync(self, context: bytes | None = None) -> dict[str, Any]:
        """Catch up now; report what is still pending."""
        ...

    async def status(self, context: bytes) -> dict[str, Any]:
        """One context's sync status."""
        ...

    async def pending(self, contexts: list[bytes]) -> dict[bytes, int]:
        """Deltas waiting for parents, per context."""
        ...

    async def waiting(
        self, context: bytes
    ) -> dict[bytes, tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
        """Deltas waiting here: id → (parents it waits for, unknown ancestors blocking it)."""
        ...

    async def delete(self, context: bytes) -> None:
        """Delete a context from the node and stop replicating it, in one worker job."""
        ...

    async def invited(self, context: bytes) -> None:
        """An invitation grew the member list of ``context``: broadcast it."""
        ...

    async def join_invited(self, invitation: Invitation) -> dict[str, Any]:
        """Join by invitation, fetching the context's app from the inviter's node if need be."""
        ...

    def bus(self) -> dict[str, Any]:
        """Where the bus connection stands: ``state``, ``since`` (ms), ``attempt``, ``error``."""
        ...


REPLICATION = web.AppKey("replication", Replication)


async def join(request: web.Request) -> web.Response:
    """``POST /admin-api/contexts/<id>/join``: answers once a member's snapshot is installed."""
    ctx_id = from_b58(request.match_info["id"], "context id")
    replication = request.app.get(REPLICATION)
    if replication is None:
        return fail(501, NO_BUS)
    return ok(await replication.join(ctx_id))


async def sync(request: web.Request) -> web.Response:
    """``POST /admin-api/contexts/sync`` ``{"contextId"?}``: catch up now (or report)."""
    body = await read_json_object(request)
    field = body.get("contextId")
    if field is not None and not isinstance(field, str):
        raise ParseError(f"contextId must be a base58 string, got {json_kind(field)}")
    ctx_id = None if field is None else from_b58(field, "contextId")
    replication = request.app.get(REPLICATION)
    if replication is None:
        return fail(501, NO_BUS)
    return ok(await replication.sync(ctx_id))


async def sync_status(request: web.Request) -> web.Response:
    """``GET /admin-api/contexts/<id>/sync`` (devnet extension): one context's status."""
    ctx_id = from_b58(request.match_info["id"], "context id")
    replication = request.app.get(REPLICATION)
    if replication is None:
        return fail(501, NO_BUS)
    return ok(await replication.status(ctx_id))


async def with_pending(request: web.Request, infos: list[ContextInfo]) -> list[ContextInfo]:
    """Fill in each context's pending delta count from the replication, if it runs."""
    replication = request.app.get(REPLICATION)
    if replication is None or not infos:
        return infos
    pending = await replication.pending([info.id for info in infos])
    return [replace(info, pending=pending.get(info.id, 0)) for info in infos]


def bus_state(app: web.Application) -> dict[str, Any] | None:
    """The bus connection of the node serving ``app`` (None: it replicates nothing)."""
    replication = app.get(REPLICATION)
    return None if replication is None else replication.bus()
