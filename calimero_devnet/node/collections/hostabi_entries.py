"""Provides the ``js_crdt_map_*``, ``js_crdt_set_*`` and ``js_crdt_vector_*`` host imports."""

from __future__ import annotations

from calimero_devnet.node.collections.hostabi import (
    answer,
    collection_import,
    collection_kind,
    flag,
    read_id,
    read_key,
    read_value,
)
from calimero_devnet.node.collections.payloads import encode_u64
from calimero_devnet.node.collections.session import CollectionsSession as S
from calimero_devnet.node.runtime.callstate import CallState as C


@collection_import("js_crdt_map_new", "i64 -> i32")
def map_new(call: C, s: S, reg: int) -> int:
    """Register ← a new map's id; 0."""
    call.set_register(reg, s.map_new())
    return 0


@collection_import("js_crdt_map_get", "i64 i64 i64 -> i32")
def map_get(call: C, s: S, cid: int, key: int, reg: int) -> int:
    """1 and register ← value, or 0."""
    return answer(call, reg, s.map_get(read_id(call, cid), read_key(call, key, "map key")))


@collection_import("js_crdt_map_insert", "i64 i64 i64 i64 -> i32")
def map_insert(  # noqa: PLR0917 (wasm args are positional)
    call: C, s: S, cid: int, key: int, value: int, reg: int
) -> int:
    """1 and register ← the previous value, or 0."""
    name, data = read_key(call, key, "map key"), read_value(call, value, "map value")
    return answer(call, reg, s.map_insert(read_id(call, cid), name, data))


@collection_import("js_crdt_map_child", "i64 i64 i32 i64 -> i32")
def map_child(call: C, s: S, cid: int, key: int, kind: int, reg: int) -> int:  # noqa: PLR0917
    """Register ← the id of the ``kind`` collection nested under ``key`` (devnet); 1."""
    call.set_register(reg, s.map_child(read_id(call, cid), read_key(call, key, "map key"),
                                       collection_kind(kind)))  # fmt: skip
    return 1


@collection_import("js_crdt_map_remove", "i64 i64 i64 -> i32")
def map_remove(call: C, s: S, cid: int, key: int, reg: int) -> int:
    """1 and register ← the removed value, or 0."""
    return answer(call, reg, s.map_remove(read_id(call, cid), read_key(call, key, "map key")))


@collection_import("js_crdt_map_contains", "i64 i64 -> i32")
def map_contains(call: C, s: S, cid: int, key: int) -> int:
    """1 if the key has a value."""
    return flag(s.map_contains(read_id(call, cid), read_key(call, key, "map key")))


@collection_import("js_crdt_map_iter", "i64 i64 -> i32")
def map_iter(call: C, s: S, cid: int, reg: int) -> int:
    """Register ← the entries payload (key-byte order); 1."""
    return answer(call, reg, s.map_iter(read_id(call, cid)))


@collection_import("js_crdt_vector_new", "i64 -> i32")
def vector_new(call: C, s: S, reg: int) -> int:
    """Register ← a new vector's id; 0."""
    call.set_register(reg, s.vector_new())
    return 0


@collection_import("js_crdt_vector_len", "i64 i64 -> i32")
def vector_len(call: C, s: S, cid: int, reg: int) -> int:
    """Register ← u64 LE length; 1."""
    return answer(call, reg, encode_u64(s.vector_len(read_id(call, cid))))


@collection_import("js_crdt_vector_push", "i64 i64 -> i32")
def vector_push(call: C, s: S, cid: int, value: int) -> int:
    """Append; 1."""
    s.vector_push(read_id(call, cid), read_value(call, value, "vector value"))
    return 1


@collection_import("js_crdt_vector_get", "i64 i64 i64 -> i32")
def vector_get(call: C, s: S, cid: int, index: int, reg: int) -> int:
    """1 and register ← the element at ``index``, or 0 past the end."""
    return answer(call, reg, s.vector_get(read_id(call, cid), index))


@collection_import("js_crdt_vector_pop", "i64 i64 -> i32")
def vector_pop(call: C, s: S, cid: int, reg: int) -> int:
    """1 and register ← the removed last element, or 0 if empty."""
    return answer(call, reg, s.vector_pop(read_id(call, cid)))


@collection_import("js_crdt_set_new", "i64 -> i32")
def set_new(call: C, s: S, reg: int) -> int:
    """Register ← a new set's id; 0."""
    call.set_register(reg, s.set_new())
    return 0


@collection_import("js_crdt_set_insert", "i64 i64 -> i32")
def set_insert(call: C, s: S, cid: int, value: int) -> int:
    """1 if the element was not present before."""
    return flag(s.set_insert(read_id(call, cid), read_key(call, value, "set element")))


@collection_import("js_crdt_set_contains", "i64 i64 -> i32")
def set_contains(call: C, s: S, cid: int, value: int) -> int:
    """1 if the element is present."""
    return flag(s.set_contains(read_id(call, cid), read_key(call, value, "set element")))


@collection_import("js_crdt_set_remove", "i64 i64 -> i32")
def set_remove(call: C, s: S, cid: int, value: int) -> int:
    """1 if the element was present."""
    return flag(s.set_remove(read_id(call, cid), read_key(call, value, "set element")))


@collection_import("js_crdt_set_len", "i64 i64 -> i32")
def set_len(call: C, s: S, cid: int, reg: int) -> int:
    """Register ← u64 LE size; 1."""
    return answer(call, reg, encode_u64(s.set_len(read_id(call, cid))))


@collection_import("js_crdt_set_iter", "i64 i64 -> i32")
def set_iter(call: C, s: S, cid: int, reg: int) -> int:
    """Register ← the elements payload (byte order); 1."""
    return answer(call, reg, s.set_iter(read_id(call, cid)))


@collection_import("js_crdt_set_clear", "i64 -> i32")
def set_clear(call: C, s: S, cid: int) -> int:
    """1 if the set had elements."""
    return flag(s.set_clear(read_id(call, cid)))


ENTRY_IMPORTS = (
    map_new, map_get, map_insert, map_remove, map_contains, map_iter, map_child,
    vector_new, vector_len, vector_push, vector_get, vector_pop,
    set_new, set_insert, set_contains, set_remove, set_len, set_iter, set_clear,
)  # fmt: skip
