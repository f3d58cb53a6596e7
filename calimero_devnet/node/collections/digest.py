"""Provides the convergence digest of a context's host collections, and its visible state.

``state_digest`` (the one compared for convergence, SYNC.md) is::

    SHA-256( "calimero-devnet/js-collections/state/v1"
             ‖ for every (key, value) under NS, in key order:
                 u64 LE len(key) ‖ key ‖ u64 LE len(value) ‖ value )

It covers every stored record (layout.py): the visible values *and* the CRDT metadata that
decides future merges (winning HLCs, map tombstones, live and removed set tags, popped
vector element ids, per-executor counts, the root document's stamp and app timestamps).
Records are canonical, so nodes that applied the same set of actions, in any order and
with duplicates, have equal digests; a snapshot copied byte for byte has the same digest.

``visible_digest`` hashes only what the app can read (the same bytes the iteration
imports return, per collection in id order), for value-level comparisons.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any

from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.kv import Overlay, ReadableStore
from calimero_devnet.node.collections.model import CollectionKind
from calimero_devnet.node.collections.payloads import encode_items, encode_pairs, encode_u64
from calimero_devnet.node.collections.state import CollectionState

STATE_DOMAIN = b"calimero-devnet/js-collections/state/v1"
VISIBLE_DOMAIN = b"calimero-devnet/js-collections/visible/v1"
K = CollectionKind


def state_digest(store: ReadableStore) -> bytes:
    """Return the convergence digest of every host-collection record in ``store``."""
    hasher = hashlib.sha256(STATE_DOMAIN)
    for key, value in store.scan(lay.NS):
        hasher.update(struct.pack("<Q", len(key)) + key + struct.pack("<Q", len(value)) + value)
    return hasher.digest()


def visible_state(store: ReadableStore) -> dict[str, Any]:
    """Return what the app can read: ``{"root": doc, "collections": {id: (kind, content)}}``.

    Content per kind: map → ``[(key, value)]``; set → ``[elem]``; vector → ``[value]``;
    LWW → value or None; counter → ``[(executor, count)]``; user storage →
    ``[(user, value)]``; frozen storage → ``[sha256]``. Lists are in key-byte order
    (vector: element order).
    """
    state = CollectionState(Overlay(store))
    root = state.root()
    collections = {
        key[len(lay.HEADER) :]: (K(raw[0]), _content(state, key[len(lay.HEADER) :], K(raw[0])))
        for key, raw in store.scan(lay.HEADER)
    }
    return {"root": root.doc if root else None, "collections": collections}


def visible_digest(store: ReadableStore) -> bytes:
    """Return a SHA-256 over :func:`visible_state` (payload encodings, id order)."""
    view = visible_state(store)
    hasher = hashlib.sha256(VISIBLE_DOMAIN)
    root = view["root"]
    hasher.update(encode_items([] if root is None else [root]))
    for cid, (kind, content) in view["collections"].items():
        hasher.update(cid + bytes([kind]) + _encode(kind, content))
    return hasher.digest()


def _content(state: CollectionState, cid: bytes, kind: CollectionKind) -> Any:
    readers: dict[CollectionKind, Callable[[bytes], Any]] = {
        K.MAP: lambda c: list(state.lww_items(c)),
        K.SET: lambda c: [elem for elem, _ in state.set_items(c)],
        K.VECTOR: lambda c: [value for _, value in state.vector_items(c)],
        K.LWW: lambda c: record.value if (record := state.lww(c, b"")) else None,
        K.COUNTER: lambda c: list(state.counts(c)),
        K.USER_STORAGE: lambda c: list(state.lww_items(c)),
        K.FROZEN_STORAGE: lambda c: [
            lay.sub_of(k) for k, _ in state.kv.scan(lay.entries_prefix(c))
        ],
    }
    return readers[kind](cid)


def _encode(kind: CollectionKind, content: Any) -> bytes:
    if kind in (K.MAP, K.USER_STORAGE):
        return encode_pairs(content)
    if kind is K.COUNTER:
        return encode_pairs((who, encode_u64(n)) for who, n in content)
    if kind is K.LWW:
        return encode_items([] if content is None else [content])
    return encode_items(content)
