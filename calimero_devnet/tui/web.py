"""Provides the server of ``devnet tui --web``: textual-serve, refusing foreign web origins.

Its ``/ws`` drives a whole ``devnet tui`` (kill, reset, calls), and browsers let any page
open a WebSocket to any port without CORS, so a page the user visits could otherwise drive
the cluster. Browsers always send ``Origin`` on a WebSocket and on cross-site requests; one
that is not a loopback origin is refused. The UI's own page (served from loopback) passes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from textual_serve.server import Server

from calimero_devnet.auth import loopback_origin

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def refuse_foreign_origins(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 for a request from a web page that is not on this machine."""
    origin = request.headers.get("Origin")
    if origin is not None and not loopback_origin(origin):
        return web.Response(status=403, text="devnet: only pages on loopback may use this UI\n")
    return await handler(request)


class LoopbackServer(Server):
    """textual-serve with ``refuse_foreign_origins`` in front of every route."""

    async def _make_app(self) -> web.Application:
        app: web.Application = await super()._make_app()
        app.middlewares.append(refuse_foreign_origins)
        return app
