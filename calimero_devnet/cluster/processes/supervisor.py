"""Provides the supervisor: a cluster's node processes, started concurrently, stopped together.

``open_supervisor`` is the async context manager ``open_cluster`` builds on; every node it
spawned is stopped (SIGINT, then SIGKILL after the grace period, said aloud) when the block
exits. The supervisor never restarts a node on its own: an unexpected exit becomes a
``NodeExited`` event, and the user (or a scenario) decides.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from calimero_devnet.cluster.processes.forked import ForkServer
from calimero_devnet.cluster.processes.node_events import (
    NodeExited,
    NodeReady,
    NodeStarting,
    NodeStopped,
    NodeStopping,
    Report,
    StopEscalated,
    SupervisorEvent,
)
from calimero_devnet.cluster.processes.node_process import NodeProcess, NodeSpec, child_env
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.errors import ClusterError

__all__ = [
    "NodeExited",
    "NodeProcess",
    "NodeReady",
    "NodeSpec",
    "NodeStarting",
    "NodeStopped",
    "NodeStopping",
    "StopEscalated",
    "Supervisor",
    "SupervisorEvent",
    "node_home",
    "node_specs",
    "open_supervisor",
    "stopping_nodes",
]

log = logging.getLogger(__name__)
STOP_GRACE_S = 5.0
FORK_SERVER_ENV = "DEVNET_FORK_SERVER"  # "0": every node its own process (docs/cluster.md)


def _ignore(_event: object) -> None:
    """The default report: say nothing."""


def default_parallelism() -> int:
    """How many nodes start at once: four per core, at most 16.

    A node's start-up is about half imports (CPU) and half waiting (store, sockets), so
    more starts than cores overlap well: 10 nodes on 2 cores are ready in ~3 s at 8 at a
    time, ~6.5 s at 2.
    """
    return min(16, 4 * (os.cpu_count() or 1))


def node_home(data_dir: Path, name: str) -> Path:
    """A node's home in the data dir: ``<data_dir>/nodes/<name>/``."""
    return data_dir / "nodes" / name


def module_cache_dir(data_dir: Path) -> Path:
    """The compiled-module cache every node of the cluster shares: ``<data_dir>/wasm-cache/``."""
    return data_dir / "wasm-cache"


def node_specs(
    config: DevnetConfig, broker_url: str | None, token: str | None = None
) -> list[NodeSpec]:
    """The spawn specs of the nodes ``config`` declares, replicating through ``broker_url``
    and wanting ``token`` (the resolved ``[security] token``)."""
    data_dir, cluster = config.cluster.data_dir, config.cluster.name
    return [
        NodeSpec(
            name=node.name,
            home=node_home(data_dir, node.name),
            rpc_port=node.rpc_port,
            index=node.index,
            broker=broker_url,
            cluster=cluster,
            log_level=node.log_level,
            module_cache=module_cache_dir(data_dir),
            manager_pid=os.getpid(),  # this process spawns them
            token=token,
        )
        for node in config.nodes
    ]


class Supervisor:
    """The node processes of one cluster, by name; every event goes to ``report``."""

    def __init__(
        self, report: Report = _ignore, parallel: int | None = None, ready_timeout: float = 30.0,
        fork: bool | None = None,
    ) -> None:  # fmt: skip
        """Supervise no node yet; at most ``parallel`` nodes start at the same time.

        Nodes fork from one fork server (``forked.py``) unless ``fork`` is false (default:
        true unless ``$DEVNET_FORK_SERVER`` is ``0``).
        """
        self._report = report
        self._parallel = asyncio.Semaphore(parallel or default_parallelism())
        self._ready_timeout = ready_timeout
        self._fork = os.environ.get(FORK_SERVER_ENV, "1") != "0" if fork is None else fork
        self._forks: asyncio.Future[ForkServer | None] | None = None
        self._closed = False
        self.nodes: dict[str, NodeProcess] = {}

    def warm_up(self) -> None:
        """Start the fork server now, so its imports overlap whatever comes before the nodes."""
        if self._fork and self._forks is None and not self._closed:
            self._forks = asyncio.ensure_future(_start_fork_server())

    async def fork_server(self) -> ForkServer | None:
        """The running fork server (started on first use); None without one or once closed."""
        self.warm_up()
        forks = self._forks
        if forks is None or self._closed:
            return None
        try:
            server = await asyncio.shield(forks)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if forks.cancelled() and task is not None and not task.cancelling():
                return None  # ``close`` gave up on its start, not our caller on us
            raise
        return None if server is None or server.lost else server

    async def close(self) -> None:
        """Stop the fork server for good (stop the nodes first: ``stop_all``); nodes
        started later are processes of their own."""
        self._closed = True
        if self._forks is None:
            return
        forks, self._forks = self._forks, None
        forks.cancel()
        server = (await asyncio.gather(forks, return_exceptions=True))[0]
        if isinstance(server, ForkServer):
            await server.close()

    def __getitem__(self, name: str) -> NodeProcess:
        """The node called ``name``; ``ClusterError`` naming the known ones otherwise."""
        try:
            return self.nodes[name]
        except KeyError:
            known = ", ".join(self.nodes) or "none yet"
            raise ClusterError(f"no node named {name!r} in this cluster (nodes: {known})") from None

    async def spawn(self, spec: NodeSpec) -> NodeProcess:
        """Start the node of ``spec`` and wait until it is ready.

        Raises:
            ClusterError: the name is taken, or the node failed to start (with its stderr).
        """
        if spec.name in self.nodes:
            raise ClusterError(f"a node named {spec.name!r} is already supervised")
        node = NodeProcess(spec, self._report, self._ready_timeout, self.fork_server)
        self.nodes[spec.name] = node
        try:
            async with self._parallel:
                await node.start()
                await node.wait_ready()
        except BaseException:
            del self.nodes[spec.name]
            raise
        return node

    async def spawn_all(self, specs: Sequence[NodeSpec]) -> list[NodeProcess]:
        """Start every node concurrently (bounded); all ready, or none left running.

        Raises:
            ClusterError: naming every node that failed; the ones that started are stopped.
        """
        results = await asyncio.gather(
            *(self.spawn(spec) for spec in specs), return_exceptions=True
        )
        failures = [(spec, exc) for spec, exc in zip(specs, results, strict=True)
                    if isinstance(exc, BaseException)]  # fmt: skip
        if not failures:
            return [node for node in results if isinstance(node, NodeProcess)]
        await self.stop_all()
        for _spec, exc in failures:
            if not isinstance(exc, Exception):
                raise exc  # cancellation and the like pass through untouched
        if len(failures) == 1:
            raise failures[0][1]
        lines = "\n".join(f"  {spec.name}: {exc}" for spec, exc in failures)
        raise ClusterError(f"{len(failures)} of {len(specs)} nodes failed to start:\n{lines}")

    async def stop_all(
        self, grace: float = STOP_GRACE_S, names: Iterable[str] | None = None
    ) -> None:
        """Stop the (named, default all) running nodes concurrently; escalations are said."""
        chosen = [self[name] for name in names] if names is not None else list(self.nodes.values())
        await asyncio.gather(*(node.stop(grace) for node in chosen))

    async def kill_all(self) -> None:
        """SIGKILL every running node (the second Ctrl-C: no waiting)."""
        await asyncio.gather(*(node.kill() for node in self.nodes.values()))


@asynccontextmanager
async def open_supervisor(
    report: Report = _ignore,
    parallel: int | None = None,
    ready_timeout: float = 30.0,
    grace: float = STOP_GRACE_S,
) -> AsyncIterator[Supervisor]:
    """A ``Supervisor`` whose nodes are all stopped when the block exits, however it exits."""
    supervisor = Supervisor(report, parallel, ready_timeout)
    supervisor.warm_up()
    try:
        async with stopping_nodes(supervisor, grace):
            yield supervisor
    finally:
        await supervisor.close()


@asynccontextmanager
async def stopping_nodes(
    supervisor: Supervisor, grace: float = STOP_GRACE_S
) -> AsyncIterator[Supervisor]:
    """``supervisor``, its nodes all stopped when the block exits (its fork server is not:
    ``close`` it after whatever the nodes need while they stop, such as the broker)."""
    try:
        yield supervisor
    finally:
        await supervisor.stop_all(grace)


async def _start_fork_server() -> ForkServer | None:
    """A fork server for this supervisor's nodes, or None (said in the log) if it fails."""
    try:
        return await ForkServer.start(child_env(None))
    except ClusterError as exc:
        log.warning("%s: every node starts as a process of its own", exc)
        return None
