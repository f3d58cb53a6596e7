"""Provides ``StoreBatch``: the writes of one atomic ``NodeStore.write``, in order.

A batch lists its operations; the store turns them into a RocksDB ``WriteBatch`` when it
writes them, so a run of commits can also be staged batch after batch
(``state/staged.py``) and written as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from calimero_devnet.errors import StoreError
from calimero_devnet.node.collections.kv import prefix_end
from calimero_devnet.node.state.records import AppRecord, ContextRecord, encode_context

KEY_IDENTITY = b"identity.ed25519"
KEY_CLOCK = b"clock.last"
HELD_PREFIX = b"identity.held/"
GROUP_PREFIX = b"group/"
CTX_LEN = 32


class Op(NamedTuple):
    """One write: ``value`` under ``key`` (None removes it), or with ``end`` a range removal."""

    cf: str
    key: bytes
    value: bytes | None
    end: bytes | None = None


class StoreBatch:
    """Writes collected for one atomic ``NodeStore.write``."""

    def __init__(self) -> None:
        """Start an empty batch."""
        self.ops: list[Op] = []
        # Context records put, with their bytes: the store keeps them decoded once written.
        self.contexts: dict[bytes, tuple[bytes, ContextRecord]] = {}

    def _put(self, cf: str, key: bytes, value: bytes | None) -> None:
        self.ops.append(Op(cf, key, value))

    def put_identity_seed(self, seed: bytes) -> None:
        """Record the node's private Ed25519 seed."""
        self._put("node", KEY_IDENTITY, seed)

    def put_held_identity(self, public_key: bytes, seed: bytes) -> None:
        """Record the private seed of an identity created on this node (node-private)."""
        self._put("node", HELD_PREFIX + public_key, seed)

    def put_group(self, group_id: bytes, record: bytes) -> None:
        """Record a namespace or group of this node (node-private, JSON)."""
        self._put("node", GROUP_PREFIX + group_id, record)

    def put_clock(self, last: int) -> None:
        """Record the clock's last issued or observed value."""
        self._put("node", KEY_CLOCK, last.to_bytes(8, "little"))

    def put_app(self, record: AppRecord, wasm: bytes) -> None:
        """Record an installed application and its WASM bytes."""
        self._put("apps", record.id, record.to_borsh())
        self._put("app_blobs", record.id, wasm)

    def put_context(self, record: ContextRecord) -> None:
        """Record (create or replace) a context record."""
        raw = encode_context(record)
        self._put("contexts", record.id, raw)
        self.contexts[record.id] = (raw, record)

    def put_state(self, ctx: bytes, key: bytes, value: bytes | None) -> None:
        """Set (or, with None, remove) one key of a context's replicated state."""
        self._put("state", ctx_prefix(ctx) + key, value)

    def put_delta(self, ctx: bytes, delta_id: bytes, wire: bytes) -> None:
        """Record a delta of a context by id."""
        self._put("deltas", ctx_prefix(ctx) + delta_id, wire)

    def put_private(self, ctx: bytes, key: bytes, value: bytes | None) -> None:
        """Set (or remove) one key of a context's node-private storage."""
        self._put("private", ctx_prefix(ctx) + key, value)

    def put_applied_marker(self, ctx: bytes, delta_id: bytes) -> None:
        """Record that a delta is part of the state although its body is not stored here."""
        self._put("applied", ctx_prefix(ctx) + delta_id, b"")

    def delete_context(self, ctx: bytes) -> None:
        """Remove a context: its record, state, deltas, applied markers and private data."""
        self._put("contexts", ctx, None)
        self.contexts.pop(ctx, None)
        end = prefix_end(ctx_prefix(ctx))
        if end is None:  # an all-0xff id: no key follows its range
            raise StoreError(f"cannot delete context {ctx.hex()}: no key bounds its range")
        for cf in ("state", "deltas", "private", "applied"):
            self.ops.append(Op(cf, ctx, None, end))

    def extend(self, other: StoreBatch) -> None:
        """Append ``other``'s writes after these (written together, ``other``'s last).

        A record ``other`` removes may stay in ``contexts``: the store keeps records keyed
        on their bytes, so one no longer stored is never read back."""
        self.ops.extend(other.ops)
        self.contexts.update(other.contexts)

    def __len__(self) -> int:
        """Number of operations collected."""
        return len(self.ops)

    def __iter__(self) -> Iterator[Op]:
        """The operations, in order."""
        return iter(self.ops)


def ctx_prefix(ctx: bytes) -> bytes:
    """The key prefix of a context's rows: its 32-byte id (anything else is refused)."""
    if len(ctx) != CTX_LEN:
        raise ValueError(f"a context id is {CTX_LEN} bytes, got {len(ctx)}")
    return ctx
