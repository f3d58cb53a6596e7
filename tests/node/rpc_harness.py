"""Provides an in-process node on a loopback port plus an HTTP client, for RPC tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from calimero_devnet.ids import to_b58
from calimero_devnet.node.rpc.worker import Core
from calimero_devnet.node.service import NodeConfig, NodeService, open_node


@dataclass
class Harness:
    """A running node and a client session bound to its base URL."""

    node: NodeService
    http: aiohttp.ClientSession

    async def rpc(self, body: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
        """POST a JSON-RPC body (or raw bytes); return status and parsed JSON (None if empty)."""
        data = raw if raw is not None else aiohttp.JsonPayload(body)
        async with self.http.post("/jsonrpc", data=data) as resp:
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
