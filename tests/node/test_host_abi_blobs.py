"""The blob imports over a real blob store: write, read in pieces, announce, bad handles."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from calimero_devnet.node.blobs.host import NodeBlobHost
from calimero_devnet.node.blobs.store import BlobStore
from calimero_devnet.node.runtime import (
    CallEnv,
    CallOutcome,
    GuestError,
    Limits,
    LoadedApp,
    Runtime,
)
from calimero_devnet.node.runtime.std_blobs import BLOB_IMPORTS, EXTENSION
from tests.node.host_abi_helpers import CONTEXT, make_env, module_with

_IMPORTS = """
(import "env" "input" (func $input (param i64)))
(import "env" "register_len" (func $register_len (param i64) (result i64)))
(import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
(import "env" "value_return" (func $value_return (param i64)))
(import "env" "blob_create" (func $blob_create (result i64)))
(import "env" "blob_write" (func $blob_write (param i64 i64) (result i64)))
(import "env" "blob_close" (func $blob_close (param i64 i64) (result i32)))
(import "env" "blob_open" (func $blob_open (param i64) (result i64)))
(import "env" "blob_read" (func $blob_read (param i64 i64) (result i64)))
(import "env" "blob_announce_to_context" (func $announce (param i64 i64) (result i32)))
"""

# Layout: input at 1024 (descriptor at 0), data descriptor at 16, id descriptor at 32 (id
# bytes at 512), read descriptor at 48 (reads land from 4096 on), ValueReturn at 64.
_BODY = """
(func $in (result i64) (local $n i64)
  (call $input (i64.const 0))
  (local.set $n (call $register_len (i64.const 0)))
  (i64.store (i32.const 0) (i64.const 1024)) (i64.store (i32.const 8) (local.get $n))
  (drop (call $read_register (i64.const 0) (i64.const 0)))
  (local.get $n))
(func $ret (param $ptr i64) (param $len i64)
  (i64.store (i32.const 64) (i64.const 0))
  (i64.store (i32.const 72) (local.get $ptr)) (i64.store (i32.const 80) (local.get $len))
  (call $value_return (i64.const 64)))
(func $id_desc (param $len i64)
  (i64.store (i32.const 32) (i64.const 512)) (i64.store (i32.const 40) (local.get $len)))
(func (export "write_blob") (local $n i64) (local $fd i64)
  (local.set $n (call $in))
  (local.set $fd (call $blob_create))
  (i64.store (i32.const 16) (i64.const 1024)) (i64.store (i32.const 24) (local.get $n))
  (drop (call $blob_write (local.get $fd) (i64.const 16)))
  (call $id_desc (i64.const 32))
  (drop (call $blob_close (local.get $fd) (i64.const 32)))
  (call $ret (i64.const 512) (i64.const 32)))
(func (export "read_blob") (local $fd i64) (local $total i64) (local $got i64)
  (drop (call $in))
  (i64.store (i32.const 16) (i64.const 1024)) (i64.store (i32.const 24) (i64.const 32))
  (local.set $fd (call $blob_open (i64.const 16)))
  (block $done (loop $more
    (i64.store (i32.const 48) (i64.add (i64.const 4096) (local.get $total)))
    (i64.store (i32.const 56) (i64.const 5))
    (local.set $got (call $blob_read (local.get $fd) (i64.const 48)))
    (br_if $done (i64.eqz (local.get $got)))
    (local.set $total (i64.add (local.get $total) (local.get $got)))
    (br $more)))
  (call $id_desc (i64.const 32))
  (drop (call $blob_close (local.get $fd) (i64.const 32)))
  (call $ret (i64.const 4096) (local.get $total)))
(func (export "announce")
  (drop (call $in))
  (i64.store (i32.const 16) (i64.const 1024)) (i64.store (i32.const 24) (i64.const 32))
  (i64.store (i32.const 32) (i64.const 1056)) (i64.store (i32.const 40) (i64.const 32))
  (i32.store8 (i32.const 700) (call $announce (i64.const 16) (i64.const 32)))
  (call $ret (i64.const 700) (i64.const 1)))
(func (export "write_bad_fd")
  (i64.store (i32.const 16) (i64.const 1024)) (i64.store (i32.const 24) (i64.const 0))
  (drop (call $blob_write (i64.const 99) (i64.const 16))))
(func (export "read_a_writer") (local $fd i64)
  (local.set $fd (call $blob_create))
  (i64.store (i32.const 48) (i64.const 4096)) (i64.store (i32.const 56) (i64.const 5))
  (drop (call $blob_read (local.get $fd) (i64.const 48))))
(func (export "close_twice") (local $fd i64)
  (local.set $fd (call $blob_create))
  (call $id_desc (i64.const 32))
  (drop (call $blob_close (local.get $fd) (i64.const 32)))
  (drop (call $blob_close (local.get $fd) (i64.const 32))))
(func (export "close_short_id") (local $fd i64)
  (local.set $fd (call $blob_create))
  (call $id_desc (i64.const 16))
  (drop (call $blob_close (local.get $fd) (i64.const 32))))
(func (export "open_many") (local $i i32)
  (block $done (loop $more
    (br_if $done (i32.eq (local.get $i) (i32.const 3)))
    (drop (call $blob_create))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $more))))
"""


@cache
def _app() -> tuple[Runtime, LoadedApp]:
    runtime = Runtime(None)
    return runtime, runtime.load(module_with(_BODY, _IMPORTS))


class _Network:
    """Records announcements; "fetches" by copying from another store."""

    def __init__(self, local: BlobStore, peer: BlobStore | None = None) -> None:
        self.local, self.peer = local, peer
        self.announced: list[tuple[bytes, bytes, int]] = []

    def fetch_blocking(self, blob_id: bytes, context: bytes | None) -> bool:
        data = self.peer.read_all(blob_id) if self.peer else None
        return data is not None and self.local.put(data).blob_id == blob_id

    def announce_soon(self, blob_id: bytes, context: bytes, size: int) -> None:
        self.announced.append((blob_id, context, size))


def _env(host: NodeBlobHost | None) -> CallEnv:
    env = make_env()
    if host is not None:
        env.extensions[EXTENSION] = host
    return env


def _call(host: NodeBlobHost | None, method: str, data: bytes = b"", **limits: int) -> CallOutcome:
    runtime, app = _app()
    return runtime.call(app, method, data, _env(host), limits=Limits(**limits))


def _fails(host: NodeBlobHost | None, method: str, **limits: int) -> str:
    with pytest.raises(GuestError) as caught:
        _call(host, method, b"", **limits)
    return str(caught.value)


@pytest.fixture
def host(tmp_path: Path) -> NodeBlobHost:
    return NodeBlobHost(BlobStore(tmp_path / "blobs"))


def test_a_written_blob_reads_back_in_small_pieces(host: NodeBlobHost) -> None:
    data = b"hello, blob world! " * 50
    blob_id = _call(host, "write_blob", data).returned
    assert blob_id is not None
    assert host.store.read_all(blob_id) == data
    assert _call(host, "read_blob", blob_id).returned == data


def test_reading_a_blob_nobody_has_gives_no_bytes(host: NodeBlobHost) -> None:
    outcome = _call(host, "read_blob", bytes(32))
    assert outcome.returned == b""
    assert any("is not on this node" in line for line in outcome.logs)


def test_a_missing_blob_is_fetched_from_the_network_on_open(
    host: NodeBlobHost, tmp_path: Path
) -> None:
    peer = BlobStore(tmp_path / "peer")
    blob_id = peer.put(b"only the peer has this").blob_id
    host.network = _Network(host.store, peer)
    assert _call(host, "read_blob", blob_id).returned == b"only the peer has this"
    assert host.store.has(blob_id)


def test_announce_needs_the_blob_here_and_tells_the_network(host: NodeBlobHost) -> None:
    network = _Network(host.store)
    host.network = network
    blob_id = host.store.put(b"abc").blob_id
    assert _call(host, "announce", blob_id + CONTEXT).returned == b"\x01"
    assert network.announced == [(blob_id, CONTEXT, 3)]
    with pytest.raises(GuestError, match=r"blob 0{64} is not on this node"):
        _call(host, "announce", bytes(32) + CONTEXT)


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("write_bad_fd", "blob_write: 99 is not an open blob handle of this call"),
        ("read_a_writer", "blob_read: handle 1 was opened for writing, not reading"),
        ("close_twice", "blob_close: 1 is not an open blob handle of this call"),
        ("close_short_id", "blob_close id buffer must be exactly 32 bytes, got 16"),
    ],
)
def test_bad_handles_trap_clearly(host: NodeBlobHost, method: str, message: str) -> None:
    assert message in _fails(host, method)


def test_open_handles_are_limited_per_call(host: NodeBlobHost) -> None:
    _call(host, "open_many", max_blob_handles=3)
    assert "at most 2 may be open" in _fails(host, "open_many", max_blob_handles=2)


def test_writes_above_the_chunk_limit_trap(host: NodeBlobHost) -> None:
    message = _fails_with(host, "write_blob", b"x" * 9, max_blob_chunk=8)
    assert "blob_write data is 9 bytes, above the limit of 8 bytes" in message


def test_without_a_blob_store_the_imports_trap(host: NodeBlobHost) -> None:
    assert "blobs are not available on this node" in _fails(None, "read_a_writer")


def _fails_with(host: NodeBlobHost, method: str, data: bytes, **limits: int) -> str:
    with pytest.raises(GuestError) as caught:
        _call(host, method, data, **limits)
    return str(caught.value)


def test_the_js_glue_declares_the_imports_as_the_host_defines_them() -> None:
    header = (Path(__file__).parents[2] / "toolchain/runtime/calimero_host.h").read_text()
    kinds = {"uint64_t": "i64", "uint32_t": "i32", "int32_t": "i32"}
    declared = {}
    pattern = r"CALIMERO_IMPORT\((blob_\w+)\)\s+(\w+)\s+\w+\(([^)]*)\)"
    for name, result, params in re.findall(pattern, header):
        args = [p.split()[0] for p in params.split(",") if p.strip() not in ("", "void")]
        declared[name] = f"{' '.join(kinds[a] for a in args)} -> {kinds[result]}".strip()
    assert declared == {imp.name: imp.canonical for imp in BLOB_IMPORTS}
