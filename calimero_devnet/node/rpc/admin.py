"""Provides the ``/admin-api`` routes of RPC.md (replies ``{"data": ...}`` / ``{"error": ...}``).

Devnet details: ``contextSeed`` of exactly 64 hex digits is used as those 32 bytes, any other
string as its UTF-8 bytes; ``initializationParams`` may also be a JSON object (serialised
compactly); ``GET /admin-api/contexts/<id>/consistency`` is a devnet extension listing
disagreements between a context's state, deltas and heads (``[]`` when consistent);
``GET .../<id>/deltas`` and ``.../<id>/deltas/<delta>`` (devnet) read stored deltas
(``admin_deltas``). ``POST /admin-api/checkpoint`` (devnet) copies the store
(``admin_checkpoint``). ``groupId`` (optional) creates the context in a namespace or
group of this node (``admin_namespaces``).

Replication (only on a node started with ``--broker``; else 501): ``POST .../<id>/join``
answers once a member's snapshot is installed; ``POST /admin-api/contexts/sync``
(``{"contextId"?}``) answers ``{"done", "contexts": [status...]}`` once caught up or after
10 s; ``GET /admin-api/contexts/<id>/sync`` (devnet extension) is one context's status:
``heads``, ``rootHash``, ``members``, ``pending``, ``applying``, ``missing``, ``joining``,
``peers`` (name → ``heads``, ``ageMs``, ``behind``) and ``caughtUp``.
"""

from __future__ import annotations

import string
from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.admin_blobs import BlobRoutes
from calimero_devnet.node.rpc.admin_checkpoint import checkpoint_route
from calimero_devnet.node.rpc.admin_deltas import delta_routes
from calimero_devnet.node.rpc.admin_identity import identity_routes
from calimero_devnet.node.rpc.admin_namespaces import NamespaceRoutes
from calimero_devnet.node.rpc.admin_switch import delete_route, real_core, switch_route
from calimero_devnet.node.rpc.admin_sync import bus_state, join, sync, sync_status, with_pending
from calimero_devnet.node.rpc.admin_why import why_routes
from calimero_devnet.node.rpc.replies import (
    AdminRequestError,
    app_json,
    context_json,
    dumps_compact,
    json_kind,
    ok,
    read_body,
    read_json_object,
    too_large_message,
)
from calimero_devnet.node.rpc.sources import WASM_MAGIC, fetch_wasm, read_wasm_path
from calimero_devnet.node.rpc.worker import CoreWorker


def seed_bytes(seed: Any) -> bytes | None:
    """Turn ``contextSeed`` into seed bytes: 64 hex digits → 32 bytes, else UTF-8."""
    if seed is None:
        return None
    if not isinstance(seed, str) or not seed:
        raise ParseError(f"contextSeed must be a non-empty string, got {json_kind(seed)}")
    if len(seed) == 64 and all(ch in string.hexdigits for ch in seed):
        return bytes.fromhex(seed)
    return seed.encode("utf-8")


def byte_list(value: Any, field: str, default: bytes) -> bytes:
    """Read a JSON list of byte values (upstream's ``Vec<u8>``); absent or empty → default."""
    if value is None or value == []:
        return default
    if not isinstance(value, list):
        raise ParseError(f"{field} must be a list of byte values, got {json_kind(value)}")
    try:
        return bytes(value)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{field} must hold integers 0..255: {exc}") from exc


def init_params(value: Any) -> bytes:
    """Read ``initializationParams``: bytes of the init JSON, or (devnet) a JSON object."""
    if isinstance(value, dict):
        return dumps_compact(value)
    return byte_list(value, "initializationParams", b"{}")


def _create(core: Any, app_id: bytes, params: bytes, seed: bytes | None, group: str | None) -> Any:
    """Create a context, in ``group`` (a namespace or group id) when given; the group's
    app must be the context's."""
    if group is None:
        return core.create_context(app_id, params, seed)
    spaces = real_core(core).namespaces
    spaces.check_context(group, app_id)
    info = core.create_context(app_id, params, seed)
    spaces.add_context(group, info.id)
    return info


def _id_param(request: web.Request, what: str = "context id") -> bytes:
    return from_b58(request.match_info["id"], what)


class AdminApi:
    """The admin handlers; core access goes through the worker thread."""

    def __init__(self, worker: CoreWorker) -> None:
        self._worker = worker

    def routes(self) -> list[web.RouteDef]:
        """Every admin route, ready for ``app.add_routes``."""
        return [
            web.get("/admin-api/health", self.health),
            web.get("/admin-api/identity", self.identity),
            web.post("/admin-api/install-dev-application", self.install_dev),
            web.post("/admin-api/install-application", self.install_url),
            web.put("/admin-api/install-application-bytes", self.install_bytes),  # devnet
            web.get("/admin-api/applications", self.applications),
            web.post("/admin-api/contexts", self.create_context),
            web.get("/admin-api/contexts", self.contexts),
            web.post("/admin-api/contexts/sync", sync),
            web.get("/admin-api/contexts/{id}", self.context),
            web.post("/admin-api/contexts/{id}/join", join),
            web.get("/admin-api/contexts/{id}/sync", sync_status),
            web.get("/admin-api/contexts/{id}/consistency", self.consistency),
            switch_route(self._worker),  # devnet extension: hot redeploy
            delete_route(self._worker),
            *delta_routes(self._worker),  # devnet extension: what the TUI shows of deltas
            *why_routes(self._worker),  # devnet extension: what `devnet why` compares
            *BlobRoutes(self._worker).routes(),
            *NamespaceRoutes(self._worker).routes(),  # namespaces and groups (node-local)
            *identity_routes(self._worker),  # identities, invitations, join by invitation
            checkpoint_route(self._worker),  # devnet extension: cluster snapshots
        ]

    async def health(self, request: web.Request) -> web.Response:
        """Answer on the event loop, so it works even while an app call is running; ``bus``
        says where the broker connection stands (null without a broker)."""
        return ok({"status": "alive", "bus": bus_state(request.app)})

    async def identity(self, _: web.Request) -> web.Response:
        """The node's public key and name."""
        core = self._worker.core
        return ok({"publicKey": to_b58(core.public_key), "name": core.name})

    async def install_dev(self, request: web.Request) -> web.Response:
        """Install from ``{"path": "/abs/app.wasm", "metadata": [...]}``."""
        body = await read_json_object(request)
        path = body.get("path")
        if not isinstance(path, str) or not path:
            raise ParseError(f"path must be an absolute file path, got {json_kind(path)}")
        meta = byte_list(body.get("metadata"), "metadata", b"")
        wasm = await read_wasm_path(path)
        return await self._install(wasm, f"file://{path}", meta)

    async def install_url(self, request: web.Request) -> web.Response:
        """Install from ``{"url": "file:///..." | "http(s)://...", "metadata": [...]}``."""
        body = await read_json_object(request)
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise ParseError(f"url must be a file:// or http(s):// URL, got {json_kind(url)}")
        meta = byte_list(body.get("metadata"), "metadata", b"")
        wasm = await fetch_wasm(url)
        return await self._install(wasm, url, meta)

    async def install_bytes(self, request: web.Request) -> web.Response:
        """Install the WASM module that is the request body (a manager on another machine
        cannot name a file here)."""
        wasm = await read_body(request)
        if wasm is None:
            raise AdminRequestError(413, too_large_message(request.client_max_size))
        if not wasm.startswith(WASM_MAGIC):
            raise ParseError("the request body is not a WASM module (no \\0asm header)")
        return await self._install(wasm, "upload:", b"")

    async def _install(self, wasm: bytes, source: str, meta: bytes) -> web.Response:
        app_id = await self._worker.call(
            lambda core: core.install_application(wasm, source=source, metadata=meta)
        )
        return ok({"applicationId": to_b58(app_id)})

    async def applications(self, _: web.Request) -> web.Response:
        """Every installed app."""
        apps = await self._worker.call(lambda core: core.applications())
        return ok({"apps": [app_json(app) for app in apps]})

    async def create_context(self, request: web.Request) -> web.Response:
        """Create a context and run ``init``; answer its id and our member key."""
        body = await read_json_object(request)
        app_field = body.get("applicationId")
        if not isinstance(app_field, str):
            raise ParseError(f"applicationId must be a base58 string, got {json_kind(app_field)}")
        app_id = from_b58(app_field, "applicationId")
        params = init_params(body.get("initializationParams"))
        seed = seed_bytes(body.get("contextSeed"))
        group = body.get("groupId")
        if group is not None and not isinstance(group, str):
            raise ParseError(f"groupId must be a hex string, got {json_kind(group)}")
        info = await self._worker.call(lambda core: _create(core, app_id, params, seed, group))
        member = to_b58(self._worker.core.public_key)
        return ok({"contextId": to_b58(info.id), "memberPublicKey": member})

    async def contexts(self, request: web.Request) -> web.Response:
        """Every context."""
        infos = await self._worker.call(lambda core: core.contexts())
        infos = await with_pending(request, infos)
        return ok({"contexts": [context_json(info) for info in infos]})

    async def context(self, request: web.Request) -> web.Response:
        """One context, with ``rootHash``, ``dagHeads`` and ``pending``."""
        ctx_id = _id_param(request)
        info = await self._worker.call(lambda core: core.context(ctx_id))
        (info,) = await with_pending(request, [info])
        return ok(context_json(info))

    async def consistency(self, request: web.Request) -> web.Response:
        """Devnet extension: ``{"problems": [...]}``, empty when state, deltas, heads agree."""
        ctx_id = _id_param(request)
        problems = await self._worker.call(lambda core: core.check_consistency(ctx_id))
        return ok({"contextId": to_b58(ctx_id), "problems": problems})
