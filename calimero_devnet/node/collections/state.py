"""Provides the state of a context's host collections over a key→value store: apply + reads.

Local mutations and peers' actions take the same path (:meth:`CollectionState.apply`), so
a node's state is always the join of every action it has seen, its own included.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections import crdt
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.kv import KeyValueStore
from calimero_devnet.node.collections.model import (
    CollectionError,
    CollectionKind,
    DeltaRejectedError,
    frozen_key,
)
from calimero_devnet.node.collections.payloads import decode_u64, encode_u64

Stamp = tuple[int, int]

K = CollectionKind
KIND_OF: dict[type, CollectionKind] = {
    act.MapSet: K.MAP,
    act.SetAdd: K.SET,
    act.SetRemove: K.SET,
    act.VectorPush: K.VECTOR,
    act.VectorPop: K.VECTOR,
    act.LwwSet: K.LWW,
    act.CounterSet: K.COUNTER,
    act.UserSet: K.USER_STORAGE,
    act.FrozenAdd: K.FROZEN_STORAGE,
}


def implied_kind(action: act.AnyAction) -> tuple[bytes, CollectionKind] | None:
    """Return the collection an action touches and the kind it requires (None: the root)."""
    if isinstance(action, act.Create):
        return action.id, CollectionKind(action.kind)
    if isinstance(action, act.RootSet):
        return None
    return action.id, KIND_OF[type(action)]


class CollectionState:
    """Typed access to the collections stored in ``kv`` (usually a call's Overlay)."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv
        self._kinds: dict[bytes, CollectionKind] = {}
        self._vectors: dict[bytes, list[tuple[bytes, bytes]]] = {}

    # -- headers -------------------------------------------------------------------------

    def kind(self, cid: bytes) -> CollectionKind | None:
        """Return the kind of collection ``cid``, or None if this node has never seen it."""
        if cid not in self._kinds:
            raw = self.kv.get(lay.header_key(cid))
            if raw is None:
                return None
            self._kinds[cid] = CollectionKind(raw[0])
        return self._kinds[cid]

    def expect(self, method: str, cid: bytes, kind: CollectionKind) -> None:
        """Raise unless ``cid`` is a known collection of ``kind`` (named after ``method``)."""
        found = self.kind(cid)
        if found is None:
            raise CollectionError(
                f"{method}: no collection {cid.hex()} in this context; ids come from the "
                f"*_new imports (js_crdt_{kind.name.lower()}_new) or from replicated state"
            )
        if found is not kind:
            raise CollectionError(
                f"{method}: collection {cid.hex()} is a {found.label}, not a {kind.label}"
            )

    def check(self, actions: list[act.AnyAction]) -> None:
        """Reject a batch whose actions disagree with each other or the store on a kind."""
        seen: dict[bytes, CollectionKind] = {}
        for action in actions:
            target = implied_kind(action)
            if target is None:
                continue
            cid, kind = target
            known = seen[cid] if cid in seen else self.kind(cid)  # MAP is 0: no `or`
            if known is not None and known is not kind:
                raise DeltaRejectedError(
                    f"host-actions delta uses collection {cid.hex()} as a {kind.label}, "
                    f"but it is a {known.label}"
                )
            seen[cid] = kind

    # -- apply ---------------------------------------------------------------------------

    def apply(self, action: act.AnyAction) -> None:
        """Join one action into the store (call :meth:`check` first for peers' batches)."""
        target = implied_kind(action)
        if target is not None:
            self._ensure(*target)
        self._join(action)

    def _ensure(self, cid: bytes, kind: CollectionKind) -> None:
        known = self.kind(cid)
        if known is None:
            self.kv.put(lay.header_key(cid), bytes([kind]))
            self._kinds[cid] = kind
        elif known is not kind:
            raise DeltaRejectedError(
                f"collection {cid.hex()} is a {known.label}, not a {kind.label}"
            )

    def _join(self, action: act.AnyAction) -> None:
        match action:
            case act.MapSet():
                self._lww_slot(action.id, action.key, action.hlc, action.value)
            case act.LwwSet():
                self._lww_slot(action.id, b"", action.hlc, action.value)
            case act.UserSet():
                self._lww_slot(action.id, action.user, action.hlc, action.value)
            case act.SetAdd():
                self._set_elem(action.id, action.elem, action.tag, action.retire)
            case act.SetRemove():
                self._set_elem(action.id, action.elem, None, action.tags)
            case act.VectorPush():
                self._vector_elem(action.id, action.elem, action.value)
            case act.VectorPop():
                self._vector_elem(action.id, action.elem, None)
            case act.CounterSet():
                self._counter(action.id, action.executor, action.count)
            case act.FrozenAdd():
                self._frozen(action.id, action.value)
            case act.RootSet():
                self._root(action.hlc, action.doc, action.created_at, action.updated_at)
            case act.Create():
                pass  # the header was written by _ensure

    def _lww_slot(self, cid: bytes, sub: bytes, hlc: Stamp, value: bytes | None) -> None:
        merged = crdt.lww_join(self.lww(cid, sub), lay.LwwRecord(hlc=hlc, value=value))
        if merged is not None:
            self.kv.put(lay.entry_key(cid, sub), lay.LWW.encode(merged))

    def _set_elem(self, cid: bytes, elem: bytes, add: Stamp | None, retire: list[Stamp]) -> None:
        merged = crdt.set_join(self.set_record(cid, elem), add, retire)
        if merged is not None:
            self.kv.put(lay.entry_key(cid, elem), lay.SET.encode(merged))

    def _vector_elem(self, cid: bytes, elem: Stamp, value: bytes | None) -> None:
        key = lay.entry_key(cid, lay.stamp_sub(elem))
        raw = self.kv.get(key)
        stored = None if raw is None else lay.VECTOR.decode(raw)
        merged = crdt.vector_join(stored, lay.VectorRecord(value=value))
        if merged is not None:
            self.kv.put(key, lay.VECTOR.encode(merged))
            self._update_vector_cache(cid, lay.stamp_sub(elem), merged.value)

    def _update_vector_cache(self, cid: bytes, sub: bytes, value: bytes | None) -> None:
        """Keep a cached element list in step (pushes would otherwise rescan: O(n²))."""
        items = self._vectors.get(cid)
        if items is None:
            return
        index = bisect.bisect_left(items, sub, key=lambda item: item[0])
        if index < len(items) and items[index][0] == sub:
            del items[index]
        if value is not None:
            items.insert(index, (sub, value))

    def _counter(self, cid: bytes, executor: bytes, total: int) -> None:
        merged = crdt.counter_join(self.count(cid, executor), total)
        if merged is not None:
            self.kv.put(lay.entry_key(cid, executor), encode_u64(merged))

    def _frozen(self, cid: bytes, value: bytes) -> None:
        key = lay.entry_key(cid, frozen_key(value))
        if self.kv.get(key) is None:
            self.kv.put(key, value)

    def _root(self, hlc: Stamp, doc: bytes, created_at: int, updated_at: int) -> None:
        incoming = lay.RootRecord(hlc=hlc, doc=doc, created_at=created_at, updated_at=updated_at)
        merged = crdt.root_join(self.root(), incoming)
        if merged is not None:
            self.kv.put(lay.ROOT_KEY, lay.ROOT.encode(merged))

    # -- reads ---------------------------------------------------------------------------

    def lww(self, cid: bytes, sub: bytes) -> lay.LwwRecord | None:
        """Return the LWW slot ``sub`` of ``cid`` (map key, user id, or b"" for a register)."""
        raw = self.kv.get(lay.entry_key(cid, sub))
        return None if raw is None else lay.LWW.decode(raw)

    def set_record(self, cid: bytes, elem: bytes) -> lay.SetRecord | None:
        """Return the OR-set record of ``elem`` in ``cid``."""
        raw = self.kv.get(lay.entry_key(cid, elem))
        return None if raw is None else lay.SET.decode(raw)

    def lww_items(self, cid: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield the visible ``(sub, value)`` slots of a map or user storage, in byte order."""
        for key, raw in self.kv.scan(lay.entries_prefix(cid)):
            value = lay.LWW.decode(raw).value
            if value is not None:
                yield lay.sub_of(key), value

    def set_items(self, cid: bytes) -> Iterator[tuple[bytes, lay.SetRecord]]:
        """Yield the visible elements of set ``cid`` with their records, in byte order."""
        for key, raw in self.kv.scan(lay.entries_prefix(cid)):
            record = lay.SET.decode(raw)
            if record.live:
                yield lay.sub_of(key), record

    def vector_items(self, cid: bytes) -> list[tuple[bytes, bytes]]:
        """Return the visible ``(stamp sub-key, value)`` elements of ``cid`` in order."""
        if cid not in self._vectors:
            visible = []
            for key, raw in self.kv.scan(lay.entries_prefix(cid)):
                value = lay.vector_value(raw)
                if value is not None:
                    visible.append((lay.sub_of(key), value))
            self._vectors[cid] = visible
        return self._vectors[cid]

    def count(self, cid: bytes, executor: bytes) -> int | None:
        """Return ``executor``'s total in counter ``cid`` (None if it never incremented)."""
        raw = self.kv.get(lay.entry_key(cid, executor))
        return None if raw is None else decode_u64(raw)

    def counts(self, cid: bytes) -> Iterator[tuple[bytes, int]]:
        """Yield every ``(executor, total)`` of counter ``cid``."""
        for key, raw in self.kv.scan(lay.entries_prefix(cid)):
            yield lay.sub_of(key), decode_u64(raw)

    def frozen(self, cid: bytes, digest: bytes) -> bytes | None:
        """Return the value stored under ``digest`` in frozen storage ``cid``."""
        return self.kv.get(lay.entry_key(cid, digest))

    def frozen_items(self, cid: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Yield every ``(sha256, value)`` of frozen storage ``cid`` in hash order."""
        for key, value in self.kv.scan(lay.entries_prefix(cid)):
            yield lay.sub_of(key), value

    def root(self) -> lay.RootRecord | None:
        """Return the root document record, if any."""
        raw = self.kv.get(lay.ROOT_KEY)
        return None if raw is None else lay.ROOT.decode(raw)
