"""Provides the LWW, counter, user-storage and frozen-storage host imports (HOST-ABI §6)."""

from __future__ import annotations

from calimero_devnet.node.collections.hostabi import (
    answer,
    collection_import,
    flag,
    read_id,
    read_key,
    read_value,
)
from calimero_devnet.node.collections.payloads import encode_timestamp, encode_u64
from calimero_devnet.node.collections.session import CollectionsSession as S
from calimero_devnet.node.runtime.callstate import CallState as C


@collection_import("js_crdt_lww_new", "i64 -> i32")
def lww_new(call: C, s: S, reg: int) -> int:
    """Register ← a new LWW register's id; 0."""
    call.set_register(reg, s.lww_new())
    return 0


@collection_import("js_crdt_lww_set", "i64 i64 i32 -> i32")
def lww_set(call: C, s: S, cid: int, value: int, has_value: int) -> int:
    """Set (``has_value`` 0: empty, ``value`` unread); 1 if the value changed."""
    data = read_value(call, value, "LWW value") if has_value else None
    return flag(s.lww_set(read_id(call, cid), data))


@collection_import("js_crdt_lww_get", "i64 i64 -> i32")
def lww_get(call: C, s: S, cid: int, reg: int) -> int:
    """1 and register ← value, or 0 when empty."""
    return answer(call, reg, s.lww_get(read_id(call, cid)))


@collection_import("js_crdt_lww_timestamp", "i64 i64 -> i32")
def lww_timestamp(call: C, s: S, cid: int, reg: int) -> int:
    """1 and register ← 24-byte HLC (u64 time LE ‖ u128 node LE), or 0 when empty."""
    stamp = s.lww_timestamp(read_id(call, cid))
    return answer(call, reg, None if stamp is None else encode_timestamp(stamp))


@collection_import("js_crdt_counter_new", "i64 -> i32")
def counter_new(call: C, s: S, reg: int) -> int:
    """Register ← a new counter's id; 0."""
    call.set_register(reg, s.counter_new())
    return 0


@collection_import("js_crdt_counter_increment", "i64 -> i32")
def counter_increment(call: C, s: S, cid: int) -> int:
    """Add one to this executor's count; 1."""
    s.counter_increment(read_id(call, cid))
    return 1


@collection_import("js_crdt_counter_value", "i64 i64 -> i32")
def counter_value(call: C, s: S, cid: int, reg: int) -> int:
    """Register ← u64 LE sum over executors; 1."""
    return answer(call, reg, encode_u64(s.counter_value(read_id(call, cid)), "counter value"))


@collection_import("js_crdt_counter_get_executor_count", "i64 i64 i32 i64 -> i32")
def counter_get_executor_count(  # noqa: PLR0917 (wasm args are positional)
    call: C, s: S, cid: int, executor: int, has_executor: int, reg: int
) -> int:
    """Register ← u64 LE count of ``executor`` (this executor if ``has_executor`` is 0); 1."""
    who = read_key(call, executor, "executor id") if has_executor else None
    return answer(call, reg, encode_u64(s.counter_get_executor_count(read_id(call, cid), who)))


@collection_import("js_user_storage_new", "i64 -> i32")
def user_storage_new(call: C, s: S, reg: int) -> int:
    """Register ← a new user storage's id; 0."""
    call.set_register(reg, s.user_storage_new())
    return 0


@collection_import("js_user_storage_insert", "i64 i64 i64 -> i32")
def user_storage_insert(call: C, s: S, cid: int, value: int, reg: int) -> int:
    """Set this executor's value; 1 and register ← the previous one, or 0."""
    data = read_value(call, value, "user storage value")
    return answer(call, reg, s.user_storage_insert(read_id(call, cid), data))


@collection_import("js_user_storage_get", "i64 i64 -> i32")
def user_storage_get(call: C, s: S, cid: int, reg: int) -> int:
    """1 and register ← this executor's value, or 0."""
    return answer(call, reg, s.user_storage_get(read_id(call, cid)))


@collection_import("js_user_storage_get_for_user", "i64 i64 i64 -> i32")
def user_storage_get_for_user(call: C, s: S, cid: int, user: int, reg: int) -> int:
    """1 and register ← ``user``'s value, or 0."""
    who = read_key(call, user, "user key")
    return answer(call, reg, s.user_storage_get_for_user(read_id(call, cid), who))


@collection_import("js_user_storage_remove", "i64 i64 -> i32")
def user_storage_remove(call: C, s: S, cid: int, reg: int) -> int:
    """Remove this executor's value; 1 and register ← it, or 0."""
    return answer(call, reg, s.user_storage_remove(read_id(call, cid)))


@collection_import("js_user_storage_contains", "i64 -> i32")
def user_storage_contains(call: C, s: S, cid: int) -> int:
    """1 if this executor has a value."""
    return flag(s.user_storage_contains(read_id(call, cid)))


@collection_import("js_user_storage_contains_user", "i64 i64 -> i32")
def user_storage_contains_user(call: C, s: S, cid: int, user: int) -> int:
    """1 if ``user`` has a value."""
    who = read_key(call, user, "user key")
    return flag(s.user_storage_contains_user(read_id(call, cid), who))


@collection_import("js_frozen_storage_new", "i64 -> i32")
def frozen_storage_new(call: C, s: S, reg: int) -> int:
    """Register ← a new frozen storage's id; 0."""
    call.set_register(reg, s.frozen_storage_new())
    return 0


@collection_import("js_frozen_storage_add", "i64 i64 i64 -> i32")
def frozen_storage_add(call: C, s: S, cid: int, value: int, reg: int) -> int:
    """Store a value; register ← its sha256; 1."""
    data = read_value(call, value, "frozen storage value")
    return answer(call, reg, s.frozen_storage_add(read_id(call, cid), data))


@collection_import("js_frozen_storage_get", "i64 i64 i64 -> i32")
def frozen_storage_get(call: C, s: S, cid: int, digest: int, reg: int) -> int:
    """1 and register ← the value stored under the hash, or 0."""
    key = read_key(call, digest, "hash")
    return answer(call, reg, s.frozen_storage_get(read_id(call, cid), key))


@collection_import("js_frozen_storage_contains", "i64 i64 -> i32")
def frozen_storage_contains(call: C, s: S, cid: int, digest: int) -> int:
    """1 if a value is stored under the hash."""
    return flag(s.frozen_storage_contains(read_id(call, cid), read_key(call, digest, "hash")))


VALUE_IMPORTS = (
    lww_new, lww_set, lww_get, lww_timestamp,
    counter_new, counter_increment, counter_value, counter_get_executor_count,
    user_storage_new, user_storage_insert, user_storage_get, user_storage_get_for_user,
    user_storage_remove, user_storage_contains, user_storage_contains_user,
    frozen_storage_new, frozen_storage_add, frozen_storage_get, frozen_storage_contains,
)  # fmt: skip
