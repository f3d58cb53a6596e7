"""Provides the blob routes of the admin API, in the upstream node's shapes.

``PUT /admin-api/blobs[?hash=&context_id=]`` (raw body) → ``{"data": {"blob_id", "size"}}``,
announcing the blob to ``context_id``'s other nodes when given (``hash``: the base58
sha256 the content must have); ``GET /admin-api/blobs`` → ``{"data": {"blobs": [...]}}``;
``GET /admin-api/blobs/<id>[?context_id=]`` → the bytes (with ``context_id``, a blob not
here is first fetched from that context's nodes); ``HEAD`` → the same headers only;
``DELETE`` → ``{"blob_id", "deleted": true}``. As upstream, an upload is announced only to a
context this node is in (another ``context_id`` is logged and skipped). Headers: ``Content-Length``,
``Content-Type`` (sniffed), ``ETag`` and ``X-Blob-Hash`` (hex sha256), ``X-Blob-ID``,
``X-Blob-MIME-Type``. Blob and context ids are base58.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from calimero_devnet.errors import ContextNotFound, ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.blobs.host import NodeBlobHost
from calimero_devnet.node.blobs.network import BlobNetwork
from calimero_devnet.node.blobs.store import CHUNK_SIZE, BlobMeta, BlobNotFound, BlobStore
from calimero_devnet.node.rpc.replies import ok
from calimero_devnet.node.rpc.worker import CoreWorker

log = logging.getLogger(__name__)

BLOB_NETWORK = web.AppKey("blob_network", BlobNetwork)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x00asm", "application/wasm"),
)


def mime_type(head: bytes) -> str:
    """The MIME type of content starting with ``head`` (upstream sniffs it too)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return "application/octet-stream"


class BlobRoutes:
    """The blob handlers over the node's blob store (and its network, with a broker)."""

    def __init__(self, worker: CoreWorker) -> None:
        self._worker = worker

    def routes(self) -> list[web.RouteDef]:
        """The routes, ready for ``app.add_routes``."""
        return [
            web.put("/admin-api/blobs", self.upload),
            web.get("/admin-api/blobs", self.list),
            web.get("/admin-api/blobs/{id}", self.download, allow_head=False),
            web.head("/admin-api/blobs/{id}", self.info),
            web.delete("/admin-api/blobs/{id}", self.delete),
        ]

    def _store(self) -> BlobStore:
        host = getattr(self._worker.core, "blobs", None)
        if not isinstance(host, NodeBlobHost):
            raise BlobNotFound("this node keeps no blobs")
        return host.store

    async def upload(self, request: web.Request) -> web.Response:
        """Store the raw body as a blob; announce it when ``context_id`` is given."""
        expected = _query_id(request, "hash")
        context = _query_id(request, "context_id")
        writer = self._store().writer()
        async for piece in request.content.iter_chunked(CHUNK_SIZE):
            await asyncio.to_thread(writer.write, piece)
        meta = await asyncio.to_thread(writer.close, expected)
        network = request.app.get(BLOB_NETWORK)
        if context is not None and network is not None and await self._member_of(context):
            await network.announce(meta.blob_id, context, meta.size)
        return ok({"blob_id": to_b58(meta.blob_id), "size": meta.size})

    async def _member_of(self, context: bytes) -> bool:
        """As upstream, announce only to a context this node takes part in (else log it)."""
        try:
            await self._worker.call(lambda core: core.context(context))
        except ContextNotFound:
            log.warning("blob upload: not announced to %s, a context this node is not in",
                        to_b58(context))  # fmt: skip
            return False
        return True

    async def list(self, _: web.Request) -> web.Response:
        """Every blob on this node."""
        metas = await asyncio.to_thread(self._store().all)
        return ok({"blobs": [{"blob_id": to_b58(m.blob_id), "size": m.size} for m in metas]})

    async def download(self, request: web.Request) -> web.StreamResponse:
        """Stream the blob's bytes; with ``context_id``, fetch it from peers if need be."""
        blob_id, store = _path_id(request), self._store()
        context = _query_id(request, "context_id")
        network = request.app.get(BLOB_NETWORK)
        if not store.has(blob_id) and context is not None and network is not None:
            await network.fetch(blob_id, context)
        meta = store.meta(blob_id)
        if meta is None:
            raise BlobNotFound(f"blob {to_b58(blob_id)} not found locally or in network")
        chunks = store.iter_bytes(meta)
        first = await asyncio.to_thread(next, chunks, b"")
        response = web.StreamResponse(headers=_headers(meta, first))
        await response.prepare(request)
        piece: bytes | None = first
        while piece:
            await response.write(piece)
            piece = await asyncio.to_thread(next, chunks, None)
        await response.write_eof()
        return response

    async def info(self, request: web.Request) -> web.Response:
        """The download's headers, without the bytes."""
        blob_id, store = _path_id(request), self._store()
        meta = store.meta(blob_id)
        if meta is None:
            raise BlobNotFound(f"blob {to_b58(blob_id)} not found")
        head = store.chunk(meta.links[0])[:16] if meta.links else b""
        return web.Response(headers=_headers(meta, head))

    async def delete(self, request: web.Request) -> web.Response:
        """Remove the blob from this node (upstream answers without a ``data`` wrapper)."""
        blob_id = _path_id(request)
        if not await asyncio.to_thread(self._store().delete, blob_id):
            raise BlobNotFound(f"blob {to_b58(blob_id)} not found")
        return web.json_response({"blob_id": to_b58(blob_id), "deleted": True})


def _headers(meta: BlobMeta, head: bytes) -> dict[str, str]:
    kind, digest = mime_type(head), meta.hash.hex()
    return {
        "Content-Length": str(meta.size),
        "Content-Type": kind,
        "ETag": f'"{digest}"',
        "Cache-Control": "private, no-cache",
        "X-Blob-ID": to_b58(meta.blob_id),
        "X-Blob-Hash": digest,
        "X-Blob-MIME-Type": kind,
        "Access-Control-Expose-Headers": "X-Blob-ID, X-Blob-Hash, X-Blob-MIME-Type, ETag",
    }


def _path_id(request: web.Request) -> bytes:
    return _id(request.match_info["id"], "blob id")


def _query_id(request: web.Request, name: str) -> bytes | None:
    text = request.query.get(name)
    return None if text is None else _id(text, name)


def _id(text: str, what: str) -> bytes:
    raw = from_b58(text, what)
    if len(raw) != 32:
        raise ParseError(f"{what} {text!r} is not a base58 32-byte id")
    return raw
