"""Provides the node lifecycle: startup → main loop (named tasks) → shutdown with a timeout.

``open_node`` is the library call (tests start nodes in-process with it); ``run_node`` is what
the process entry points run: it adds signal handling (first SIGINT/SIGTERM stops gracefully,
a second exits at once) and prints the ready line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from calimero_devnet.exits import exit_now
from calimero_devnet.ids import to_b58
from calimero_devnet.node.bus.broker_url import shown
from calimero_devnet.node.bus.presence import Presence, announce
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.manager_watch import watch_manager
from calimero_devnet.node.rpc.admin_blobs import BLOB_NETWORK
from calimero_devnet.node.rpc.admin_sync import REPLICATION
from calimero_devnet.node.rpc.events import EventHub
from calimero_devnet.node.rpc.server import RpcServer, build_app, listen
from calimero_devnet.node.rpc.worker import Core, CoreWorker, bridge_notices

if TYPE_CHECKING:
    from calimero_devnet.node.bus.transport import Transport
    from calimero_devnet.node.replication.replicator import Replicator

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReadyInfo:
    """What a started node announces."""

    name: str
    host: str
    rpc_port: int
    public_key: bytes
    pid: int = field(default_factory=os.getpid)
    startup_s: float = 0.0

    @property
    def url(self) -> str:
        """The node's base URL."""
        return f"http://{self.host}:{self.rpc_port}"

    def line(self) -> str:
        """The one machine-readable ready line printed on stdout."""
        fields = {"event": "ready", "name": self.name, "rpcPort": self.rpc_port}
        fields |= {"publicKey": to_b58(self.public_key), "pid": self.pid, "host": self.host}
        return json.dumps(fields, separators=(",", ":"))


def presence_of(ready: ReadyInfo, advertise: str | None) -> Presence:
    """What a ready node announces on the bus: ``advertise`` (a host, or a URL) or its URL."""
    url = ready.url
    if advertise:
        url = advertise if "://" in advertise else f"http://{advertise}:{ready.rpc_port}"
    return Presence(ready.name, url, to_b58(ready.public_key), socket.gethostname(), ready.pid)


CoreFactory = Callable[[NodeConfig], Core]
TransportFactory = Callable[[NodeConfig], AbstractAsyncContextManager["Transport"]]


def open_core(config: NodeConfig) -> Core:
    """Open the real NodeCore of ``config.home`` (imported late: it loads wasmtime)."""
    from calimero_devnet.node.state.core import NodeCore  # noqa: PLC0415

    return NodeCore.open(
        config.home, name=config.name, index=config.index, module_cache=config.module_cache
    )


class NodeService:
    """One node: its core (on the worker thread), its HTTP server and its tasks."""

    def __init__(
        self,
        config: NodeConfig,
        core_factory: CoreFactory = open_core,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        """Describe a node; with a broker (or ``transport_factory``) it replicates."""
        self.config = config
        self._factory = core_factory
        self._transport_factory = transport_factory  # None: MQTT if config.broker is set
        self._bus = AsyncExitStack()
        self.replicator: Replicator | None = None
        self._transport: Transport | None = None
        self._worker = CoreWorker()
        self._hub = EventHub()
        self._server: RpcServer | None = None
        self._stop = asyncio.Event()
        self.ready: ReadyInfo | None = None

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    async def startup(self) -> ReadyInfo:
        """Open the core and start serving; on failure release what was opened."""
        started = time.perf_counter()
        self.config.home.mkdir(parents=True, exist_ok=True)
        sock = listen(self.config.host, self.config.rpc_port)  # a taken port fails fast
        try:
            core = await self._worker.open(lambda: self._factory(self.config))
            bridge_notices(core, self._worker, self._hub.publish_nowait)
            app = build_app(self._worker, self._hub, self.config.max_body, token=self.config.token)
            await self._start_replication(app)
            server = RpcServer(
                app,
                shutdown_timeout=self.config.shutdown_timeout,
                access_log=self.config.access_log,
            )
            port = await server.start(sock)
        except BaseException:
            sock.close()
            await self._bus.aclose()
            await self._worker.close(self.config.shutdown_timeout)
            raise
        self._server = server
        elapsed = time.perf_counter() - started
        self.ready = ReadyInfo(
            core.name, self.config.host, port, core.public_key, startup_s=elapsed
        )
        log.info("node %s ready at %s in %.0f ms", core.name, self.ready.url, elapsed * 1000)
        return self.ready

    async def _start_replication(self, app: web.Application) -> None:
        if self._transport_factory is None and not self.config.broker:
            return
        from calimero_devnet.node.replication.replicator import Replicator, open_bus  # noqa: PLC0415

        opening = (self._transport_factory or open_bus)(self.config)
        transport = self._transport = await self._bus.enter_async_context(opening)
        self.replicator = app[REPLICATION] = Replicator(self._worker, transport)
        await self.replicator.start()
        if self.replicator.blobs is not None:
            app[BLOB_NETWORK] = self.replicator.blobs
        where = shown(self.config.broker) if self.config.broker else "a bus"
        log.info("node %s replicates over %s", self.config.name, where)

    def _tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        tasks = {"commit-fanout": self._hub.run()}
        if self.config.manager_pid is not None:
            tasks["manager-watch"] = watch_manager(self.config.manager_pid, self.config.name)
        if self.replicator is not None:
            tasks |= self.replicator.tasks()
        if self._transport is not None and self.ready is not None:
            presence = presence_of(self.ready, self.config.advertise)
            tasks["presence"] = announce(self._transport.publish_presence, presence)
        return tasks

    async def main_loop(self) -> None:
        """Run the node's tasks until ``request_stop``; a crashing task ends the loop."""
        async with asyncio.TaskGroup() as group:
            running = [group.create_task(coro, name=name) for name, coro in self._tasks().items()]
            await self._stop.wait()
            for task in running:
                task.cancel()

    def request_stop(self) -> None:
        """Ask the main loop to end (safe to call more than once)."""
        self._stop.set()

    async def shutdown(self) -> bool:
        """Stop serving, then close the store; False if a core call outlasted the timeout."""
        log.info("node %s shutting down", self.config.name)
        if self._server is not None:
            await self._server.stop()
            self._server = None
        try:
            await self._bus.aclose()  # flushes queued deltas, publishes "offline"
        except Exception:
            log.exception("node %s: closing the bus failed", self.config.name)
        clean = await self._worker.close(self.config.shutdown_timeout)
        log.info("node %s stopped%s", self.config.name, "" if clean else " (store left open)")
        return clean


@asynccontextmanager
async def open_node(
    config: NodeConfig,
    core_factory: CoreFactory = open_core,
    transport_factory: TransportFactory | None = None,
) -> AsyncIterator[NodeService]:
    """Start a node in this event loop; stop it (gracefully) when the block exits."""
    node = NodeService(config, core_factory, transport_factory)
    await node.startup()
    loop_task = asyncio.create_task(node.main_loop(), name=f"node-{config.name}")
    try:
        yield node
    finally:
        node.request_stop()
        try:
            await loop_task
        finally:
            await node.shutdown()


def print_ready(ready: ReadyInfo) -> None:
    """Announce readiness on stdout (one JSON line) for the process that spawned us."""
    print(ready.line(), flush=True)


def run_node(
    config: NodeConfig,
    announce: Callable[[ReadyInfo], None] = print_ready,
    core_factory: CoreFactory = open_core,
) -> int:
    """Run a node until SIGINT/SIGTERM; return the process exit code."""
    return asyncio.run(_serve(NodeService(config, core_factory), announce))


async def _serve(node: NodeService, announce: Callable[[ReadyInfo], None]) -> int:
    config = node.config
    _install_signal_handlers(node)
    announce(await node.startup())
    crashed = False
    try:
        await node.main_loop()
    except* Exception as group:
        for exc in group.exceptions:
            log.error("node %s: a main-loop task crashed", config.name, exc_info=exc)
        crashed = True
    finally:
        clean = await node.shutdown()
    if not clean:
        exit_now(1)  # the worker thread is stuck in a call; the interpreter would wait on it
    return 1 if crashed else 0


def _install_signal_handlers(node: NodeService) -> None:
    def on_signal(sig: signal.Signals) -> None:
        if node.stopping:
            log.warning("second %s: exiting now, without a clean shutdown", sig.name)
            exit_now(1)
        log.info("received %s: shutting down (send it again to force)", sig.name)
        node.request_stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
