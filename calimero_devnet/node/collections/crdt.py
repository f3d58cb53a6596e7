"""Provides the merge rules of host collections as pure functions over stored records.

Each rule is a join: it takes the stored record (or None) and an incoming fact and returns
the new record, or None when the fact changes nothing. Joins are idempotent, commutative
and associative, which is what makes ``apply`` order- and duplicate-insensitive.

- LWW slots (map entries, LWW registers, user storage): the greater version wins, where
  version = (HLC time, HLC node, has value, value bytes). The node id breaks time ties;
  the last two fields only decide between two writes carrying the *same* HLC (a clock that
  repeated itself), so even that case converges. Tombstones are ordinary versions: a later
  insert beats an earlier removal and vice versa.
- OR-set elements (add-wins): an add brings a fresh tag and retires the tags its author
  observed; a removal retires the tags its author observed. Removed tags are remembered
  forever, so a retired tag never comes back; a concurrent add's fresh tag survives.
- Vector elements: a popped element stays popped (tombstone absorbs).
- Counters: per-executor totals, merged by max (a G-counter).
- Root document: LWW by (HLC, doc, created_at, updated_at).
"""

from __future__ import annotations

from collections.abc import Iterable

from calimero_devnet.node.collections.layout import LwwRecord, RootRecord, SetRecord, VectorRecord

Stamp = tuple[int, int]


def lww_version(record: LwwRecord) -> tuple[Stamp, bool, bytes]:
    """Return the total order key of an LWW slot."""
    return (record.hlc, record.value is not None, record.value or b"")


def lww_join(stored: LwwRecord | None, incoming: LwwRecord) -> LwwRecord | None:
    """Return ``incoming`` if it beats ``stored``, else None (nothing changes)."""
    if stored is None or lww_version(incoming) > lww_version(stored):
        return incoming
    return None


def set_join(
    stored: SetRecord | None, add: Stamp | None, retire: Iterable[Stamp]
) -> SetRecord | None:
    """Merge an add tag (or None) and retired tags into an OR-set element record."""
    removed = set(stored.removed) if stored else set()
    live = set(stored.live) if stored else set()
    removed.update(retire)
    if add is not None:
        live.add(add)
    live -= removed
    if stored is None and not live and not removed:
        return None
    record = SetRecord(live=sorted(live), removed=sorted(removed))
    return None if record == stored else record


def vector_join(stored: VectorRecord | None, incoming: VectorRecord) -> VectorRecord | None:
    """Merge a push (value) or a pop (None) into a vector element record."""
    if stored is None:
        return incoming
    if stored.value is None:
        return None
    if incoming.value is None or incoming.value > stored.value:
        # A pop always wins; two different pushes under one stamp keep the greater value.
        return incoming
    return None


def counter_join(stored: int | None, incoming: int) -> int | None:
    """Return the new per-executor total if ``incoming`` is greater, else None."""
    if stored is None or incoming > stored:
        return incoming
    return None


def root_join(stored: RootRecord | None, incoming: RootRecord) -> RootRecord | None:
    """Return ``incoming`` if it is the later root document, else None."""

    def version(r: RootRecord) -> tuple[Stamp, bytes, int, int]:
        return (r.hlc, r.doc, r.created_at, r.updated_at)

    if stored is None or version(incoming) > version(stored):
        return incoming
    return None
