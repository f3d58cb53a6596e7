"""Provides the manager's control endpoint: how other ``devnet`` commands drive its cluster.

Reads (``status``, ``call``, ``wait-converged``, ``logs``) go straight to the nodes, whose
URLs ``cluster.json`` lists. Changes go through the manager, so one process owns the
node processes (only it can restart a child it spawned) and the network rules (so
``latency`` after ``partition`` keeps the partition). The endpoint is plain HTTP on
loopback, at the ``controlUrl`` of ``cluster.json``; it accepts JSON bodies only, so a web
page cannot post a form to it. With ``[security] token`` it wants the token as the nodes
do (``Authorization: Bearer <token>``, else a 401), on every route.

Routes (answers ``{"data": ...}``, or ``{"error": message, "kind": error class}``)::

    GET  /status                         the cluster status, net rules, app versions
    GET  /apps                           every app: id, version, kind, path, ABI manifest
    GET  /events                         every event from now on, as NDJSON (``stream.py``)
    POST /nodes/<node>/<kill|stop|start|restart>
    POST /net/partition  {"groups": [["node-1","node-2"],["node-3"]]}
    POST /net/latency    {"from","to","ms","loss"?,"both"?}
    POST /net/heal
    POST /apps/<app>/redeploy            rebuild now and switch every node to it
    POST /contexts/<name>/reset          start a context afresh under a new id
    POST /snapshots/<name>/<save|restore>  snapshot every node; put a snapshot back
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from calimero_devnet.auth import authorized
from calimero_devnet.cluster.control import netctl
from calimero_devnet.cluster.control.stream import HEARTBEAT_S, Observed, StreamApi
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.snapshots.manifest import check_name
from calimero_devnet.errors import ClusterError, ConfigError, DevnetError
from calimero_devnet.node.bus.net_rules import NetRules, rules_to_json

log = logging.getLogger(__name__)
NODE_ACTIONS = ("kill", "stop", "start", "restart")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fail(status: int, exc: BaseException) -> web.Response:
    return web.json_response({"error": str(exc), "kind": type(exc).__name__}, status=status)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "POST" and request.content_type != "application/json":
        return _fail(415, ClusterError("control requests must be JSON (application/json)"))
    try:
        return await handler(request)
    except ConfigError as exc:
        return _fail(400, exc)
    except DevnetError as exc:
        return _fail(409, exc)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("control request %s %s failed", request.method, request.path)
        return _fail(500, exc)


def _token_guard(token: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if authorized(request.headers.get("Authorization"), token):
            return await handler(request)
        message = "the control endpoint wants the cluster's token: 'Authorization: Bearer <token>'"
        refusal = _fail(401, ClusterError(message))
        refusal.headers["WWW-Authenticate"] = 'Bearer realm="calimero-devnet"'
        return refusal

    return guard


def _ok(data: Any) -> web.Response:
    return web.json_response({"data": data})


def _rules(rules: NetRules) -> dict[str, Any]:
    return {"text": netctl.describe(rules), "rules": rules_to_json(rules)}


class ControlApi:
    """The handlers, over one ``Cluster``."""

    def __init__(self, cluster: Cluster) -> None:
        """Serve ``cluster``."""
        self._cluster = cluster

    def routes(self) -> list[web.RouteDef]:
        """Every route (see the module docstring)."""
        return [
            web.get("/status", self.status),
            web.post("/nodes/{node}/{action}", self.node_action),
            web.post("/net/partition", self.partition),
            web.post("/net/latency", self.latency),
            web.post("/net/heal", self.heal),
            web.post("/apps/{app}/redeploy", self.redeploy),
            web.post("/contexts/{name}/reset", self.reset),
            web.post("/snapshots/{name}/{action}", self.snapshot),
        ]

    async def status(self, _: web.Request) -> web.Response:
        """Status with what only the manager knows: net rules, versions, failures (nodes
        down since they died unasked) and restarts (nodes back since)."""
        cluster = self._cluster
        data = (await cluster.status()).to_json()
        data |= {"net": _rules(cluster.rules), "versions": cluster.rollout.versions(),
                 "behind": cluster.rollout.behind(),
                 "failures": cluster.exits.current(),
                 "restarts": cluster.exits.history(time.monotonic()),
                 "broker": cluster.broker_watch.health.to_json()}  # fmt: skip
        return _ok(data)

    async def node_action(self, request: web.Request) -> web.Response:
        """kill, stop, start or restart a node."""
        node, action = request.match_info["node"], request.match_info["action"]
        if action not in NODE_ACTIONS:
            raise ConfigError(f"unknown node action {action!r}: use {', '.join(NODE_ACTIONS)}")
        self._cluster.node(node)  # an unknown name fails here, naming the nodes
        await getattr(self._cluster, action)(node)
        return _ok({"node": node, "action": action, "running": self._cluster.node(node).running})

    async def partition(self, request: web.Request) -> web.Response:
        """Cut the network into groups."""
        body = await _body(request)
        groups = body.get("groups")
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and all(isinstance(name, str) for name in g) for g in groups
        ):
            raise ConfigError('partition: send {"groups": [["node-1", "node-2"], ["node-3"]]}')
        return _ok(_rules(await self._cluster.partition(groups)))

    async def latency(self, request: web.Request) -> web.Response:
        """Set a link's latency and loss."""
        body = await _body(request)
        sender, receiver, both = body.get("from"), body.get("to"), body.get("both", False)
        if not isinstance(sender, str) or not isinstance(receiver, str):
            raise ConfigError('latency: send {"from": "node-1", "to": "node-2", "ms": 50}')
        if not isinstance(both, bool):
            raise ConfigError("latency: both must be true or false")
        ms, loss = _number(body, "ms", 0.0), _number(body, "loss", 0.0)
        rules = await self._cluster.latency(sender, receiver, ms, loss, both)
        return _ok(_rules(rules))

    async def heal(self, _: web.Request) -> web.Response:
        """Back to a healthy network."""
        return _ok(_rules(await self._cluster.heal()))

    async def redeploy(self, request: web.Request) -> web.Response:
        """Rebuild an app and switch the nodes to it."""
        app = request.match_info["app"]
        if app not in self._cluster.apps:
            raise ConfigError(f"no app named {app!r} (apps: {', '.join(self._cluster.apps)})")
        deployed = await self._cluster.redeploy(app)
        return _ok({"app": app, "deployed": None if deployed is None else str(deployed)})

    async def reset(self, request: web.Request) -> web.Response:
        """Start a context afresh (its state is lost)."""
        reset = await self._cluster.reset(request.match_info["name"])
        return _ok({"context": reset.context, "oldId": reset.old_id, "newId": reset.new_id,
                    "app": reset.app, "version": reset.version, "nodes": list(reset.nodes),
                    "text": str(reset)})  # fmt: skip

    async def snapshot(self, request: web.Request) -> web.Response:
        """Save the cluster as a snapshot, or restore one (refused before anything stops)."""
        name, action = check_name(request.match_info["name"]), request.match_info["action"]
        if action == "save":
            manifest = await self._cluster.save_snapshot(name)
        elif action == "restore":
            manifest = await self._cluster.restore_snapshot(name)
        else:
            raise ConfigError(f"unknown snapshot action {action!r}: use save or restore")
        return _ok(manifest.summary())


def _number(body: dict[str, Any], key: str, default: float) -> float:
    """``body[key]`` as a number (a string or a list there was a 500 before)."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"latency: {key} must be a number, e.g. 50")
    return float(value)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ConfigError(f"{request.path}: the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ConfigError(f"{request.path}: the body must be a JSON object")
    return body


def viewer_app(
    cluster: Observed, *, heartbeat: float = HEARTBEAT_S, token: str | None = None
) -> web.Application:
    """The read-only part of the endpoint: ``GET /events`` and ``GET /apps`` (wanting ``token``)."""
    streams = StreamApi(cluster, heartbeat=heartbeat)
    guards = [] if token is None else [_token_guard(token)]
    app = web.Application(middlewares=[*guards, _errors])
    app.add_routes(streams.routes())
    app.on_shutdown.append(streams.shutdown)  # open streams end before the server waits on them
    return app


def control_app(cluster: Cluster) -> web.Application:
    """The whole endpoint of ``cluster`` (see the module docstring)."""
    app = viewer_app(cluster, token=cluster.token)
    app.add_routes(ControlApi(cluster).routes())
    return app


@contextlib.asynccontextmanager
async def serve_control(cluster: Cluster, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve the control endpoint of ``cluster`` on a free loopback port; yield its URL."""
    async with serve_app(control_app(cluster), host) as url:
        yield url


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve ``app`` on a free port of ``host``; yield its URL; shut it down after."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.create_server((host, 0))
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()
        sock.close()
