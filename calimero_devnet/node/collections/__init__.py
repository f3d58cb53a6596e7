"""Provides the host side of the JS collection family (HOST-ABI §6) as a pure core.

Modules: ``model`` (kinds, HLC, ids, errors), ``actions`` (replicated actions + Borsh),
``layout`` (key layout, stored records), ``crdt`` (merge rules), ``kv`` (store seam and the
per-call overlay), ``state`` (apply + reads), ``entries``/``values`` (session operations),
``session`` (the per-call facade), ``payloads`` (bytes handed to the guest), ``digest``.
"""

from calimero_devnet.node.collections.actions import AnyAction, decode_actions, encode_actions
from calimero_devnet.node.collections.base import Applied, merge_delta
from calimero_devnet.node.collections.digest import recompute_digest, visible_digest, visible_state
from calimero_devnet.node.collections.kv import KeyValueStore, Overlay, ReadableStore
from calimero_devnet.node.collections.model import (
    CollectionError,
    CollectionKind,
    DeltaRejectedError,
    Hlc,
    HlcSource,
)
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.collections.state import CollectionState

__all__ = [
    "AnyAction",
    "Applied",
    "CollectionError",
    "CollectionKind",
    "CollectionState",
    "CollectionsSession",
    "DeltaRejectedError",
    "Hlc",
    "HlcSource",
    "KeyValueStore",
    "Overlay",
    "ReadableStore",
    "decode_actions",
    "encode_actions",
    "merge_delta",
    "recompute_digest",
    "visible_digest",
    "visible_state",
]
