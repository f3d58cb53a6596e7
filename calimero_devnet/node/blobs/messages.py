"""Provides the bus messages of blob replication (SYNC.md "Blobs" in docs/host-abi.md).

``BlobAnnouncement`` goes to a context's other nodes (topic ``ctx/<ctx>/blobs``): the sender
has the blob. A node that needs it sends ``BlobRequest`` for one chunk to an announcer and
gets ``BlobResponse`` back: the chunk's bytes plus the blob's chunk ids, size and hash, so
the asker checks each chunk against its id and the ids against the blob id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BlobAnnouncement:
    """``sender`` has blob ``blob_id`` (``size`` bytes) for context ``context``."""

    sender: str
    context: bytes
    blob_id: bytes
    size: int


@dataclass(frozen=True, slots=True)
class BlobRequest:
    """Send chunk ``index`` of blob ``blob_id`` to ``reply_to``."""

    sender: str
    context: bytes
    blob_id: bytes
    index: int
    reply_to: str


@dataclass(frozen=True, slots=True)
class BlobResponse:
    """Chunk ``index`` of ``blob_id`` and the blob's layout; ``found`` False: not here."""

    sender: str
    context: bytes
    blob_id: bytes
    index: int
    found: bool
    size: int
    hash: bytes
    links: tuple[bytes, ...]
    data: bytes
