"""Provides ``COLLECTION_IMPORTS``: every host import of HOST-ABI §6, ready for the runtime.

Binding, per JS call on the node::

    overlay = Overlay(context_state_view)               # must support prefix scans
    session = CollectionsSession(overlay, executor_id, clock.hlc)
    env = CallEnv(..., extensions={EXTENSION: session})
    outcome = runtime.call(app, method, args, env)      # Runtime(extra_imports=COLLECTION_IMPORTS)
    if the call succeeded:
        one WriteBatch: outcome.writes + overlay.writes (+ the delta built from
        session.call_delta(), kind ``host-actions``); then advance the clock past
        session.last_stamp

Names and wasm signatures are upstream's (every parameter i64 except the i32 flags
``has_value`` of ``js_crdt_lww_set`` and ``has_executor`` of
``js_crdt_counter_get_executor_count``); statuses are described in :mod:`.hostabi`.
The pure core (everything but the ``hostabi*`` modules and this one) never imports the
runtime or wasmtime.
"""

from __future__ import annotations

from calimero_devnet.node.collections.hostabi import EXTENSION, ROOT_IMPORTS, session_of
from calimero_devnet.node.collections.hostabi_entries import ENTRY_IMPORTS
from calimero_devnet.node.collections.hostabi_values import VALUE_IMPORTS
from calimero_devnet.node.runtime.hostimport import HostImport

COLLECTION_IMPORTS: tuple[HostImport, ...] = ROOT_IMPORTS + ENTRY_IMPORTS + VALUE_IMPORTS
"""The 41 imports of HOST-ABI §6 (root document, map, vector, set, LWW, counter, user and
frozen storage) and the devnet's ``js_crdt_map_child``, for
``Runtime(extra_imports=COLLECTION_IMPORTS)``."""

__all__ = ["COLLECTION_IMPORTS", "EXTENSION", "session_of"]
