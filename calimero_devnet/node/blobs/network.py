"""Provides ``BlobNetwork``: blob announcements, serving and on-demand fetching over the bus.

It runs in the node's event loop, beside the ``Replicator`` (which hands it every blob
message), and reads the ``BlobStore`` directly: serving a peer never waits for the core
thread, so a call blocked in ``blob_open`` on one node can be answered by another node
that is itself inside a call.

Who has a blob: the nodes that announced it (``BlobAnnouncement``), then every other node
seen on the context's topics (a node that joined after the announcement still finds it).
Fetching asks one node at a time for chunk 0 (which brings the chunk ids, size and hash),
then for the other chunks (four requests in flight); every chunk must hash to its id, the
ids to the blob id and the whole content to the hash, or that node's copy is dropped and
the next node is tried. The blob becomes visible only once complete (``BlobStore.install``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any

from calimero_devnet.ids import to_b58
from calimero_devnet.node.blobs.messages import BlobAnnouncement, BlobRequest, BlobResponse
from calimero_devnet.node.blobs.store import BlobMeta, BlobStore, blob_id_of
from calimero_devnet.node.bus.transport import BusMessage, Transport

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
FETCH_TIMEOUT_S = 30.0
FETCH_WINDOW = 4  # chunk requests in flight to one node
NO_CONTEXT = bytes(32)
BLOB_MESSAGES = (BlobAnnouncement, BlobRequest, BlobResponse)

_Key = tuple[bytes, int, str]


class BlobNetwork:
    """The blob side of one node's bus connection (see the module docstring)."""

    def __init__(
        self,
        transport: Transport,
        store: BlobStore,
        *,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
        fetch_timeout_s: float = FETCH_TIMEOUT_S,
    ) -> None:
        """Serve and fetch the blobs of ``store`` over ``transport`` (build it in the loop)."""
        self._transport, self._store = transport, store
        self._loop = asyncio.get_running_loop()
        self._request_timeout_s, self._fetch_timeout_s = request_timeout_s, fetch_timeout_s
        self._providers: dict[bytes, dict[str, bytes]] = defaultdict(dict)
        self._seen: dict[bytes, set[str]] = defaultdict(set)
        self._waiting: dict[_Key, asyncio.Future[BlobResponse]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetching: dict[bytes, asyncio.Task[bool]] = {}

    # receiving (event loop)
    def saw(self, message: BusMessage) -> None:
        """Remember that ``message.sender`` takes part in ``message.context``."""
        self._seen[message.context].add(message.sender)

    def handle(self, message: BusMessage) -> None:
        """Take one blob message from the bus."""
        if isinstance(message, BlobAnnouncement):
            self._providers[message.blob_id][message.sender] = message.context
        elif isinstance(message, BlobRequest):
            self._spawn(self._serve(message))
        elif isinstance(message, BlobResponse):
            waiter = self._waiting.pop((message.blob_id, message.index, message.sender), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def providers(self, blob_id: bytes) -> dict[str, bytes]:
        """The nodes that announced ``blob_id``, with the context each announced it to."""
        return dict(self._providers.get(blob_id, {}))

    async def _serve(self, request: BlobRequest) -> None:
        meta = self._store.meta(request.blob_id)
        found = meta is not None and request.index < max(len(meta.links), 1)
        data = b""
        if meta is not None and found and meta.links:
            data = await asyncio.to_thread(self._store.chunk, meta.links[request.index])
        reply = BlobResponse(
            self._transport.node, request.context, request.blob_id, request.index, found,
            meta.size if meta else 0, meta.hash if meta else bytes(32),
            meta.links if meta else (), data,
        )  # fmt: skip
        await self._transport.send(request.reply_to, reply)

    # announcing
    async def announce(self, blob_id: bytes, context: bytes, size: int) -> None:
        """Tell ``context``'s other nodes this node has ``blob_id``."""
        await self._transport.broadcast(
            BlobAnnouncement(self._transport.node, context, blob_id, size)
        )

    def announce_soon(self, blob_id: bytes, context: bytes, size: int) -> None:
        """``announce`` from any thread (the core's, inside a call), without waiting."""
        self._loop.call_soon_threadsafe(self._spawn, self.announce(blob_id, context, size))

    # fetching
    def fetch_blocking(self, blob_id: bytes, context: bytes | None) -> bool:
        """``fetch`` from another thread (the core's, inside a call); waits for it."""
        future = asyncio.run_coroutine_threadsafe(self.fetch(blob_id, context), self._loop)
        try:
            return future.result(self._fetch_timeout_s)
        except TimeoutError:
            future.cancel()
            return False

    async def fetch(self, blob_id: bytes, context: bytes | None) -> bool:
        """Make ``blob_id`` local, from the first node that has it intact; False if none.

        Concurrent fetches of one blob share one transfer (a call and a download, say).
        """
        if self._store.has(blob_id):
            return True
        running = self._fetching.get(blob_id)
        if running is None:
            running = self._fetching[blob_id] = self._loop.create_task(
                self._fetch(blob_id, context)
            )
            running.add_done_callback(lambda _: self._fetching.pop(blob_id, None))
        return await asyncio.shield(running)

    async def _fetch(self, blob_id: bytes, context: bytes | None) -> bool:
        for peer, peer_context in self._candidates(blob_id, context):
            try:
                if await self._fetch_from(peer, peer_context, blob_id):
                    return True
            except TimeoutError:
                log.info("blob %s: %s did not answer", to_b58(blob_id), peer)
        return False

    def _candidates(self, blob_id: bytes, context: bytes | None) -> list[tuple[str, bytes]]:
        me, order = self._transport.node, []
        announced = self._providers.get(blob_id, {})
        for peer, peer_context in announced.items():
            if context is None or peer_context == context:
                order.append((peer, peer_context))
        if context is not None:
            order += [(peer, context) for peer in sorted(self._seen.get(context, ()))]
        seen, unique = set(), []
        for peer, peer_context in order:
            if peer != me and peer not in seen:
                seen.add(peer)
                unique.append((peer, peer_context))
        return unique

    async def _fetch_from(self, peer: str, context: bytes, blob_id: bytes) -> bool:
        first = await self._request(peer, context, blob_id, 0)
        if not first.found:
            return False
        links = first.links
        if blob_id_of(links) != blob_id:
            log.warning("blob %s: %s sent chunk ids of another blob", to_b58(blob_id), peer)
            return False
        window = asyncio.Semaphore(FETCH_WINDOW)

        async def chunk(index: int) -> int | None:
            if index == 0:
                reply = first
            else:
                async with window:
                    reply = await self._request(peer, context, blob_id, index)
            if not reply.found or hashlib.sha256(reply.data).digest() != links[index]:
                log.warning("blob %s: chunk %d from %s is damaged", to_b58(blob_id), index, peer)
                return None
            await asyncio.to_thread(self._store.put_chunk, reply.data)
            return len(reply.data)

        sizes = await asyncio.gather(*(chunk(i) for i in range(len(links))))
        if any(size is None for size in sizes):
            return False
        meta = BlobMeta(blob_id, sum(s or 0 for s in sizes), first.hash, links)
        if await asyncio.to_thread(self._content_hash, meta) != first.hash:
            log.warning("blob %s: the content from %s fails its hash", to_b58(blob_id), peer)
            return False
        await asyncio.to_thread(self._store.install, meta)
        log.info("blob %s fetched from %s (%d bytes)", to_b58(blob_id), peer, meta.size)
        return True

    def _content_hash(self, meta: BlobMeta) -> bytes:
        digest = hashlib.sha256()
        for piece in self._store.iter_bytes(meta):
            digest.update(piece)
        return digest.digest()

    async def _request(self, peer: str, context: bytes, blob_id: bytes, index: int) -> BlobResponse:
        key = (blob_id, index, peer)
        waiter = self._waiting[key] = self._loop.create_future()
        me = self._transport.node
        await self._transport.send(peer, BlobRequest(me, context, blob_id, index, reply_to=me))
        try:
            return await asyncio.wait_for(waiter, self._request_timeout_s)
        finally:
            self._waiting.pop(key, None)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a blob task failed: %r", task.exception())
