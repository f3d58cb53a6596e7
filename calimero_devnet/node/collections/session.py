"""Provides ``CollectionsSession``: one call's host collections (HOST-ABI §6), as Python.

Typical use by the node, for one call of a JS app::

    overlay = Overlay(committed_state_view)
    session = CollectionsSession(overlay, executor_id, clock.tick)
    ... run the call; the collection imports call session methods ...
    if call_succeeded:
        batch.write(overlay.writes)               # the call's one WriteBatch
        delta_payload = session.call_delta()      # ``host-actions`` delta, or None
        clock.advance_past(session.last_stamp)

Receiving a peer's ``host-actions`` delta::

    overlay = Overlay(committed_state_view)
    applied = merge_delta(CollectionState(overlay), payload, author=executor_of_author)
    batch.write(overlay.writes); clock.advance_past(applied.max_stamp)

Each method mirrors the import of the same name (``map_get`` ↔ ``js_crdt_map_get``).
Methods return Python values (bytes, None for "absent", bool, int, ``Hlc``); the import
layer turns them into statuses and register bytes with ``payloads``. Misuse (unknown id,
wrong kind, wrong length) raises ``CollectionError`` with the import name in the message.
"""

from __future__ import annotations

from calimero_devnet.node.collections.entries import EntryOps
from calimero_devnet.node.collections.values import ValueOps


class CollectionsSession(EntryOps, ValueOps):
    """One call's access to the host collections of a context.

    Args:
        store: the call's key→value view (normally an ``Overlay`` over committed state).
        executor_id: the 32-byte identity of the executing member (counters and user
            storage are keyed by it).
        hlc_source: returns a fresh HLC of this node each time it is called (the node's
            clock); stamps are kept strictly increasing within the call regardless.

    Every mutation is applied to ``store`` at once through the same merge peers use, and
    recorded as an action; ``call_delta()`` encodes them (``actions.encode_actions``).
    Reads never produce actions. Per-mutation actions:

    ========================= ==============================================================
    ``*_new``                 ``Create`` (id = sha256(executor ‖ HLC ‖ per-call counter))
    map insert / remove       ``MapSet`` (remove of an absent key: no action)
    set insert / remove/clear ``SetAdd`` (fresh tag, retires observed tags) / ``SetRemove``
    vector push / pop         ``VectorPush`` (stamped after the last element) / ``VectorPop``
    LWW set                   ``LwwSet`` (also when the value is unchanged: new timestamp)
    counter increment         ``CounterSet`` (this executor's new total)
    user storage insert/remove ``UserSet`` for this executor only
    frozen storage add        ``FrozenAdd`` (value already stored: no action)
    ``persist_root_state``    ``RootSet``
    ========================= ==============================================================
    """
