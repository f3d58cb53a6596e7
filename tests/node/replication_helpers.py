"""Provides in-process replicas for the replication tests: real NodeCores on a memory bus."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from calimero_devnet.node.replication.replicator import Replicator
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.clock import MAX_FUTURE_NS
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.sync.protocol import SyncConfig
from calimero_devnet.testing.memory_bus import MemoryNetwork, MemoryTransport
from tests.fixtures import load_wat

T = TypeVar("T")
MS = 1_000_000


def fast_config(name: str) -> SyncConfig:
    """Sync settings that make a unit test converge in well under a second."""
    return SyncConfig(
        node=name,
        max_future=MAX_FUTURE_NS,
        announce_every=150 * MS,
        fetch_retry_after=300 * MS,
        snapshot_timeout=1_000 * MS,
    )


@dataclass
class Replica:
    """One in-process node: its core on a worker thread, its transport and replicator."""

    name: str
    home: Path
    index: int
    core: NodeCore
    worker: CoreWorker
    transport: MemoryTransport
    replicator: Replicator
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def run(self, fn: Callable[[NodeCore], T]) -> T:
        """Run ``fn(core)`` on the node's worker thread."""
        core = self.core
        return await self.worker.call(lambda _: fn(core))

    async def execute(self, ctx: bytes, method: str, **args: str) -> Any:
        """Call an app method with ``args`` as JSON; return the decoded output."""
        raw = json.dumps(args).encode()
        result = await self.run(lambda core: core.execute(ctx, method, raw))
        return None if result.output is None else json.loads(result.output)

    async def view(self, ctx: bytes) -> tuple[tuple[bytes, ...], bytes | None, Any]:
        """(heads, root hash, entries) of a context, or empty values if it is not here yet."""

        def read(core: NodeCore) -> tuple[tuple[bytes, ...], bytes | None, Any]:
            record = core.store.context(ctx)
            if record is None:
                return (), None, None
            entries = json.loads(core.execute(ctx, "entries", b"{}").output or b"null")
            return tuple(record.heads), record.root_hash, entries

        return await self.run(read)


async def start_replica(
    network: MemoryNetwork, home: Path, index: int, runtime: Any = None
) -> Replica:
    """Open (or reopen) a node in ``home`` and start replicating on ``network``."""
    name = home.name
    worker = CoreWorker()
    core = await worker.open(lambda: NodeCore.open(home, name=name, index=index, runtime=runtime))
    assert isinstance(core, NodeCore)
    transport = network.attach(name)
    replicator = Replicator(worker, transport, config=fast_config(name), tick_s=0.05,
                            stats_every_s=0.2)  # fmt: skip
    await replicator.start()
    replica = Replica(name, home, index, core, worker, transport, replicator)
    replica.tasks = [asyncio.create_task(c, name=n) for n, c in replicator.tasks().items()]
    return replica


async def stop_replica(network: MemoryNetwork, replica: Replica) -> None:
    """Stop a replica as a crash would look to its peers, then close its store."""
    for task in replica.tasks:
        task.cancel()
    await asyncio.gather(*replica.tasks, return_exceptions=True)
    network.crash(replica.name)
    assert await replica.worker.close(10.0)


@asynccontextmanager
async def replicas(
    tmp_path: Path, count: int, runtime: Callable[[], Any] | None = None
) -> AsyncIterator[tuple[MemoryNetwork, list[Replica]]]:
    """Start ``count`` replicas named n0, n1, … on one memory network."""
    network = MemoryNetwork()
    nodes: list[Replica] = []
    try:
        for index in range(count):
            rt = None if runtime is None else runtime()
            nodes.append(await start_replica(network, tmp_path / f"n{index}", index, rt))
        yield network, nodes
    finally:
        for node in nodes:
            if node.name in network.transports:
                await stop_replica(network, node)


async def create_kv_context(node: Replica, wasm: bytes | None = None) -> bytes:
    """Install the WAT kv-store (or ``wasm``) and create a context on ``node``."""
    module = load_wat("kv_store") if wasm is None else wasm
    app = await node.run(lambda core: core.install_application(module, source="test"))
    info = await node.run(lambda core: core.create_context(app, seed=b"replication-test"))
    return info.id


async def install_app(node: Replica, wasm: bytes | None = None) -> bytes:
    """Install the WAT kv-store (or ``wasm``) on ``node``; return the app id."""
    module = load_wat("kv_store") if wasm is None else wasm
    return await node.run(lambda core: core.install_application(module, source="test"))


async def converge(nodes: list[Replica], ctx: bytes, wait_s: float = 10.0) -> Any:
    """Wait until every node has the same heads, root and entries; return the entries."""
    deadline = time.monotonic() + wait_s
    while True:
        views = [await node.view(ctx) for node in nodes]
        if views[0][0] and all(view == views[0] for view in views):
            pending = [await node.replicator.pending([ctx]) for node in nodes]
            if all(p[ctx] == 0 for p in pending):
                return views[0][2]
        if time.monotonic() > deadline:
            summary = {n.name: (len(v[0]), v[1] and v[1].hex()[:8], v[2]) for n, v in
                       zip(nodes, views, strict=True)}  # fmt: skip
            raise AssertionError(f"no convergence within {wait_s} s: {summary}")
        await asyncio.sleep(0.05)


async def eventually(condition: Callable[[], bool], wait_s: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def feed_of(network: MemoryNetwork, node: str, event: str) -> list[dict[str, Any]]:
    """The feed events named ``event`` that ``node`` published so far (batches unpacked)."""
    events: list[dict[str, Any]] = []
    for name, published in network.feed:
        if name == node:
            events += published["events"] if published["event"] == "batch" else [published]
    return [e for e in events if e["event"] == event]
