"""Provides the namespace and group routes of the admin API, in upstream's shapes.

- ``POST /admin-api/namespaces`` ``{"applicationId", "name"?, "appKey"?}``: a namespace for
  an installed app; answers ``{"namespaceId"}`` (hex). ``appKey`` (upstream: a pinned
  bytecode version) is accepted; here an application id is one build already.
- ``GET /admin-api/namespaces``: ``[{"namespaceId", "targetApplicationId", "name",
  "memberCount", "contextCount", "subgroupCount"}]``.
- ``GET /admin-api/namespaces/<id>``: one of those.
- ``POST /admin-api/namespaces/<id>/groups`` ``{"groupName"?, "visibility"?}``: a group in
  the namespace (``open`` unless told, as upstream); answers ``{"groupId"}`` (hex).
- ``GET /admin-api/namespaces/<id>/groups``: ``[{"groupId", "name", "visibility", ...}]``.

``POST /admin-api/contexts`` takes ``groupId`` (a namespace or group id) to create the
context in it (``AdminApi.create_context``). The records are this node's only
(``state/namespaces.py``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58
from calimero_devnet.node.rpc.admin_switch import real_core
from calimero_devnet.node.rpc.replies import json_kind, ok, read_json_object
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.namespaces import GroupRecord, Namespaces


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise ParseError(f"{field} must be a string, got {json_kind(value)}")
    return value


def namespace_json(namespace: GroupRecord, groups: list[GroupRecord]) -> dict[str, Any]:
    """A namespace as upstream's list answers it (this node is its one member)."""
    return {
        "namespaceId": namespace.id, "targetApplicationId": namespace.application_id,
        "name": namespace.name, "memberCount": 1,
        "contextCount": len(namespace.contexts) + sum(len(g.contexts) for g in groups),
        "subgroupCount": len(groups),
    }  # fmt: skip


def _namespaces(core: Any) -> Namespaces:
    return real_core(core).namespaces


class NamespaceRoutes:
    """The namespace handlers; every store access goes through the core's thread."""

    def __init__(self, worker: CoreWorker) -> None:
        self._worker = worker

    def routes(self) -> list[web.RouteDef]:
        """The routes, ready for ``app.add_routes``."""
        return [
            web.post("/admin-api/namespaces", self.create),
            web.get("/admin-api/namespaces", self.list),
            web.get("/admin-api/namespaces/{id}", self.one),
            web.post("/admin-api/namespaces/{id}/groups", self.create_group),
            web.get("/admin-api/namespaces/{id}/groups", self.groups),
        ]

    async def create(self, request: web.Request) -> web.Response:
        """Create a namespace for ``applicationId``."""
        body = await read_json_object(request)
        app_field = body.get("applicationId")
        if not isinstance(app_field, str):
            raise ParseError(f"applicationId must be a base58 string, got {json_kind(app_field)}")
        app_id = from_b58(app_field, "applicationId")
        name = _text(body, "name")
        _text(body, "appKey")
        made = await self._worker.call(
            lambda core: _namespaces(core).create_namespace(app_id, name)
        )
        return ok({"namespaceId": made})

    async def list(self, _: web.Request) -> web.Response:
        """Every namespace of this node."""

        def listing(core: Any) -> list[dict[str, Any]]:
            spaces = _namespaces(core)
            return [namespace_json(ns, spaces.groups_of(ns.id)) for ns in spaces.namespaces()]

        return ok(await self._worker.call(listing))

    async def one(self, request: web.Request) -> web.Response:
        """One namespace."""
        ns_id = request.match_info["id"]

        def reading(core: Any) -> dict[str, Any]:
            spaces = _namespaces(core)
            return namespace_json(spaces.get(ns_id), spaces.groups_of(ns_id))

        return ok(await self._worker.call(reading))

    async def create_group(self, request: web.Request) -> web.Response:
        """Create a group in the namespace of the path."""
        ns_id = request.match_info["id"]
        body = await read_json_object(request)
        name, visibility = _text(body, "groupName"), _text(body, "visibility")
        made = await self._worker.call(
            lambda core: _namespaces(core).create_group(ns_id, name, visibility)
        )
        return ok({"groupId": made})

    async def groups(self, request: web.Request) -> web.Response:
        """The groups of the namespace of the path."""
        ns_id = request.match_info["id"]
        found = await self._worker.call(lambda core: _namespaces(core).groups_of(ns_id))
        return ok([group.to_json() for group in found])
