"""Provides ``StagedStore``: a run of commits staged over the store and written as one batch.

Applying a catch-up's deltas one batch each costs a RocksDB write (and a record round
trip) per delta. Staged, each delta's batch is taken in by ``stage`` instead: the reads of
the next delta see it (state, private storage, deltas), and ``staged``, every batch taken
in, in order, is written once, atomically, by the caller (``commits.RemoteRun``). A delta
that fails stages nothing, as it would write nothing; nothing is durable before that one
write, so nothing may be acknowledged before it.
"""

from __future__ import annotations

from collections.abc import Iterator

from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.state.store_batch import CTX_LEN, StoreBatch
from calimero_devnet.node.state.store_views import ContextState

_APPLIED_CFS = ("deltas", "applied")
_KEPT_CFS = ("private", *_APPLIED_CFS)  # rows the reads below look at, besides state


class StagedStore:
    """The store as a run of staged commits sees it; writing ``staged`` makes it durable."""

    def __init__(self, store: NodeStore) -> None:
        """Stage over ``store``, which this never writes to."""
        self.store = store
        self.staged = StoreBatch()
        self._state: dict[bytes, Overlay] = {}  # context -> its staged state over the store
        self._rows: dict[tuple[str, bytes], bytes | None] = {}  # of the _KEPT_CFS

    # the commit writer's side
    def batch(self) -> StoreBatch:
        """An empty batch for one commit of the run (through the store: after a refused
        write, that is where the store reopens once the disk has room)."""
        return self.store.batch()

    def stage(self, batch: StoreBatch) -> None:
        """Take in one commit's batch: later reads see it; it joins ``staged``."""
        if any(op.end is not None or op.cf == "contexts" for op in batch):
            raise ValueError("a staged run neither removes ranges nor stages a context record")
        for cf, key, value, _ in batch:
            if cf == "state":
                overlay = self._state_of(key[:CTX_LEN])
                if value is None:
                    overlay.delete(key[CTX_LEN:])
                else:
                    overlay.put(key[CTX_LEN:], value)
            elif cf in _KEPT_CFS:
                self._rows[cf, key] = value
        self.staged.extend(batch)

    # reads, the staged writes first
    def context(self, ctx: bytes) -> ContextRecord | None:
        """The stored context record: a run stages none (``stage`` refuses it), and a call it
        replays reads only the members, which applying deltas never changes."""
        return self.store.context(ctx)

    def state_get(self, ctx: bytes, key: bytes) -> bytes | None:
        """One value of a context's state, or None."""
        return self._state_of(ctx).get(key)

    def state_items(self, ctx: bytes, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) of a context's state under ``prefix``, in key order."""
        return self._state_of(ctx).scan(prefix)

    def state_reader(self, ctx: bytes) -> ContextState:
        """A read-only view of a context's state as the run left it."""
        return ContextState(self, ctx)

    def private_get(self, ctx: bytes, key: bytes) -> bytes | None:
        """One value of a context's node-private storage, or None."""
        row = ("private", ctx + key)
        return self._rows[row] if row in self._rows else self.store.private_get(ctx, key)

    def has_applied(self, ctx: bytes, delta_id: bytes) -> bool:
        """True if the delta is part of the context's state, staged or stored (a run only
        adds deltas, never removes one)."""
        key = ctx + delta_id
        if any(self._rows.get((cf, key)) is not None for cf in _APPLIED_CFS):
            return True
        return self.store.has_applied(ctx, delta_id)

    def _state_of(self, ctx: bytes) -> Overlay:
        overlay = self._state.get(ctx)
        if overlay is None:
            overlay = self._state[ctx] = Overlay(self.store.state_reader(ctx))
        return overlay
