"""Provides the storage ``env`` imports of HOST-ABI §4: state, commit, private storage.

State reads and writes go through the call's overlay (``CallOutcome.writes`` over
``CallEnv.state``); the caller persists the overlay only if the call committed. Private
storage is node-local and goes straight to ``CallEnv.private``.
"""

from __future__ import annotations

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import host_import
from calimero_devnet.node.runtime.types import PrivateStorage

ZERO_IMPORTS = frozenset(
    {"storage_index_meta_clear", "storage_index_meta_get", "storage_index_set", "xcall_origin"}
)
"""Imports answered with 0 whatever their declared type (HOST-ABI §4: "→ 0")."""


def _key(call: CallState, desc: int) -> bytes:
    return call.read_buffer(desc, what="storage key", limit=call.limits.max_key)


@host_import("storage_read", "i64 i64 -> i32")
def storage_read(call: CallState, key: int, reg: int) -> int:
    """1 and register ← value if ``key`` is present; else 0, register untouched."""
    value = call.storage_get(_key(call, key))
    if value is None:
        return 0
    call.set_register(reg, value)
    return 1


@host_import("storage_write", "i64 i64 i64 -> i32")
def storage_write(call: CallState, key: int, value: int, reg: int) -> int:
    """Write ``key``; 1 and register ← old value if it existed, else 0."""
    name = _key(call, key)
    data = call.read_buffer(value, what="storage value", limit=call.limits.max_value)
    old = call.storage_put(name, data)
    if old is None:
        return 0
    call.set_register(reg, old)
    return 1


@host_import("storage_remove", "i64 i64 -> i32")
def storage_remove(call: CallState, key: int, reg: int) -> int:
    """Remove ``key``; 1 and register ← old value if it existed, else 0."""
    name = _key(call, key)
    if call.storage_get(name) is None:
        return 0
    old = call.storage_put(name, None)
    assert old is not None  # checked just above, through the same overlay
    call.set_register(reg, old)
    return 1


@host_import("commit", "i64 i64 ->")
def commit(call: CallState, root: int, artifact: int) -> None:
    """Record the 32-byte root hash and the delta artifact (once per execution)."""
    if call.commits:
        call.trap("commit was called twice in one execution")
    root_hash = call.read_buffer(root, what="commit root hash", exact=32)
    data = call.read_buffer(artifact, what="commit artifact", limit=call.limits.max_artifact)
    call.commits += 1
    call.outcome.root_hash, call.outcome.artifact = root_hash, data


def _private(call: CallState, name: str) -> PrivateStorage:
    store = call.env.private
    if store is None:
        call.trap(f"{name}: this node offers no private storage to the call")
    return store


@host_import("private_storage_read", "i64 i64 -> i32")
def private_storage_read(call: CallState, key: int, reg: int) -> int:
    """1 and register ← value if ``key`` is in node-local storage, else 0."""
    value = _private(call, "private_storage_read").get(_key(call, key))
    if value is None:
        return 0
    call.set_register(reg, value)
    return 1


@host_import("private_storage_write", "i64 i64 -> i32")
def private_storage_write(call: CallState, key: int, value: int) -> int:
    """Write ``key`` in node-local storage; 1 = written."""
    store = _private(call, "private_storage_write")
    name = _key(call, key)
    store.put(name, call.read_buffer(value, what="storage value", limit=call.limits.max_value))
    return 1


@host_import("private_storage_remove", "i64 i64 -> i32")
def private_storage_remove(call: CallState, key: int, reg: int) -> int:
    """Remove ``key`` from node-local storage; 1 and register ← old value if it existed."""
    store = _private(call, "private_storage_remove")
    name = _key(call, key)
    old = store.get(name)
    if old is None:
        return 0
    store.put(name, None)
    call.set_register(reg, old)
    return 1


STORAGE_IMPORTS = (
    storage_read,
    storage_write,
    storage_remove,
    commit,
    private_storage_read,
    private_storage_write,
    private_storage_remove,
)
