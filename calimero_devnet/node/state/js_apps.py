"""Provides host collections in the node's call path: apps built by our TypeScript toolchain.

Every call gets a :class:`CallCollections`: a ``CollectionsSession`` (HOST-ABI §6) over an
``Overlay`` over the context's committed state, executing as this node (executor id = the
node's public key, stamps from the node clock's HLC). The runtime's collection imports find
the session in ``CallEnv.extensions["js_collections"]``; Rust apps never import them.

Commit rule for JS apps (they never call ``commit``; a mutating method ends with
``flush_delta``): a call that did not trap, did not return Err and produced at least one
action (a collection mutation or ``persist_root_state``) is persisted, ``flush_delta`` or
not, because its writes are already in the call's view and keeping writes without
replicating them would diverge. One WriteBatch holds the overlay writes, a ``host-actions``
delta whose payload is the encoded actions, the new heads, and root hash = the collections
digest, folded from just the records the call changed (:func:`fold_writes`, which also
stages the updated digest accumulator in that batch). A call without actions (a view)
makes no delta. A call that both calls ``commit`` and produces actions is refused as a
``FunctionCallError`` and persists nothing: a delta has one kind. Raw ``storage_write``
keys of a call that does not commit are dropped, as for Rust apps. Collection writes are
not counted against the runtime's per-call write limits; the payload is capped at
``Limits.max_artifact``.

A peer's ``host-actions`` delta is merged by the host (:func:`merge_host_actions`), never by
the app: all or nothing, refused with ``ParseError`` if it does not decode, writes another
member's user storage, contradicts a collection's kind, or carries a stamp later than the
delta's own HLC (the author stamps its delta after every action, so the sync layer's
far-future check on the HLC bounds every stamp inside). Its root is folded the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from calimero_devnet.errors import FunctionCallError, ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections.base import merge_delta
from calimero_devnet.node.collections.digest import fold_writes
from calimero_devnet.node.collections.hostabi import EXTENSION
from calimero_devnet.node.collections.kv import Overlay, ReadableStore
from calimero_devnet.node.collections.model import CollectionError, HlcSource
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.collections.state import CollectionState
from calimero_devnet.node.runtime.loader import SYNC_NEXT
from calimero_devnet.node.runtime.types import CallOutcome, Limits
from calimero_devnet.node.state.clock import NodeClock
from calimero_devnet.node.state.delta import CausalDelta, DeltaKind
from calimero_devnet.node.state.store import StoreBatch

log = logging.getLogger(__name__)

MAX_PAYLOAD = Limits().max_artifact


@dataclass(frozen=True, slots=True)
class Commit:
    """What a successful local call commits: its delta's kind and payload, the new root."""

    kind: DeltaKind
    payload: bytes
    root_hash: bytes


class CallCollections:
    """One call's host collections: the session the imports use, and its write overlay."""

    def __init__(self, state: ReadableStore, executor_id: bytes, hlc_source: HlcSource) -> None:
        """Open a session over ``state`` (the context's committed, prefix-scannable state)."""
        self.overlay = Overlay(state)
        self.session = CollectionsSession(self.overlay, executor_id, hlc_source)
        self.payload: bytes | None = None
        """The call's ``host-actions`` payload, set by :meth:`finish` (None: no actions)."""
        self.root_hash: bytes | None = None
        """The collections digest after the call, set by :meth:`finish` with the payload."""

    def extensions(self) -> dict[str, object]:
        """Return the ``CallEnv.extensions`` that hand the session to the imports."""
        return {EXTENSION: self.session}

    def finish(self, outcome: CallOutcome, clock: NodeClock, ctx: bytes, method: str) -> None:
        """Settle a call that returned: clock past its stamps, payload checked, root folded.

        Raises:
            FunctionCallError: the call both committed and changed collections, or its
                payload exceeds ``MAX_PAYLOAD``.
        """
        if self.session.last_stamp is not None:
            clock.observe(self.session.last_stamp.time)
        self.payload = self.session.call_delta()
        if self.payload is None:
            return
        where = f"{method} on context {to_b58(ctx)}"
        if outcome.committed:
            raise FunctionCallError(
                f"{where} called commit (a Rust-SDK artifact) and also changed host "
                "collections (js_crdt_*/persist_root_state): one call makes one delta of one "
                "kind, so nothing was stored; use either storage_* + commit or host collections"
            )
        if len(self.payload) > MAX_PAYLOAD:
            raise FunctionCallError(
                f"{where} produced a host-actions delta of {len(self.payload)} bytes, over the "
                f"{MAX_PAYLOAD}-byte limit, so nothing was stored: split the work across calls"
            )
        if method == SYNC_NEXT:  # replays never author deltas (HOST-ABI §5.7)
            log.warning("%s changed host collections: writes dropped (no delta here)", where)
            self.payload = None
            return
        self.root_hash = fold_writes(self.overlay)

    def stage(self, batch: StoreBatch, ctx: bytes) -> None:
        """Add the overlay's writes to ``batch`` if the call produced actions."""
        if self.payload is not None:
            for key, value in self.overlay.writes.items():
                batch.put_state(ctx, key, value)


def commit_of(outcome: CallOutcome, collections: CallCollections) -> Commit | None:
    """Return what a finished local call commits, or None (a view, or writes dropped)."""
    if outcome.committed and outcome.root_hash is not None:
        return Commit(DeltaKind.WASM_ARTIFACT, outcome.artifact or b"", outcome.root_hash)
    if collections.payload is None or collections.root_hash is None:
        return None
    return Commit(DeltaKind.HOST_ACTIONS, collections.payload, collections.root_hash)


@dataclass(frozen=True, slots=True)
class Merged:
    """A peer's ``host-actions`` delta merged over committed state, ready for one batch."""

    writes: dict[bytes, bytes | None]
    root_hash: bytes

    def stage(self, batch: StoreBatch, ctx: bytes) -> None:
        """Add the merge's writes to ``batch``."""
        for key, value in self.writes.items():
            batch.put_state(ctx, key, value)


def merge_host_actions(state: ReadableStore, delta: CausalDelta) -> Merged:
    """Merge ``delta``'s actions, as its author, over ``state`` (which stays untouched).

    Raises:
        ParseError: the payload is malformed or forged (see the module docstring).
    """
    overlay = Overlay(state)
    try:
        applied = merge_delta(CollectionState(overlay), delta.payload, author=delta.author)
    except CollectionError as exc:
        raise ParseError(f"{_where(delta)} is refused, nothing was written: {exc}") from exc
    if applied.max_stamp is not None and applied.max_stamp.time > delta.hlc.time:
        raise ParseError(
            f"{_where(delta)} is refused, nothing was written: an action is stamped "
            f"{applied.max_stamp.time}, after the delta's own HLC {delta.hlc.time}"
        )
    root_hash = fold_writes(overlay)  # before copying the writes: it adds the accumulator
    return Merged(dict(overlay.writes), root_hash)


def _where(delta: CausalDelta) -> str:
    """Which delta a refusal is about (built only for one: a heal merges thousands)."""
    return (
        f"host-actions delta {to_b58(delta.id)} of context {to_b58(delta.context_id)} "
        f"from {to_b58(delta.author)}"
    )
