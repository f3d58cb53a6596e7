"""Provides the node's RocksDB store: typed column families and atomic write batches.

Layout (every key and value is raw bytes; ``ctx`` is a 32-byte context id)::

    apps       app_id                 -> AppRecord (Borsh)
    app_blobs  app_id                 -> the application's WASM bytes
    contexts   ctx                    -> ContextRecord (Borsh)
    state      ctx || key             -> value               (replicated app state)
    deltas     ctx || delta_id        -> CausalDelta wire bytes
    node       b"identity.ed25519"    -> 32-byte Ed25519 seed (node-private)
               b"identity.held/" || pk -> 32-byte seed of an identity created here
               b"clock.last"          -> u64 LE, last issued/observed time_now
    private    ctx || key             -> value               (private_storage_*, never replicated)
    applied    ctx || delta_id        -> b""                 (applied, body never held here:
                                                              history copied by a snapshot)

Everything one call changes goes into one ``StoreBatch`` written atomically, so a crash at
any moment leaves state, deltas, heads and clock consistent.

A write RocksDB refuses (a full disk) leaves it read-only until reopened: reads go on, each
later write is refused with ``StoreUnavailable`` while the disk stays short of space, and
the first batch after space is back reopens the database and goes through.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from rocksdict import BlockBasedOptions, Cache, Checkpoint, ColumnFamily, Options, Rdict, WriteBatch

from calimero_devnet.errors import StoreError, StoreUnavailable
from calimero_devnet.node.state.records import (
    AppRecord,
    ContextRecord,
    decode_app,
    decode_context,
)
from calimero_devnet.node.state.store_batch import (
    GROUP_PREFIX,
    HELD_PREFIX,
    KEY_CLOCK,
    KEY_IDENTITY,
    StoreBatch,
    ctx_prefix,
)
from calimero_devnet.node.state.store_views import ContextState

__all__ = ["NodeStore", "StoreBatch"]

CF_NAMES = ("apps", "app_blobs", "contexts", "state", "deltas", "node", "private", "applied")

log = logging.getLogger(__name__)
DECODED_CONTEXTS = 256  # decoded context records kept (records are frozen)
MIN_FREE_TO_REOPEN = 8 << 20  # bytes: a new WAL, MANIFEST and OPTIONS file, with room to write


class NodeStore:
    """A node's RocksDB database; one process at a time may hold it."""

    def __init__(self, path: Path, db: Rdict) -> None:
        """Wrap an open database (use ``NodeStore.open``)."""
        self.path = path
        self._decoded: dict[bytes, tuple[bytes, ContextRecord]] = {}
        self._adopt(db)
        self._closed = False
        self.write_failure: str | None = None  # why the last write was refused, until reopened

    def _adopt(self, db: Rdict) -> None:
        self._db = db
        self._cfs = {name: db.get_column_family(name) for name in CF_NAMES}
        self._handles = {name: db.get_column_family_handle(name) for name in CF_NAMES}

    @classmethod
    def open(cls, path: Path) -> NodeStore:
        """Open (creating if needed) the store at ``path``, a directory readable only by us.

        Raises:
            StoreError: another process holds the store, or RocksDB refused to open it.
        """
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # the node's private key lives inside
        return cls(path, _open_db(path))

    def close(self) -> None:
        """Flush memtables and release the database (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._release(flush=self.write_failure is None)  # a refused DB cannot flush

    def _release(self, *, flush: bool) -> None:
        if flush:
            self._db.flush()
        # A refused DB fails to sync its log as its views close; it closes all the same.
        tolerate = contextlib.suppress(Exception) if not flush else contextlib.nullcontext()
        # Column-family views and handles keep the DB open (its LOCK held) while they live.
        with tolerate:
            for cf in self._cfs.values():
                cf.close()
        self._cfs.clear()
        self._handles.clear()
        with tolerate:
            self._db.close()

    def batch(self) -> StoreBatch:
        """Return an empty batch; apply it with ``write`` (after a refused write, first
        reopen the database if the disk has room again)."""
        if self.write_failure is not None:
            self._reopen_if_room()
        return StoreBatch()

    def write(self, batch: StoreBatch) -> None:
        """Apply ``batch`` atomically, or not at all.

        Raises:
            StoreUnavailable: RocksDB refused it (nothing of it is stored).
        """
        if self.write_failure is not None:  # still read-only: RocksDB would refuse it again
            free = shutil.disk_usage(self.path).free
            raise StoreUnavailable(_refusal(self.path, self.write_failure, free))
        try:
            self._db.write(_rocksdb_batch(batch, self._handles))
        except Exception as exc:  # rocksdict raises bare Exception for every failure
            self.write_failure = str(exc)
            log.warning("the store refused a write; it is read-only until space is freed: %s", exc)
            raise StoreUnavailable(_refusal(self.path, str(exc))) from None
        for ctx, (raw, record) in batch.contexts.items():
            self._remember(ctx, raw, record)  # the next commit's read decodes nothing

    def _reopen_if_room(self) -> None:
        """RocksDB stays read-only after a refused write until it is opened again: do so
        once the disk has room. Batches name column families, so those built meanwhile hold."""
        free = shutil.disk_usage(self.path).free
        if free < MIN_FREE_TO_REOPEN:
            return
        self._release(flush=False)
        self._adopt(_open_db(self.path))
        log.warning("the store is writable again (%d MiB free)", free >> 20)
        self.write_failure = None

    def checkpoint(self, dest: Path) -> None:
        """Write a RocksDB checkpoint of the whole store to ``dest`` (which must not exist):
        a consistent copy of every committed batch, its table files hard-linked.

        Raises:
            StoreError: RocksDB refused (``dest`` exists, or the disk is full).
        """
        try:
            Checkpoint(self._db).create_checkpoint(str(dest))
        except Exception as exc:  # rocksdict raises bare Exception for every failure
            raise StoreError(f"cannot checkpoint the node store into {dest}: {exc}") from exc

    def _get(self, cf: str, key: bytes) -> bytes | None:
        value = self._cfs[cf].get(key)
        return None if value is None else bytes(value)

    def _scan(self, cf: str, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        # from_key is required: rocksdict ignores set_iterate_lower_bound without it.
        for key, value in self._cfs[cf].items(from_key=prefix):
            raw = cast(bytes, key)
            if not raw.startswith(prefix):
                return
            yield raw[len(prefix) :], bytes(value)

    # node-private
    def identity_seed(self) -> bytes | None:
        """The node's stored Ed25519 seed, or None before the first start."""
        return self._get("node", KEY_IDENTITY)

    def held_identity_seed(self, public_key: bytes) -> bytes | None:
        """The seed of an identity created on this node, or None if it holds no such key."""
        return self._get("node", HELD_PREFIX + public_key)

    def held_identities(self) -> list[bytes]:
        """The public keys of every identity created on this node, ascending."""
        return [key for key, _ in self._scan("node", HELD_PREFIX)]

    def groups(self) -> list[tuple[bytes, bytes]]:
        """Every (group id, record) this node keeps, namespaces and their groups alike."""
        return list(self._scan("node", GROUP_PREFIX))

    def clock_last(self) -> int:
        """The last time_now value persisted, or 0."""
        raw = self._get("node", KEY_CLOCK)
        return 0 if raw is None else int.from_bytes(raw, "little")

    # applications
    def app(self, app_id: bytes) -> AppRecord | None:
        """The application record, or None if not installed."""
        raw = self._get("apps", app_id)
        return None if raw is None else decode_app(raw)

    def apps(self) -> list[AppRecord]:
        """Every installed application, by id."""
        return [decode_app(raw) for _, raw in self._scan("apps", b"")]

    def app_blob(self, app_id: bytes) -> bytes | None:
        """The application's WASM bytes, or None."""
        return self._get("app_blobs", app_id)

    # contexts
    def context(self, ctx: bytes) -> ContextRecord | None:
        """The context record, or None if this node has no such context."""
        raw = self._get("contexts", ctx)
        if raw is None:
            return None
        # Read on every commit and every replication job: decode each stored version once.
        # Keyed on the exact bytes, so a changed record is always decoded afresh.
        known = self._decoded.get(ctx)
        if known is not None and known[0] == raw:
            return known[1]
        record = decode_context(raw)
        self._remember(ctx, raw, record)
        return record

    def _remember(self, ctx: bytes, raw: bytes, record: ContextRecord) -> None:
        if len(self._decoded) >= DECODED_CONTEXTS:
            self._decoded.clear()
        self._decoded[ctx] = (raw, record)

    def contexts(self) -> list[ContextRecord]:
        """Every context of this node, by id."""
        return [decode_context(raw) for _, raw in self._scan("contexts", b"")]

    # replicated state
    def state_get(self, ctx: bytes, key: bytes) -> bytes | None:
        """One value of a context's state, or None."""
        return self._get("state", ctx_prefix(ctx) + key)

    def state_items(self, ctx: bytes, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) of a context's state under ``prefix``, in key order.

        Keys are whole (prefix included); the default prefix gives a snapshot's content.
        """
        items = self._scan("state", ctx_prefix(ctx) + prefix)
        return items if not prefix else ((prefix + key, value) for key, value in items)

    def state_reader(self, ctx: bytes) -> ContextState:
        """A read-only view of a context's committed state (the runtime's StateReader)."""
        return ContextState(self, ctx)

    # deltas
    def delta(self, ctx: bytes, delta_id: bytes) -> bytes | None:
        """A stored delta's wire bytes, or None."""
        return self._get("deltas", ctx_prefix(ctx) + delta_id)

    def deltas(self, ctx: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Every (delta id, wire bytes) stored for a context, by id."""
        return self._scan("deltas", ctx_prefix(ctx))

    def applied_markers(self, ctx: bytes) -> Iterator[bytes]:
        """Ids of applied deltas whose bodies this node never held (a snapshot's history)."""
        return (delta_id for delta_id, _ in self._scan("applied", ctx_prefix(ctx)))

    def has_applied(self, ctx: bytes, delta_id: bytes) -> bool:
        """True if the delta is part of the context's state: stored, or marked applied."""
        key = ctx_prefix(ctx) + delta_id
        return self._get("deltas", key) is not None or self._get("applied", key) is not None

    def applied_ids(self, ctx: bytes) -> list[bytes]:
        """Every applied delta id of a context: stored bodies and snapshot markers."""
        return [delta_id for delta_id, _ in self.deltas(ctx)] + list(self.applied_markers(ctx))

    # node-private app storage
    def private_get(self, ctx: bytes, key: bytes) -> bytes | None:
        """One value of a context's node-private storage, or None."""
        return self._get("private", ctx_prefix(ctx) + key)


def _rocksdb_batch(batch: StoreBatch, handles: dict[str, ColumnFamily]) -> WriteBatch:
    rocks = WriteBatch(raw_mode=True)
    put, delete = rocks.put, rocks.delete
    for cf, key, value, end in batch:
        if end is not None:
            rocks.delete_range(key, end, handles[cf])
        elif value is None:
            delete(key, handles[cf])
        else:
            put(key, value, handles[cf])
    return rocks


# A devnet node holds little data: RocksDB's defaults (a 64 MiB memtable and a block cache
# per column family) would let each of the eight grow to tens of MiB under load. Smaller
# memtables flush sooner; durability is the WAL's and does not change.
WRITE_BUFFER_BYTES = 4 << 20  # per column family
ALL_WRITE_BUFFERS_BYTES = 16 << 20  # every column family's memtables together
BLOCK_CACHE_BYTES = 8 << 20  # one cache shared by the column families


def _open_db(path: Path) -> Rdict:
    cache = Cache(BLOCK_CACHE_BYTES)
    options = _db_options(cache)
    options.create_if_missing(True)
    options.create_missing_column_families(True)
    options.set_db_write_buffer_size(ALL_WRITE_BUFFERS_BYTES)
    families = {name: _db_options(cache) for name in CF_NAMES}
    try:
        return Rdict(str(path), options=options, column_families=families)
    except Exception as exc:  # rocksdict raises bare Exception for every failure
        if "lock" in str(exc).lower():
            raise StoreError(
                f"node home {path} is in use by another process (RocksDB lock held): "
                "stop that node first, or give this one another home"
            ) from exc
        raise StoreError(f"cannot open the node store at {path}: {exc}") from exc


def _db_options(cache: Cache) -> Options:
    """Options of one column family: small memtables, ``cache`` for blocks."""
    options = Options(raw_mode=True)
    options.set_write_buffer_size(WRITE_BUFFER_BYTES)
    table = BlockBasedOptions()
    table.set_block_cache(cache)
    options.set_block_based_table_factory(table)
    return options


def _refusal(path: Path, reason: str, free: int | None = None) -> str:
    full = "no space left" in reason.lower()
    what = "its disk is full" if full else f"RocksDB refused it ({reason})"
    room = "" if free is None else f"; {free >> 20} MiB free, {MIN_FREE_TO_REOPEN >> 20} needed"
    return (
        f"the node store at {path} cannot take writes: {what}{room}. Nothing of this call was "
        "stored; reads still work, and writes resume by themselves once space is freed"
    )
