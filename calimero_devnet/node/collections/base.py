"""Provides the core of a call's collections session: stamping, recording, deltas, root."""

from __future__ import annotations

from dataclasses import dataclass

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.kv import KeyValueStore
from calimero_devnet.node.collections.model import (
    CollectionKind,
    DeltaRejectedError,
    Hlc,
    HlcSource,
    Stamper,
    check_len,
    collection_id,
)
from calimero_devnet.node.collections.state import CollectionState


@dataclass(frozen=True, slots=True)
class Applied:
    """What merging a peer's delta did: how many actions, and the largest HLC they carry.

    The node advances its clock past ``max_stamp`` before its next call.
    """

    actions: int
    max_stamp: Hlc | None


def merge_delta(state: CollectionState, data: bytes, author: bytes | None = None) -> Applied:
    """Merge a peer's encoded ``host-actions`` into ``state``; all of it or nothing.

    ``author`` is the executor id that signed the delta: user-storage writes for anyone
    else are refused. Raises ``DeltaRejectedError`` before writing anything if the batch does
    not decode, writes someone else's user storage, or contradicts a collection's kind.
    """
    actions = act.decode_actions(data)
    if author is not None:
        for action in actions:
            if isinstance(action, act.UserSet) and action.user != author:
                raise DeltaRejectedError(
                    f"host-actions delta from {author.hex()} writes the user storage of "
                    f"{action.user.hex()}; only that executor may write its own slot"
                )
    state.check(actions)
    for action in actions:
        state.apply(action)
    return Applied(actions=len(actions), max_stamp=act.max_stamp(actions))


class SessionBase:
    """One call's view of the host collections (see ``CollectionsSession``)."""

    def __init__(self, store: KeyValueStore, executor_id: bytes, hlc_source: HlcSource) -> None:
        self.state = CollectionState(store)
        self.executor_id = check_len("CollectionsSession", "executor id", executor_id)
        self._stamper = Stamper(hlc_source)
        self._actions: list[act.AnyAction] = []
        self._created = 0

    @property
    def actions(self) -> tuple[act.AnyAction, ...]:
        """Every action this call produced so far, in order."""
        return tuple(self._actions)

    @property
    def last_stamp(self) -> Hlc | None:
        """The largest HLC this call handed out (the node's clock must stay above it)."""
        return self._stamper.last

    def call_delta(self) -> bytes | None:
        """Return the ``host-actions`` payload of this call, or None if nothing changed.

        It holds every action of the call, flushed or not: the store overlay already
        carries their writes, and persisting writes without replicating them would diverge.
        """
        return act.encode_actions(self._actions) if self._actions else None

    def flush_delta(self) -> bytes | None:
        """Serve the ``flush_delta`` import: the call's delta so far, or None if none."""
        return self.call_delta()

    def apply_storage_delta(self, data: bytes, author: bytes | None = None) -> Applied:
        """Merge a peer's encoded actions (not added to this call's delta)."""
        applied = merge_delta(self.state, data, author)
        if applied.max_stamp is not None:
            self._stamper.observe(applied.max_stamp)
        return applied

    def persist_root_state(self, doc: bytes, created_at: int, updated_at: int) -> None:
        """Replace the root document (LWW by HLC) with the app's timestamps."""
        stored = self.state.root()
        stamp = self._stamp(stored.hlc if stored else None)
        self._record(act.RootSet(hlc=stamp, doc=doc, created_at=created_at, updated_at=updated_at))

    def read_root_state(self) -> bytes | None:
        """Return the root document, or None if none was persisted."""
        stored = self.state.root()
        return stored.doc if stored else None

    def _stamp(self, after: tuple[int, int] | None = None) -> Hlc:
        """Return a fresh HLC that also beats ``after`` (the slot's current stamp)."""
        return self._stamper.next(after)

    def _record(self, action: act.AnyAction) -> None:
        """Apply ``action`` locally (the same join peers use) and add it to the delta."""
        self.state.apply(action)
        self._actions.append(action)

    def _new(self, kind: CollectionKind) -> bytes:
        """Create a collection of ``kind`` and return its id."""
        cid = collection_id(self.executor_id, self._stamp(), self._created)
        self._created += 1
        self._record(act.Create(id=cid, kind=kind))
        return cid

    def _open(self, method: str, cid: bytes, kind: CollectionKind) -> bytes:
        """Validate ``cid`` for ``method``: 32 bytes, known here, of ``kind``."""
        check_len(method, "collection id", cid)
        self.state.expect(method, cid, kind)
        return cid
