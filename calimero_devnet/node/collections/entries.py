"""Provides the session operations of the entry collections: map, set and vector."""

from __future__ import annotations

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.base import SessionBase
from calimero_devnet.node.collections.layout import sub_stamp
from calimero_devnet.node.collections.model import CollectionKind, check_len, child_id
from calimero_devnet.node.collections.payloads import encode_items, encode_pairs

MAP, SET, VECTOR = CollectionKind.MAP, CollectionKind.SET, CollectionKind.VECTOR
USER, FROZEN = CollectionKind.USER_STORAGE, CollectionKind.FROZEN_STORAGE


class EntryOps(SessionBase):
    """``js_crdt_map_*``, ``js_crdt_set_*`` and ``js_crdt_vector_*`` as Python methods."""

    # -- map: entries LWW per key, removals are tombstones --------------------------------

    def map_new(self) -> bytes:
        """Create a map; return its 32-byte id."""
        return self._new(MAP)

    def map_get(self, cid: bytes, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        record = self.state.lww(self._open("js_crdt_map_get", cid, MAP), key)
        return record.value if record else None

    def map_contains(self, cid: bytes, key: bytes) -> bool:
        """Return whether ``key`` has a value."""
        record = self.state.lww(self._open("js_crdt_map_contains", cid, MAP), key)
        return record is not None and record.value is not None

    def map_insert(self, cid: bytes, key: bytes, value: bytes) -> bytes | None:
        """Set ``key`` to ``value``; return the previous value, or None."""
        record = self.state.lww(self._open("js_crdt_map_insert", cid, MAP), key)
        stamp = self._stamp(record.hlc if record else None)
        self._record(act.MapSet(id=cid, key=key, hlc=stamp, value=value))
        return record.value if record else None

    def map_child(self, cid: bytes, key: bytes, kind: CollectionKind) -> bytes:
        """The id of the ``kind`` collection nested under ``key`` (created if new).

        The id follows from the map, the key and the kind (``model.child_id``); the caller
        stores it as the entry's value with ``map_insert``.
        """
        child = child_id(self._open("js_crdt_map_child", cid, MAP), key, kind)
        if self.state.kind(child) is None:
            self._record(act.Create(id=child, kind=kind))
        else:  # only a forged delta could have created that id with another kind
            self.state.expect("js_crdt_map_child", child, kind)
        return child

    def map_remove(self, cid: bytes, key: bytes) -> bytes | None:
        """Remove ``key`` (a tombstone); return the removed value, or None (no action)."""
        record = self.state.lww(self._open("js_crdt_map_remove", cid, MAP), key)
        if record is None or record.value is None:
            return None
        self._record(act.MapSet(id=cid, key=key, hlc=self._stamp(record.hlc), value=None))
        return record.value

    def map_entries(self, cid: bytes) -> list[tuple[bytes, bytes]]:
        """Return the visible ``(key, value)`` pairs in key-byte order.

        As on the upstream node, user and frozen storage are maps too: their pairs are
        ``(user id, value)`` and ``(hash, value)``.
        """
        method = "js_crdt_map_iter"
        check_len(method, "collection id", cid)
        kind = self.state.kind(cid)
        if kind is USER:
            return list(self.state.lww_items(cid))
        if kind is FROZEN:
            return list(self.state.frozen_items(cid))
        return list(self.state.lww_items(self._open(method, cid, MAP)))

    def map_iter(self, cid: bytes) -> bytes:
        """Return the ``js_crdt_map_iter`` payload (key-byte order)."""
        return encode_pairs(self.map_entries(cid))

    # -- set: add-wins OR-set -------------------------------------------------------------

    def set_new(self) -> bytes:
        """Create a set; return its 32-byte id."""
        return self._new(SET)

    def set_insert(self, cid: bytes, value: bytes) -> bool:
        """Add ``value`` with a fresh tag; return True if it was not present before."""
        record = self.state.set_record(self._open("js_crdt_set_insert", cid, SET), value)
        observed = record.live if record else []
        self._record(act.SetAdd(id=cid, elem=value, tag=self._stamp(), retire=list(observed)))
        return not observed

    def set_contains(self, cid: bytes, value: bytes) -> bool:
        """Return whether ``value`` is in the set."""
        record = self.state.set_record(self._open("js_crdt_set_contains", cid, SET), value)
        return bool(record and record.live)

    def set_remove(self, cid: bytes, value: bytes) -> bool:
        """Remove the observed tags of ``value``; return False (no action) if absent."""
        record = self.state.set_record(self._open("js_crdt_set_remove", cid, SET), value)
        if not (record and record.live):
            return False
        self._record(act.SetRemove(id=cid, elem=value, tags=list(record.live)))
        return True

    def set_values(self, cid: bytes) -> list[bytes]:
        """Return the elements in byte order."""
        return [elem for elem, _ in self.state.set_items(self._open("js_crdt_set_iter", cid, SET))]

    def set_len(self, cid: bytes) -> int:
        """Return the number of elements."""
        return sum(1 for _ in self.state.set_items(self._open("js_crdt_set_len", cid, SET)))

    def set_iter(self, cid: bytes) -> bytes:
        """Return the ``js_crdt_set_iter`` payload (byte order)."""
        return encode_items(self.set_values(cid))

    def set_clear(self, cid: bytes) -> bool:
        """Remove every observed element; return False (no action) if already empty."""
        present = list(self.state.set_items(self._open("js_crdt_set_clear", cid, SET)))
        for elem, record in present:
            self._record(act.SetRemove(id=cid, elem=elem, tags=list(record.live)))
        return bool(present)

    # -- vector: appends ordered by (HLC, node), pops are tombstones ----------------------

    def vector_new(self) -> bytes:
        """Create a vector; return its 32-byte id."""
        return self._new(VECTOR)

    def vector_push(self, cid: bytes, value: bytes) -> None:
        """Append ``value`` after every element this node has seen."""
        items = self.state.vector_items(self._open("js_crdt_vector_push", cid, VECTOR))
        stamp = self._stamp(sub_stamp(items[-1][0]) if items else None)
        self._record(act.VectorPush(id=cid, elem=stamp, value=value))

    def vector_len(self, cid: bytes) -> int:
        """Return the number of visible elements."""
        return len(self.state.vector_items(self._open("js_crdt_vector_len", cid, VECTOR)))

    def vector_get(self, cid: bytes, index: int) -> bytes | None:
        """Return the element at ``index``, or None past the end."""
        items = self.state.vector_items(self._open("js_crdt_vector_get", cid, VECTOR))
        return items[index][1] if 0 <= index < len(items) else None

    def vector_values(self, cid: bytes) -> list[bytes]:
        """Return the visible elements in order."""
        items = self.state.vector_items(self._open("js_crdt_vector_get", cid, VECTOR))
        return [value for _, value in items]

    def vector_pop(self, cid: bytes) -> bytes | None:
        """Remove the last visible element (a tombstone of its id); return it, or None."""
        items = self.state.vector_items(self._open("js_crdt_vector_pop", cid, VECTOR))
        if not items:
            return None
        sub, value = items[-1]
        self._record(act.VectorPop(id=cid, elem=sub_stamp(sub)))
        return value
