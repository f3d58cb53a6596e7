"""Provides ``NodeBlobHost``: the node's side of the blob imports (``runtime.std_blobs``).

Writes and local reads go to the ``BlobStore``; a blob the node lacks is fetched from a
peer that announced it, through the ``BlobNetwork`` (when the node replicates), while the
call waits; an announcement goes out over the same network.
"""

from __future__ import annotations

from typing import Protocol

from calimero_devnet.node.blobs.store import BlobReader, BlobStore, BlobWriter


class BlobFetcher(Protocol):
    """The network side, as the core thread sees it (``blobs.network.BlobNetwork``)."""

    def fetch_blocking(self, blob_id: bytes, context: bytes | None) -> bool:
        """Fetch a blob from a peer that announced it; True once it is stored here."""
        ...

    def announce_soon(self, blob_id: bytes, context: bytes, size: int) -> None:
        """Broadcast that this node has the blob, to ``context``'s other nodes."""
        ...


class _Sink:
    def __init__(self, writer: BlobWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> int:
        return self._writer.write(data)

    def close(self) -> bytes:
        return self._writer.close().blob_id


class NodeBlobHost:
    """Blob store plus (optional) network, in the shape the blob imports want."""

    def __init__(self, store: BlobStore, network: BlobFetcher | None = None) -> None:
        """Serve calls from ``store``; without ``network`` nothing is fetched or announced."""
        self.store = store
        self.network = network

    def create(self) -> _Sink:
        """Start a new blob."""
        return _Sink(self.store.writer())

    def open(self, blob_id: bytes, context: bytes) -> BlobReader | None:
        """Read a blob, fetching it first from a peer of ``context`` if it is not here."""
        reader = self.store.open(blob_id)
        network = self.network
        if reader is None and network is not None and network.fetch_blocking(blob_id, context):
            reader = self.store.open(blob_id)
        return reader

    def announce(self, blob_id: bytes, context: bytes) -> bool:
        """Announce a blob this node has to ``context``; False if it is not here."""
        meta = self.store.meta(blob_id)
        if meta is None:
            return False
        if self.network is not None:
            self.network.announce_soon(blob_id, context, meta.size)
        return True
