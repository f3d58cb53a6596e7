"""Provides the convergence digest of a context's host collections, and its visible state.

The state digest is a homomorphic multiset hash over every stored record (layout.py) under
``NS``: the visible values *and* the CRDT metadata that decides future merges (winning
HLCs, map tombstones, live and removed set tags, popped vector element ids, per-executor
counts, the root document's stamp and app timestamps)::

    h(key, value) = SHAKE-256( RECORD_DOMAIN ‖ u64 LE len(key) ‖ key
                               ‖ u64 LE len(value) ‖ value ), 256 bytes read as a LE integer
    total         = Σ h(key, value) over every record, mod 2^2048
    count         = the number of records
    state digest  = SHA-256( STATE_DOMAIN ‖ total as 256 bytes LE ‖ u64 LE count )

A sum does not depend on key order, so a commit folds in only the records it changed:
minus ``h(old)`` for a record that existed, plus ``h(new)`` for one that stays
(:func:`fold_writes`). ``(total, count)`` is stored under ``DIGEST_KEY``, outside ``NS`` (so
it never hashes itself) but in the same context state: it is written in the commit's one
batch and copied byte for byte by a snapshot. The modulus is 2^2048 rather than 2^256
because a member chooses record bytes freely, and a 256-bit additive hash falls to
generalized-birthday (Wagner) attacks. :func:`recompute_digest` rebuilds the digest from
every record (tests, ``check_consistency`` via :func:`digest_problems`).

Records are canonical, so nodes that applied the same set of actions, in any order and
with duplicates, have equal digests; a snapshot copied byte for byte has the same digest.

``visible_digest`` hashes only what the app can read (the same bytes the iteration
imports return, per collection in id order), for value-level comparisons.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calimero_devnet.errors import StoreError
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.kv import Overlay, ReadableStore
from calimero_devnet.node.collections.model import CollectionKind
from calimero_devnet.node.collections.payloads import encode_items, encode_pairs, encode_u64
from calimero_devnet.node.collections.state import CollectionState

STATE_DOMAIN = b"calimero-devnet/js-collections/state/v2"
RECORD_DOMAIN = b"calimero-devnet/js-collections/record/v2"
VISIBLE_DOMAIN = b"calimero-devnet/js-collections/visible/v1"
DIGEST_KEY = b"jsc\x01state-digest"
"""Where ``(total, count)`` is stored: right after ``NS`` in key order, never under it."""
HASH_BYTES = 256
MODULUS = 1 << (8 * HASH_BYTES)
_COUNT = struct.Struct("<Q")
K = CollectionKind


def record_hash(key: bytes, value: bytes) -> int:
    """Return ``h(key, value)``, one record's term of the sum."""
    framed = _COUNT.pack(len(key)) + key + _COUNT.pack(len(value)) + value
    return int.from_bytes(hashlib.shake_256(RECORD_DOMAIN + framed).digest(HASH_BYTES), "little")


@dataclass(frozen=True, slots=True)
class Accumulator:
    """The multiset hash of a context's records: their hash sum and how many there are."""

    total: int = 0
    count: int = 0

    def replaced(self, key: bytes, old: bytes | None, new: bytes | None) -> Accumulator:
        """Return this accumulator after record ``key`` went from ``old`` to ``new``.

        None means absent: ``old`` None is an insert, ``new`` None a deletion.
        """
        if old == new:
            return self
        total, count = self.total, self.count
        if old is not None:
            total, count = total - record_hash(key, old), count - 1
        if new is not None:
            total, count = total + record_hash(key, new), count + 1
        return Accumulator(total % MODULUS, count)

    def root(self) -> bytes:
        """Return the state digest: SHA-256 over the domain and the stored encoding."""
        return hashlib.sha256(STATE_DOMAIN + self.encode()).digest()

    def encode(self) -> bytes:
        """Return the value stored under ``DIGEST_KEY``: total (256 B LE) ‖ u64 LE count."""
        # The count only goes negative if a record was lost: keep it encodable for the check.
        return self.total.to_bytes(HASH_BYTES, "little") + _COUNT.pack(self.count % (1 << 64))

    @classmethod
    def decode(cls, raw: bytes) -> Accumulator:
        """Invert :meth:`encode`.

        Raises:
            StoreError: ``raw`` is not 264 bytes.
        """
        if len(raw) != HASH_BYTES + _COUNT.size:
            raise StoreError(
                f"the host-collections digest accumulator under {DIGEST_KEY!r} is {len(raw)} "
                f"bytes, expected {HASH_BYTES + _COUNT.size}: the store is damaged; rejoin "
                "the context by snapshot"
            )
        count = _COUNT.unpack_from(raw, HASH_BYTES)[0]
        return cls(int.from_bytes(raw[:HASH_BYTES], "little"), count)


def recompute_accumulator(store: ReadableStore) -> Accumulator:
    """Return the accumulator of every record in ``store`` (a full scan)."""
    total = count = 0
    for key, value in store.scan(lay.NS):
        total += record_hash(key, value)
        count += 1
    return Accumulator(total % MODULUS, count)


def recompute_digest(store: ReadableStore) -> bytes:
    """Return the state digest of ``store`` from every record, ignoring the stored sum."""
    return recompute_accumulator(store).root()


def stored_accumulator(store: ReadableStore) -> Accumulator:
    """Return the accumulator stored in ``store``, or rebuild it if there is none.

    A context written before the accumulator existed has records but no ``DIGEST_KEY``;
    its first commit after that folds every record once.

    Raises:
        StoreError: the stored accumulator is malformed.
    """
    raw = store.get(DIGEST_KEY)
    return recompute_accumulator(store) if raw is None else Accumulator.decode(raw)


def fold_writes(overlay: Overlay) -> bytes:
    """Fold ``overlay``'s record writes into the stored accumulator; return the new digest.

    Puts the new accumulator under ``DIGEST_KEY`` in ``overlay``, so it lands in the same
    batch as the records. It starts from the base's accumulator each time, so calling it
    twice gives the same result. Cost: one read per written record.

    Raises:
        StoreError: the stored accumulator is malformed.
    """
    acc = stored_accumulator(overlay.base)
    for key, new in overlay.writes.items():
        if key.startswith(lay.NS):
            acc = acc.replaced(key, overlay.base.get(key), new)
    overlay.put(DIGEST_KEY, acc.encode())
    return acc.root()


def digest_problems(store: ReadableStore) -> list[str]:
    """Return why the stored accumulator disagrees with the records in ``store`` ([]: none).

    No ``DIGEST_KEY`` is not a problem: a context without host collections has none, and an
    older one gets it at its next commit.
    """
    raw = store.get(DIGEST_KEY)
    if raw is None:
        return []
    try:
        stored = Accumulator.decode(raw)
    except StoreError as exc:
        return [str(exc)]
    actual = recompute_accumulator(store)
    if stored == actual:
        return []
    return [
        f"the host-collections digest accumulator under {DIGEST_KEY!r} gives root "
        f"{stored.root().hex()[:16]}… over {stored.count} records, but the "
        f"{actual.count} stored records give {actual.root().hex()[:16]}…: a record or the "
        "accumulator changed outside a commit; rejoin the context by snapshot"
    ]


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
