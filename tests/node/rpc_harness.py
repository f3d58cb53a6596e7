"""Provides an in-process node on a loopback port plus an HTTP client, for RPC tests."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import wasmtime

from calimero_devnet.ids import to_b58
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.rpc.worker import Core
from calimero_devnet.node.service import NodeService, open_node


@dataclass
class Harness:
    """A running node and a client session bound to its base URL."""

    node: NodeService
    http: aiohttp.ClientSession

    async def rpc(self, body: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
        """POST a JSON-RPC body (or raw bytes); return status and parsed JSON (None if empty)."""
        data = raw if raw is not None else aiohttp.JsonPayload(body)
        headers = {"Content-Type": "application/json"}  # raw bytes too: the node wants JSON
        async with self.http.post("/jsonrpc", data=data, headers=headers) as resp:
            text = await resp.text()
            return resp.status, (None if not text else await resp.json(content_type=None))

    async def execute(self, ctx: bytes, method: str, args: Any = None, rid: Any = 1) -> Any:
        """Run ``execute`` and return the whole JSON-RPC response."""
        params: dict[str, Any] = {"contextId": to_b58(ctx), "method": method}
        if args is not None:
            params["argsJson"] = args
        body = {"jsonrpc": "2.0", "id": rid, "method": "execute", "params": params}
        status, answer = await self.rpc(body)
        assert status == 200, answer
        return answer

    async def admin(self, verb: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call ``/admin-api/<path>``; return status and parsed JSON."""
        async with self.http.request(verb, f"/admin-api/{path}", json=body) as resp:
            return resp.status, await resp.json()


@asynccontextmanager
async def running_node(core: Core, home: Path, **options: Any) -> AsyncIterator[Harness]:
    """Start a node around ``core`` in this loop; stop it when the block ends."""
    config = replace(NodeConfig(home=home, name="test-node"), **options)
    async with open_node(config, lambda _: core) as node:
        assert node.ready is not None
        async with aiohttp.ClientSession(base_url=node.ready.url) as http:
            yield Harness(node, http)


def _buf(ptr: int, size: int) -> bytes:
    return struct.pack("<QQ", ptr, size)


def _wat_bytes(raw: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in raw)


# Buffers at 0..103 point at the bytes at 512..: key "k", value "v", a 32-byte root,
# an empty-actions artifact, the panic message and its Location (file, line 12, column 5).
_DESCRIPTORS = (
    _buf(512, 1) + _buf(513, 1) + _buf(520, 32) + _buf(560, 5) + _buf(600, 4)
    + _buf(620, 7) + struct.pack("<II", 12, 5)
)  # fmt: skip
_MISBEHAVING_APP = f"""
(module
  (import "env" "storage_write" (func $write (param i64 i64 i64) (result i32)))
  (import "env" "commit" (func $commit (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{_wat_bytes(_DESCRIPTORS)}")
  (data (i32.const 512) "kv")
  (data (i32.const 520) "{_wat_bytes(bytes([17]) * 32)}")
  (data (i32.const 560) "{_wat_bytes(bytes(5))}")
  (data (i32.const 600) "oops")
  (data (i32.const 620) "boom.rs")
  (func (export "init") (drop (call $write (i64.const 0) (i64.const 16) (i64.const 1)))
    (call $commit (i64.const 32) (i64.const 48)))
  (func (export "boom") (call $panic (i64.const 64) (i64.const 80)))
  (func (export "spin") (loop $forever (br $forever))))
"""


def misbehaving_wasm() -> bytes:
    """An app whose ``init`` commits, ``boom`` panics and ``spin`` loops until out of fuel."""
    return bytes(wasmtime.wat2wasm(_MISBEHAVING_APP))
