"""The ``/ws`` event stream against a fake core: subscribe, receive StateMutation pushes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calimero_devnet.ids import from_b58, to_b58
from tests.node.fake_core import WASM_MAGIC, FakeCore
from tests.node.rpc_harness import Harness, running_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(FakeCore(), tmp_path) as harness:
        yield harness


async def new_context(node: Harness, seed: str) -> bytes:
    path = node.node.config.home / "app.wasm"
    path.write_bytes(WASM_MAGIC)
    _, app = await node.admin("POST", "install-dev-application", {"path": str(path)})
    body = {"applicationId": app["data"]["applicationId"], "contextSeed": seed}
    _, ctx = await node.admin("POST", "contexts", body)
    return from_b58(ctx["data"]["contextId"])


async def receive(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return await asyncio.wait_for(ws.receive_json(), timeout=5)


async def test_subscriber_gets_state_mutations_of_its_contexts(node: Harness) -> None:
    watched, other = await new_context(node, "one"), await new_context(node, "two")
    async with node.http.ws_connect("/ws") as ws:
        await ws.send_json(
            {"id": 1, "method": "subscribe", "params": {"contextIds": [to_b58(watched)]}}
        )
        assert await receive(ws) == {"id": 1, "result": {"contextIds": [to_b58(watched)]}}
        await node.execute(other, "set", {"k": 0})
        await node.execute(watched, "set", {"k": 1})
        pushed = await receive(ws)
    event = {"kind": "ItemSet", "data": list(b'{"k":1}'), "handler": None}
    data = {"newRoot": to_b58(b"\3" * 32), "events": [event]}
    result = {"contextId": to_b58(watched), "type": "StateMutation", "data": data}
    assert pushed == {"id": None, "result": result}


async def test_unsubscribe_stops_pushes(node: Harness) -> None:
    ctx = await new_context(node, "three")
    ids = {"contextIds": [to_b58(ctx)]}
    async with node.http.ws_connect("/ws") as ws:
        await ws.send_json({"id": 1, "method": "subscribe", "params": ids})
        await ws.send_json({"id": 2, "method": "unsubscribe", "params": ids})
        assert (await receive(ws))["id"] == 1
        assert await receive(ws) == {"id": 2, "result": {"contextIds": []}}
        await node.execute(ctx, "set", {"k": 2})
        await ws.send_json({"id": 3, "method": "subscribe", "params": {"contextIds": []}})
        assert (await receive(ws))["id"] == 3  # nothing was pushed in between


@pytest.mark.parametrize(
    ("message", "rid", "needle"),
    [
        ("{nope", None, "not valid JSON"),
        ('{"id": 4, "method": "watch"}', 4, "unknown method 'watch'"),
        ('{"id": 5, "method": "subscribe", "params": {"contextIds": "x"}}', 5, "must be a list"),
        ('{"id": 6, "method": "subscribe", "params": {"contextIds": ["abc"]}}', 6, "decodes to"),
    ],
)
async def test_bad_commands_get_errors(node: Harness, message: str, rid: Any, needle: str) -> None:
    async with node.http.ws_connect("/ws") as ws:
        await ws.send_str(message)
        answer = await receive(ws)
        assert answer["id"] == rid
        assert answer["error"]["type"] == "ParseError"
        assert needle in answer["error"]["data"]
        await ws.send_json({"id": 9, "method": "subscribe", "params": {"contextIds": []}})
        assert (await receive(ws))["id"] == 9  # the socket stays usable
