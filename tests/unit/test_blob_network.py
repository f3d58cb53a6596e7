"""Blob fetching over the in-memory bus: announcements, chunked fetch, damaged copies refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from calimero_devnet.node.blobs.network import BLOB_MESSAGES, BlobNetwork
from calimero_devnet.node.blobs.store import CHUNK_SIZE, BlobStore
from calimero_devnet.testing.memory_bus import MemoryNetwork, MemoryTransport

CTX = bytes(range(32))
DATA = bytes(i % 199 for i in range(2 * CHUNK_SIZE + 10))  # three chunks


@asynccontextmanager
async def nodes(tmp_path: Path, *names: str) -> AsyncIterator[dict[str, BlobNetwork]]:
    """A BlobNetwork per name on one memory bus, each pumped by its own receive task."""
    bus, found, tasks = MemoryNetwork(), {}, []
    for name in names:
        transport = bus.attach(name)
        await transport.watch_context(CTX)
        net = found[name] = BlobNetwork(transport, BlobStore(tmp_path / name), request_timeout_s=1)

        async def pump(transport: MemoryTransport = transport, net: BlobNetwork = net) -> None:
            async for message in transport.incoming():
                net.saw(message)
                if isinstance(message, BLOB_MESSAGES):
                    net.handle(message)

        tasks.append(asyncio.create_task(pump()))
    for transport in bus.transports.values():
        await transport.connected.wait()
    try:
        yield found
    finally:
        for task in tasks:
            task.cancel()


async def _until(condition: Callable[[], bool], wait_s: float = 5.0) -> None:
    for _ in range(int(wait_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_an_announced_blob_is_fetched_chunk_by_chunk(tmp_path: Path) -> None:
    async with nodes(tmp_path, "a", "b") as net:
        meta = net["a"]._store.put(DATA)
        await net["a"].announce(meta.blob_id, CTX, meta.size)
        await _until(lambda: "a" in net["b"].providers(meta.blob_id))
        assert await net["b"].fetch(meta.blob_id, CTX)
        assert net["b"]._store.read_all(meta.blob_id) == DATA


async def test_a_damaged_copy_is_refused_and_the_next_node_asked(tmp_path: Path) -> None:
    async with nodes(tmp_path, "bad", "good", "c") as net:
        meta = net["bad"]._store.put(DATA)
        net["good"]._store.put(DATA)
        chunk = tmp_path / "bad" / "chunks" / meta.links[1].hex()
        chunk.write_bytes(b"X" + chunk.read_bytes()[1:])  # same size, wrong bytes
        await net["bad"].announce(meta.blob_id, CTX, meta.size)
        await _until(lambda: "bad" in net["c"].providers(meta.blob_id))
        assert not await net["c"].fetch(meta.blob_id, CTX)  # only the bad one is known
        assert not net["c"]._store.has(meta.blob_id)  # nothing partial is visible
        await net["good"].announce(meta.blob_id, CTX, meta.size)
        await _until(lambda: "good" in net["c"].providers(meta.blob_id))
        assert await net["c"].fetch(meta.blob_id, CTX)
        assert net["c"]._store.read_all(meta.blob_id) == DATA


async def test_nobody_has_it_answers_false(tmp_path: Path) -> None:
    async with nodes(tmp_path, "a", "b") as net:
        await net["a"].announce(b"\x01" * 32, CTX, 0)  # heard of, not held: found=False
        await _until(lambda: bool(net["b"].providers(b"\x01" * 32)))
        assert not await net["b"].fetch(b"\x01" * 32, CTX)
        assert not await net["b"].fetch(b"\x02" * 32, None)  # no candidates at all


async def test_concurrent_fetches_of_one_blob_share_the_transfer(tmp_path: Path) -> None:
    async with nodes(tmp_path, "a", "b") as net:
        meta = net["a"]._store.put(DATA)
        await net["a"].announce(meta.blob_id, CTX, meta.size)
        await _until(lambda: "a" in net["b"].providers(meta.blob_id))
        both = await asyncio.gather(*(net["b"].fetch(meta.blob_id, CTX) for _ in range(2)))
        assert both == [True, True]
        assert net["b"]._store.read_all(meta.blob_id) == DATA
