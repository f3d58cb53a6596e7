"""Provides merobox's namespace steps over the node's namespace routes
(``node/rpc/admin_namespaces.py``): ``create_namespace`` (also ``create_group``, merobox's
older name), ``create_group_in_namespace``, ``list_namespaces``, ``list_namespace_groups``.

As in merobox: ``create_namespace`` (``node``, ``application_id``, ``app_key``?,
``namespace_name``?) answers ``{"namespaceId"}`` and sets ``namespace_id_<node>``;
``create_group_in_namespace`` (``node``, ``namespace_id``, ``group_name``?, ``visibility``?)
answers ``{"groupId"}``; the two lists answer the node's list. ``create_context`` with
``group_id`` then creates the context in that namespace or group.
"""

from __future__ import annotations

from typing import Any

from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepResult

Response = dict[str, Any]


def _given(fields: Response, **names: str) -> Response:
    """The request body: each step field that is set, under its admin-API name."""
    return {wire: fields[step] for step, wire in names.items() if fields.get(step) is not None}


async def create_namespace(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Create a namespace for ``application_id`` on ``node``: ``namespaceId``."""
    node = str(fields["node"])
    body = {"applicationId": fields["application_id"],
            **_given(fields, namespace_name="name", app_key="appKey")}  # fmt: skip
    data: Response = await ctx.client(node).admin("POST", "namespaces", body)
    ctx.values[f"namespace_id_{node}"] = data["namespaceId"]
    return data


async def create_group_in_namespace(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Create a group in ``namespace_id`` on ``node``: ``groupId``."""
    path = f"namespaces/{fields['namespace_id']}/groups"
    body = _given(fields, group_name="groupName", visibility="visibility")
    data: Response = await ctx.client(str(fields["node"])).admin("POST", path, body)
    return data


async def list_namespaces(ctx: Context, fields: Response, _: StepResult) -> Response:
    """The namespaces of ``node``: ``namespaces`` (a list)."""
    return {"namespaces": await ctx.client(str(fields["node"])).admin("GET", "namespaces")}


async def list_namespace_groups(ctx: Context, fields: Response, _: StepResult) -> Response:
    """The groups of ``namespace_id`` on ``node``: ``groups`` (a list)."""
    path = f"namespaces/{fields['namespace_id']}/groups"
    return {"groups": await ctx.client(str(fields["node"])).admin("GET", path)}
