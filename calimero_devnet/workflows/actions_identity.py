"""Provides the identity steps: create_identity, invite_identity (alias ``invite``) and
join_context by invitation (alias ``join``), over the node admin API in upstream's shapes.

The variables merobox exports by itself are set too: ``public_key_<node>`` after
``create_identity``, ``invitation_data_<node>_<invitee>`` after an invitation.
"""

from __future__ import annotations

from typing import Any

from calimero_devnet.cluster.nodeclient import JOIN_TIMEOUT_S
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]


async def create_identity(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Create an identity on ``node`` (its private key stays there): ``publicKey``."""
    node = str(fields["node"])
    data: Response = await ctx.client(node).admin("POST", "identity/context", {})
    ctx.values[f"public_key_{node}"] = data["publicKey"]
    return {"publicKey": data["publicKey"]}


async def invite_identity(ctx: Context, fields: Response, _: StepResult) -> Response:
    """``granter_id`` (a member held by ``node``) invites ``grantee_id``: ``invitation``."""
    node, invitee = str(fields["node"]), str(fields["grantee_id"])
    body = {"contextId": fields["context_id"], "inviterId": fields["granter_id"],
            "inviteeId": invitee}  # fmt: skip
    invitation = await ctx.client(node).admin("POST", "contexts/invite", body)
    ctx.values[f"invitation_data_{node}_{invitee}"] = invitation
    return {"invitation": invitation}


async def join_by_invitation(ctx: Context, fields: Response) -> Response:
    """``node`` joins with ``invitation`` as ``invitee_id``: ``contextId``, ``memberPublicKey``."""
    node, cid = str(fields["node"]), str(fields["context_id"])
    body = {"invitationPayload": fields["invitation"]}
    data: Response = await ctx.client(node).admin(
        "POST", "contexts/join", body, wait_s=JOIN_TIMEOUT_S
    )
    invitee = fields.get("invitee_id")
    if invitee is not None and data["memberPublicKey"] != invitee:
        raise StepFailed(f"the invitation is for {data['memberPublicKey']}, not for {invitee}")
    if data["contextId"] != cid:
        raise StepFailed(f"the invitation is to context {data['contextId']}, not to {cid}")
    ctx.add_member(cid, node)
    member = data["memberPublicKey"]
    ctx.values[f"join_member_public_key_{node}_{member}"] = member
    return {"contextId": cid, "memberPublicKey": member, "memberIdentity": member}


async def invite_open(ctx: Context, fields: Response, _: StepResult) -> Response:
    """``granter_id`` signs an open invitation into ``context_id``: ``invitation`` (an object)."""
    node = str(fields["node"])
    body = {"contextId": fields["context_id"], "inviterId": fields["granter_id"],
            "validForBlocks": fields.get("valid_for_blocks", 1000)}  # fmt: skip
    invitation = await ctx.client(node).admin("POST", "contexts/invite_by_open_invitation", body)
    ctx.values[f"open_invitation_{node}_{fields['context_id']}"] = invitation
    return {"invitation": invitation}


async def join_open(ctx: Context, fields: Response, _: StepResult) -> Response:
    """``node`` joins with an open ``invitation`` as ``invitee_id``: ``contextId``,
    ``memberPublicKey``."""
    node, invitee = str(fields["node"]), str(fields["invitee_id"])
    body = {"invitation": fields["invitation"], "newMemberPublicKey": invitee}
    data: Response = await ctx.client(node).admin(
        "POST", "contexts/join_by_open_invitation", body, wait_s=JOIN_TIMEOUT_S
    )
    ctx.add_member(str(data["contextId"]), node)
    return {"contextId": data["contextId"], "memberPublicKey": data["memberPublicKey"]}
