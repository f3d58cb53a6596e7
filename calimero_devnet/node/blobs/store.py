"""Provides ``BlobStore``: content-addressed blobs as files in the node's data dir.

Ids are upstream's (calimero-blobstore): the content is cut into 1 MiB chunks, a chunk's id
is ``sha256(chunk)``, the blob's id is ``sha256`` of its chunk ids laid end to end (the
empty blob: ``sha256(b"")``); ``hash`` is ``sha256`` of the whole content. Layout::

    blobs/chunks/<hex chunk id>   the chunk's bytes
    blobs/meta/<hex blob id>      JSON {"size", "hash", "links": [hex chunk ids]}
    blobs/tmp/                    files being written (emptied when the store opens)

Every file is written to ``tmp/`` and renamed into place, and a blob's meta file is written
last: a blob is visible (listed, readable) only once all its chunks are on disk, so a crash
or a refused upload never leaves a partial blob. Files, not RocksDB: the store is read
from the event loop (serving peers, HTTP downloads) while the core thread runs calls, and
large values would bloat the database's compactions (docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.errors import NodeError, ParseError, StoreError

CHUNK_SIZE = 1 << 20
MAX_BLOB_BYTES = 1 << 30  # upstream's upload cap (1 GiB)
ID_LEN = 32


class BlobTooLarge(NodeError):
    """A blob would exceed the store's size limit."""

    type_name = "BlobTooLarge"
    http_status = 413


class BlobNotFound(NodeError):
    """No blob with that id on this node (nor, when asked, on its peers)."""

    type_name = "BlobNotFound"
    http_status = 404


@dataclass(frozen=True, slots=True)
class BlobMeta:
    """What the store knows of one blob."""

    blob_id: bytes
    size: int
    hash: bytes
    links: tuple[bytes, ...]

    def to_json(self) -> bytes:
        """The meta file's bytes."""
        doc = {"size": self.size, "hash": self.hash.hex(), "links": [c.hex() for c in self.links]}
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, blob_id: bytes, raw: bytes) -> BlobMeta:
        """Read a meta file; raise ``StoreError`` if it is not one."""
        try:
            doc = json.loads(raw)
            return cls(blob_id, int(doc["size"]), bytes.fromhex(doc["hash"]),
                       tuple(bytes.fromhex(c) for c in doc["links"]))  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"blob {blob_id.hex()}: unreadable meta file ({exc})") from exc


def blob_id_of(links: list[bytes] | tuple[bytes, ...]) -> bytes:
    """The blob id of a blob made of chunks ``links`` (upstream's derivation)."""
    return hashlib.sha256(b"".join(links)).digest()


def check_blob_id(raw: bytes, what: str = "blob id") -> bytes:
    """Return ``raw`` if it is 32 bytes, else raise ``ParseError``."""
    if len(raw) != ID_LEN:
        raise ParseError(f"{what} must be {ID_LEN} bytes, got {len(raw)}")
    return raw


class BlobStore:
    """The blobs of one node (thread-safe: every write is a rename)."""

    def __init__(self, root: Path, *, max_bytes: int = MAX_BLOB_BYTES) -> None:
        """Open (creating) the store under ``root``; leftovers of unfinished writes go."""
        self.root, self.max_bytes = root, max_bytes
        self._chunks, self._meta, self._tmp = root / "chunks", root / "meta", root / "tmp"
        for folder in (self._chunks, self._meta, self._tmp):
            folder.mkdir(parents=True, exist_ok=True)
        for leftover in self._tmp.iterdir():
            leftover.unlink(missing_ok=True)
        self._delete_lock = threading.Lock()

    # reading
    def meta(self, blob_id: bytes) -> BlobMeta | None:
        """The blob's meta, or None if this node does not have it."""
        try:
            raw = (self._meta / blob_id.hex()).read_bytes()
        except FileNotFoundError:
            return None
        return BlobMeta.from_json(blob_id, raw)

    def has(self, blob_id: bytes) -> bool:
        """True if the whole blob is here."""
        return (self._meta / blob_id.hex()).is_file()

    def all(self) -> list[BlobMeta]:
        """Every blob here, by id."""
        found = []
        for path in sorted(self._meta.iterdir()):
            meta = self.meta(bytes.fromhex(path.name))
            if meta is not None:
                found.append(meta)
        return found

    def chunk(self, chunk_id: bytes) -> bytes:
        """One chunk's bytes; ``StoreError`` if it is missing (a damaged store)."""
        try:
            return (self._chunks / chunk_id.hex()).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"blob chunk {chunk_id.hex()} is missing from the store") from None

    def iter_bytes(self, meta: BlobMeta) -> Iterator[bytes]:
        """The blob's content, chunk by chunk."""
        for chunk_id in meta.links:
            yield self.chunk(chunk_id)

    def read_all(self, blob_id: bytes) -> bytes | None:
        """The whole content, or None if the blob is not here."""
        meta = self.meta(blob_id)
        return None if meta is None else b"".join(self.iter_bytes(meta))

    def open(self, blob_id: bytes) -> BlobReader | None:
        """A reader positioned at the start, or None if the blob is not here."""
        meta = self.meta(blob_id)
        return None if meta is None else BlobReader(self, meta)

    # writing
    def writer(self) -> BlobWriter:
        """A writer for a new blob (``write`` then ``close``)."""
        return BlobWriter(self)

    def put(self, data: bytes) -> BlobMeta:
        """Store ``data`` as a blob (idempotent) and return its meta."""
        writer = self.writer()
        writer.write(data)
        return writer.close()

    def put_chunk(self, data: bytes) -> bytes:
        """Store one chunk (idempotent) and return its id."""
        chunk_id = hashlib.sha256(data).digest()
        target = self._chunks / chunk_id.hex()
        if not target.exists():
            self._atomic_write(target, data)
        return chunk_id

    def install(self, meta: BlobMeta) -> None:
        """Make a blob whose chunks are all stored visible (its meta file goes in last)."""
        missing = [c.hex() for c in meta.links if not (self._chunks / c.hex()).exists()]
        if missing:
            raise StoreError(f"blob {meta.blob_id.hex()}: {len(missing)} chunk(s) not stored")
        self._atomic_write(self._meta / meta.blob_id.hex(), meta.to_json())

    def delete(self, blob_id: bytes) -> bool:
        """Remove a blob (and its chunks no other blob uses); False if it was not here."""
        with self._delete_lock:
            meta = self.meta(blob_id)
            if meta is None:
                return False
            (self._meta / blob_id.hex()).unlink(missing_ok=True)
            used = {c for other in self.all() for c in other.links}
            for chunk_id in set(meta.links) - used:
                (self._chunks / chunk_id.hex()).unlink(missing_ok=True)
            return True

    def _atomic_write(self, target: Path, data: bytes) -> None:
        tmp = self._tmp / f"{target.name}.{uuid.uuid4().hex}"
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)


class BlobWriter:
    """Builds one blob: full chunks go to disk as they fill, the meta on ``close``."""

    def __init__(self, store: BlobStore) -> None:
        """Start an empty blob in ``store``."""
        self._store = store
        self._pending = bytearray()
        self._links: list[bytes] = []
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        """Append ``data``; return its length. ``BlobTooLarge`` past the store's limit."""
        if self.size + len(data) > self._store.max_bytes:
            raise BlobTooLarge(f"blob would exceed the limit of {self._store.max_bytes} bytes")
        self.size += len(data)
        self._digest.update(data)
        self._pending += data
        while len(self._pending) >= CHUNK_SIZE:
            self._links.append(self._store.put_chunk(bytes(self._pending[:CHUNK_SIZE])))
            del self._pending[:CHUNK_SIZE]
        return len(data)

    def close(self, expected_hash: bytes | None = None) -> BlobMeta:
        """Store the last chunk and the meta; return the finished blob's meta.

        Raises:
            ParseError: the content's sha256 is not ``expected_hash`` (nothing is stored).
        """
        if self._pending:
            self._links.append(self._store.put_chunk(bytes(self._pending)))
            self._pending.clear()
        meta = BlobMeta(blob_id_of(self._links), self.size, self._digest.digest(),
                        tuple(self._links))  # fmt: skip
        if expected_hash is not None and meta.hash != expected_hash:
            raise ParseError(
                f"the uploaded content hashes to {meta.hash.hex()}, not the expected "
                f"{expected_hash.hex()}: nothing was stored"
            )
        self._store.install(meta)
        return meta


class BlobReader:
    """Reads one blob front to back, any number of bytes at a time."""

    def __init__(self, store: BlobStore, meta: BlobMeta) -> None:
        """Read ``meta``'s blob from ``store``, from its first byte."""
        self.meta, self._store = meta, store
        self._next = 0
        self._current = b""
        self.position = 0

    def read(self, limit: int) -> bytes:
        """Up to ``limit`` bytes; fewer only at the end of the blob (b"" there)."""
        out = bytearray()
        while len(out) < limit:
            if not self._current:
                if self._next >= len(self.meta.links):
                    break
                self._current = self._store.chunk(self.meta.links[self._next])
                self._next += 1
            take = self._current[: limit - len(out)]
            out += take
            self._current = self._current[len(take) :]
        self.position += len(out)
        return bytes(out)
