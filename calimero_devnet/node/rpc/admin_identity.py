"""Provides the identity and invitation routes of the admin API, in upstream's shapes.

- ``POST /admin-api/identity/context``: create an identity whose private key stays in this
  node's store; answers ``{"publicKey"}``.
- ``POST /admin-api/contexts/invite`` ``{"contextId", "inviterId", "inviteeId"}``: the
  inviter (a member whose key this node holds) makes the invitee a member and signs an
  invitation; answers the payload string.
- ``POST /admin-api/contexts/join`` ``{"invitationPayload"}``: this node (which must hold
  the invitee's key) fetches the context's app from the inviter's node if it lacks it, and
  joins; answers ``{"contextId", "memberPublicKey"}`` (the invitee). Needs ``--broker``.
- ``POST /admin-api/contexts/invite_by_open_invitation`` ``{"contextId", "inviterId",
  "validForBlocks"}``: an open invitation (``state/open_invitation.py``); a block counts
  as one second here. ``POST /admin-api/contexts/join_by_open_invitation``
  ``{"invitation", "newMemberPublicKey"}``: join as that key (held here), which the joiner
  adds to the member list itself, the invitation being signed by a member.
- ``GET /admin-api/contexts/<id>/identities``: ``{"identities"}``, every member;
  ``.../identities-owned``: the members whose keys this node holds.

Upstream also serves the invite and join routes under ``/admin-api/dev/``; so do we.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.admin_sync import NO_BUS, REPLICATION
from calimero_devnet.node.rpc.replies import fail, json_kind, ok, read_json_object
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.invitation import Invitation, decode_invitation
from calimero_devnet.node.state.open_invitation import read_open_invitation

DEFAULT_VALID_FOR = 1000  # merobox's default valid_for_blocks


def _key(body: dict[str, Any], field: str) -> bytes:
    value = body.get(field)
    if not isinstance(value, str):
        raise ParseError(f"{field} must be a base58 string, got {json_kind(value)}")
    return from_b58(value, field)


def _object(value: Any) -> Any:
    """An invitation sent as its JSON text is read as the object it spells."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ParseError("invitation: a string must be the invitation's JSON") from None
    return value


def identity_routes(worker: CoreWorker) -> list[web.RouteDef]:
    """The identity routes, over ``worker``'s core."""

    async def generate(_: web.Request) -> web.Response:
        public_key = await worker.call(lambda core: core.generate_identity())
        return ok({"publicKey": to_b58(public_key)})

    async def invite(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        ctx, inviter = _key(body, "contextId"), _key(body, "inviterId")
        invitee = _key(body, "inviteeId")
        invitation = await worker.call(lambda core: core.invite(ctx, inviter, invitee))
        replication = request.app.get(REPLICATION)
        if replication is not None:
            await replication.invited(ctx)
        return ok(invitation.encode())

    async def join(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        invitation = decode_invitation(body.get("invitationPayload"))
        invitee = invitation.invitee
        await worker.call(lambda core: core.require_identity(invitee, "invitee"))
        replication = request.app.get(REPLICATION)
        if replication is None:
            return fail(501, NO_BUS)
        return ok(await replication.join_invited(invitation))

    async def invite_open(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        ctx, inviter = _key(body, "contextId"), _key(body, "inviterId")
        valid_for = body.get("validForBlocks", DEFAULT_VALID_FOR)
        if isinstance(valid_for, bool) or not isinstance(valid_for, int) or valid_for <= 0:
            raise ParseError(f"validForBlocks must be a positive integer, got {valid_for!r}")
        invitation = await worker.call(lambda core: core.invite_open(ctx, inviter, valid_for))
        return ok(invitation.to_json())

    async def join_open(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        opened = read_open_invitation(_object(body.get("invitation")))
        member = _key(body, "newMemberPublicKey")
        await worker.call(lambda core: core.require_identity(member, "newMemberPublicKey"))
        replication = request.app.get(REPLICATION)
        if replication is None:
            return fail(501, NO_BUS)
        # The open invitation is checked; the join proceeds as one addressed to ``member``.
        ticket = Invitation(
            opened.context, opened.application, opened.inviter, member, opened.inviter_node
        )
        return ok(await replication.join_invited(ticket))

    async def identities(request: web.Request) -> web.Response:
        ctx = from_b58(request.match_info["id"], "context id")
        info = await worker.call(lambda core: core.context(ctx))
        return ok({"identities": [to_b58(key) for key in info.members]})

    async def owned(request: web.Request) -> web.Response:
        ctx = from_b58(request.match_info["id"], "context id")
        keys = await worker.call(lambda core: core.owned_identities(ctx))
        return ok({"identities": [to_b58(key) for key in keys]})

    routes = []
    for prefix in ("/admin-api", "/admin-api/dev"):
        routes += [
            web.post(f"{prefix}/identity/context", generate),
            web.post(f"{prefix}/contexts/invite", invite),
            web.post(f"{prefix}/contexts/join", join),
            web.post(f"{prefix}/contexts/invite_by_open_invitation", invite_open),
            web.post(f"{prefix}/contexts/join_by_open_invitation", join_open),
        ]
    return [
        *routes,
        web.get("/admin-api/contexts/{id}/identities", identities),
        web.get("/admin-api/contexts/{id}/identities-owned", owned),
    ]
