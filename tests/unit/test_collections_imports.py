"""Tests the §6 host imports end to end through the runtime, with a small WAT guest."""

from __future__ import annotations

import re
import struct
from functools import cache
from pathlib import Path

import pytest
from wasmtime import wat2wasm

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS, EXTENSION
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.model import Hlc
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.runtime import CallEnv, GuestError, LoadedApp, Runtime
from calimero_devnet.testing.collections_node import SimNode

HEADER = Path(__file__).parents[2] / "toolchain" / "runtime" / "calimero_host.h"
I64 = "(param i64) (result i32)"
# Memory: descriptors ID@64 → (1024, 32), KEY@80 → "k", VAL@96 → "v", OUT@112 → (4096, ?),
# a ValueReturn@128 (Ok, 4096, ?), BAD@160 → (1024, 31).
GUEST = r"""
(module
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
  (import "env" "value_return" (func $value_return (param i64)))
  (import "env" "js_crdt_map_new" (func $map_new (param i64) (result i32)))
  (import "env" "js_crdt_map_get" (func $map_get (param i64 i64 i64) (result i32)))
  (import "env" "js_crdt_map_insert" (func $map_insert (param i64 i64 i64 i64) (result i32)))
  (import "env" "js_crdt_map_remove" (func $map_remove (param i64 i64 i64) (result i32)))
  (import "env" "js_crdt_map_contains" (func $map_contains (param i64 i64) (result i32)))
  (import "env" "js_crdt_map_iter" (func $map_iter (param i64 i64) (result i32)))
  (import "env" "js_crdt_set_insert" (func $set_insert (param i64 i64) (result i32)))
  (import "env" "js_crdt_lww_new" (func $lww_new (param i64) (result i32)))
  (import "env" "js_crdt_lww_set" (func $lww_set (param i64 i64 i32) (result i32)))
  (import "env" "js_crdt_lww_timestamp" (func $lww_timestamp (param i64 i64) (result i32)))
  (import "env" "js_crdt_counter_new" (func $counter_new (param i64) (result i32)))
  (import "env" "js_crdt_counter_increment" (func $counter_increment (param i64) (result i32)))
  (import "env" "js_crdt_counter_get_executor_count"
    (func $counter_count (param i64 i64 i32 i64) (result i32)))
  (import "env" "persist_root_state" (func $persist_root (param i64 i64 i64)))
  (import "env" "read_root_state" (func $read_root (param i64) (result i32)))
  (import "env" "flush_delta" (func $flush_delta (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "\00\04\00\00\00\00\00\00\20\00\00\00\00\00\00\00")
  (data (i32.const 80) "\d0\07\00\00\00\00\00\00\01\00\00\00\00\00\00\00")
  (data (i32.const 96) "\d1\07\00\00\00\00\00\00\01\00\00\00\00\00\00\00")
  (data (i32.const 112) "\00\10\00\00\00\00\00\00")
  (data (i32.const 136) "\00\10\00\00\00\00\00\00")
  (data (i32.const 160) "\00\04\00\00\00\00\00\00\1f\00\00\00\00\00\00\00")
  (data (i32.const 2000) "kv")
  (func $return_reg (param $reg i64) (local $len i64)
    (local.set $len (call $register_len (local.get $reg)))
    (i64.store (i32.const 120) (local.get $len))
    (i64.store (i32.const 144) (local.get $len))
    (drop (call $read_register (local.get $reg) (i64.const 112)))
    (call $value_return (i64.const 128)))
  (func $load_id (param $reg i64) (drop (call $read_register (local.get $reg) (i64.const 64))))
  (func $status (param $i i32) (param $s i32)
    (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (local.get $s)))
  (func (export "map_flow")
    (drop (call $map_new (i64.const 1)))
    (call $load_id (i64.const 1))
    (drop (call $map_insert (i64.const 64) (i64.const 80) (i64.const 96) (i64.const 1)))
    (drop (call $map_iter (i64.const 64) (i64.const 2)))
    (call $return_reg (i64.const 2)))
  (func (export "map_statuses")
    (call $status (i32.const 0) (call $map_new (i64.const 1)))
    (call $load_id (i64.const 1))
    (call $status (i32.const 1) (call $map_get (i64.const 64) (i64.const 80) (i64.const 2)))
    (call $status (i32.const 2)
      (call $map_insert (i64.const 64) (i64.const 80) (i64.const 96) (i64.const 2)))
    (call $status (i32.const 3)
      (call $map_insert (i64.const 64) (i64.const 80) (i64.const 96) (i64.const 2)))
    (call $status (i32.const 4) (call $map_contains (i64.const 64) (i64.const 80)))
    (call $status (i32.const 5) (call $map_remove (i64.const 64) (i64.const 80) (i64.const 2)))
    (call $status (i32.const 6) (call $map_contains (i64.const 64) (i64.const 80)))
    (call $status (i32.const 7) (call $set_insert (i64.const 64) (i64.const 80)))
    (call $status (i32.const 8) (call $flush_delta))
    (i64.store (i32.const 144) (i64.const 9))
    (call $value_return (i64.const 128)))
  (func (export "bad_id")
    (drop (call $set_insert (i64.const 160) (i64.const 80)))
    (call $return_reg (i64.const 0)))
  (func (export "lww")
    (drop (call $lww_new (i64.const 1)))
    (call $load_id (i64.const 1))
    (drop (call $lww_set (i64.const 64) (i64.const 96) (i32.const 1)))
    (drop (call $lww_timestamp (i64.const 64) (i64.const 2)))
    (call $return_reg (i64.const 2)))
  (func (export "counter")
    (drop (call $counter_new (i64.const 1)))
    (call $load_id (i64.const 1))
    (drop (call $counter_increment (i64.const 64)))
    (drop (call $counter_increment (i64.const 64)))
    (drop (call $counter_count (i64.const 64) (i64.const 0) (i32.const 0) (i64.const 2)))
    (call $return_reg (i64.const 2)))
  (func (export "root")
    (call $persist_root (i64.const 96) (i64.const 5) (i64.const 6))
    (drop (call $read_root (i64.const 2)))
    (call $return_reg (i64.const 2)))
)
"""


@cache
def guest() -> tuple[Runtime, LoadedApp]:
    """One runtime with the collection imports and the WAT guest."""
    runtime = Runtime(None, extra_imports=COLLECTION_IMPORTS)
    return runtime, runtime.load(bytes(wat2wasm(GUEST)))


def call(method: str, node: SimNode | None = None) -> tuple[bytes | None, CollectionsSession]:
    """Run ``method`` with a fresh session; return what it returned and the session."""
    node = node or SimNode(0)
    session = CollectionsSession(Overlay(node.kv), node.executor, node.tick)
    env = CallEnv(
        context_id=b"\0" * 32,
        executor_id=node.executor,
        state=node.kv,
        time_now=lambda: 1,
        random_bytes=bytes,
        extensions={EXTENSION: session},
    )
    runtime, app = guest()
    return runtime.call(app, method, b"", env).returned, session


def test_map_iteration_reaches_the_guest_as_the_payload_bytes() -> None:
    returned, session = call("map_flow")
    assert returned == b"\x01\0\0\0" + b"\x01\0\0\0k" + b"\x01\0\0\0v"
    assert [type(a).__name__ for a in session.actions] == ["Create", "MapSet"]


def test_statuses_follow_the_abi() -> None:
    returned, session = call("map_statuses")
    # new → 0, get (absent) → 0, insert (new) → 0, insert (replace) → 1, contains → 1,
    # remove → 1, contains → 0, set_insert on a map → -1, flush_delta → 1
    assert returned == bytes([0, 0, 0, 1, 1, 1, 0, 0xFF, 1])
    assert act.decode_actions(session.call_delta() or b"")[-1] == session.actions[-1]


def test_a_misuse_puts_its_message_in_register_zero() -> None:
    returned, _ = call("bad_id")
    assert returned == b"js_crdt_set_insert: collection id must be exactly 32 bytes (got 31)"


def test_lww_timestamp_and_counter_values_are_little_endian() -> None:
    node = SimNode(0)
    returned, session = call("lww", node)
    assert returned == Hlc(node.time, node.node_id).to_bytes()
    assert session.last_stamp == Hlc(node.time, node.node_id)
    assert call("counter")[0] == struct.pack("<Q", 2)


def test_root_document_round_trips() -> None:
    returned, session = call("root")
    assert returned == b"v"
    assert isinstance(session.actions[0], act.RootSet)
    assert (session.actions[0].created_at, session.actions[0].updated_at) == (5, 6)


def test_a_call_without_a_session_traps_with_the_reason() -> None:
    runtime, app = guest()
    env = CallEnv(b"\0" * 32, b"\1" * 32, SimNode(0).kv, lambda: 1, bytes)
    with pytest.raises(GuestError, match="gave the call no CollectionsSession"):
        runtime.call(app, "map_flow", b"", env)


def _header_signatures() -> dict[str, str]:
    """Read the import signatures our QuickJS glue was built against."""
    text = HEADER.read_text()
    found = {}
    pattern = r"CALIMERO_IMPORT\((\w+)\)\s+(?:__attribute__\(\(\w+\)\)\s+)?(\w+)\s+\w+\(([^)]*)\)"
    for name, result, params in re.findall(pattern, text):
        kinds = [p.split()[0] for p in params.split(",") if p.strip() not in ("", "void")]
        types = " ".join("i32" if k == "int32_t" else "i64" for k in kinds)
        found[name] = f"{types} -> {'i32' if result == 'int32_t' else ''}".strip()
    return found


def test_names_and_signatures_match_the_guest_glue() -> None:
    header = _header_signatures()
    ours = {imp.name: imp.canonical for imp in COLLECTION_IMPORTS}
    assert len(ours) == 42
    assert {name: header.get(name) for name in ours} == ours
