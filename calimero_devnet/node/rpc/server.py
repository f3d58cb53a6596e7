"""Provides the node's aiohttp server: routes, JSON error rendering, start and stop."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from calimero_devnet.auth import authorized, loopback_origin
from calimero_devnet.errors import ConfigError, NodeError, ParseError, Unauthorized
from calimero_devnet.node.config import MAX_BODY_BYTES
from calimero_devnet.node.rpc.admin import AdminApi
from calimero_devnet.node.rpc.events import EventHub
from calimero_devnet.node.rpc.jsonrpc import JsonRpcHandler, error_response
from calimero_devnet.node.rpc.replies import (
    AdminRequestError,
    fail,
    node_error_status,
    too_large_message,
)
from calimero_devnet.node.rpc.worker import CoreWorker

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _http_error(
    request: web.Request, status: int, message: str, kind: type[NodeError] = ParseError
) -> web.Response:
    """Render an HTTP-level refusal as JSON: JSON-RPC shaped on ``/jsonrpc``."""
    if request.path == "/jsonrpc":
        return web.json_response(error_response(None, kind(message)), status=status)
    return fail(status, message, None if kind is ParseError else kind.type_name)


# A liveness probe needs no secret and tells nothing: it stays open under a token.
OPEN_PATHS = frozenset({"/admin-api/health"})
UNAUTHORIZED = (
    "this node wants its cluster's token: send the header 'Authorization: Bearer <token>'"
)


def token_guard(token: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware refusing, with a 401, every request without ``token`` (bar ``OPEN_PATHS``).

    It runs after ``browser_guard``: a preflight carries no credentials and is answered there.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS or authorized(request.headers.get("Authorization"), token):
            return await handler(request)
        refusal = _http_error(request, 401, UNAUTHORIZED, Unauthorized)
        refusal.headers["WWW-Authenticate"] = 'Bearer realm="calimero-devnet"'
        return refusal

    return guard


JSON_TYPE = "application/json"
# What a local web app may send: the verbs and headers the node's routes use.
_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
    "Access-Control-Max-Age": "600",
}


def _with_cors(response: web.StreamResponse, origin: str) -> web.StreamResponse:
    if not response.prepared:  # a WebSocket is already under way: its headers are sent
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


@web.middleware
async def browser_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep web pages away from the node: every listener is on 127.0.0.1 with no auth, so
    any page the user opens could post to a guessed port. Browsers always send ``Origin``
    on cross-site POSTs and WebSockets, and cannot send ``application/json`` to another
    origin without a CORS preflight, so: a foreign ``Origin`` is refused, bodies must be
    JSON, and preflights are answered for loopback origins only (a local web app works).
    Clients outside a browser (the CLI, calimero-client on Node.js) send no ``Origin``.
    """
    origin = request.headers.get("Origin")
    if origin is not None and not loopback_origin(origin):
        message = f"requests from web origin {origin!r} are refused: only loopback origins"
        return _http_error(request, 403, f"{message} (http://127.0.0.1:*, http://localhost:*)")
    if request.method == "OPTIONS" and origin is not None:
        return _with_cors(web.Response(status=204, headers=_PREFLIGHT_HEADERS), origin)
    if request.body_exists and request.content_type != JSON_TYPE and not _raw_upload(request):
        message = f"request bodies must be JSON ({JSON_TYPE}), not {request.content_type}"
        return _http_error(request, 415, message)
    response = await handler(request)
    return response if origin is None else _with_cors(response, origin)


def _raw_upload(request: web.Request) -> bool:
    """A blob or app upload carries raw bytes; it is a PUT, which no page sends cross-origin
    without the preflight refused above, so it needs no JSON content type."""
    return request.method == "PUT" and request.path in RAW_UPLOADS


RAW_UPLOADS = ("/admin-api/blobs", "/admin-api/install-application-bytes")


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal or bug into a JSON answer; a bad request never kills the node."""
    try:
        return await handler(request)
    except AdminRequestError as exc:
        return fail(exc.status, exc.message)
    except NodeError as exc:
        return fail(node_error_status(exc), str(exc), exc.type_name)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:
            return _http_error(request, 413, too_large_message(request.client_max_size))
        message = f"{request.method} {request.path}: {exc.reason}"
        return _http_error(request, exc.status, message)
    except Exception as exc:
        log.exception("%s %s failed unexpectedly", request.method, request.path)
        message = f"internal error: {type(exc).__name__}: {exc} (see node.log)"
        return _http_error(request, 500, message)


def build_app(
    worker: CoreWorker, hub: EventHub, max_body: int = MAX_BODY_BYTES, token: str | None = None
) -> web.Application:
    """Assemble the aiohttp application of one node (``token``: the bearer token it wants)."""
    guards = [browser_guard] if token is None else [browser_guard, token_guard(token)]
    app = web.Application(client_max_size=max_body, middlewares=[*guards, json_errors])
    app.router.add_post("/jsonrpc", JsonRpcHandler(worker).handle)
    app.router.add_get("/ws", hub.handle)
    app.add_routes(AdminApi(worker).routes())

    async def close_sockets(_: web.Application) -> None:
        await hub.close_all()

    app.on_shutdown.append(close_sockets)
    return app


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket (port 0 picks a free one), or explain why not."""
    try:
        return socket.create_server((host, port), backlog=512)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            hint = "pick another --rpc-port, or 0 for a free one"
            raise ConfigError(f"rpc port {port} on {host} is already in use: {hint}") from exc
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


class RpcServer:
    """The running HTTP server of a node."""

    def __init__(
        self, app: web.Application, *, shutdown_timeout: float, access_log: bool = False
    ) -> None:
        # The access log costs CPU on every call; it is on only at --log-level debug.
        options: dict[str, Any] = {} if access_log else {"access_log": None}
        self._runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, **options)
        self.port = 0

    async def start(self, sock: socket.socket) -> int:
        """Start serving on a bound socket (from ``listen``); return its port."""
        try:
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop accepting, close WebSockets, let in-flight requests finish (bounded)."""
        await self._runner.cleanup()
