"""The HTTP layer over the real NodeCore and wasmtime runtime, in this process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.runtime import Limits, Runtime
from calimero_devnet.node.state.core import NodeCore
from tests.fixtures import load_wat
from tests.node.rpc_harness import Harness, misbehaving_wasm, running_node

# Enough fuel for the kv-store, little enough that an endless loop ends in well under 1 s.
TEST_FUEL = 20_000_000


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    runtime = Runtime(tmp_path / "wasm-cache", limits=Limits(fuel=TEST_FUEL))
    core = NodeCore.open(tmp_path / "home", name="rpc-test", index=1, runtime=runtime)
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


async def deploy(node: Harness, wasm: bytes, tmp_path: Path) -> bytes:
    """Install ``wasm`` by path and create a context of it; return the context id."""
    path = tmp_path / f"app-{len(wasm)}.wasm"
    path.write_bytes(wasm)
    status, app = await node.admin("POST", "install-dev-application", {"path": str(path)})
    assert status == 200, app
    body = {"applicationId": app["data"]["applicationId"]}
    status, ctx = await node.admin("POST", "contexts", body)
    assert status == 200, ctx
    return from_b58(ctx["data"]["contextId"])


@pytest.fixture
async def kv(node: Harness, tmp_path: Path) -> bytes:
    return await deploy(node, load_wat("kv_store"), tmp_path)


async def output(node: Harness, ctx: bytes, method: str, args: Any = None) -> Any:
    answer = await node.execute(ctx, method, args)
    assert "result" in answer, answer
    return answer["result"]["output"]


async def test_set_then_get(node: Harness, kv: bytes) -> None:
    assert await output(node, kv, "set", {"key": "a", "value": "1"}) is None
    assert await output(node, kv, "get", {"key": "a"}) == "1"
    assert await output(node, kv, "len") == 1
    status, ctx = await node.admin("GET", f"contexts/{to_b58(kv)}")
    assert status == 200
    assert ctx["data"]["rootHash"] is not None
    assert len(ctx["data"]["dagHeads"]) == 1


async def test_call_errors(node: Harness, kv: bytes) -> None:
    missing = await node.execute(kv, "remove_everything")
    assert missing["error"]["type"] == "FunctionCallError"  # as upstream: its client knows it
    assert missing["error"]["kind"] == "MethodNotFound"
    unknown = await node.execute(bytes(32), "get", {"key": "a"})
    assert unknown["error"]["type"] == "CallError"
    assert unknown["error"]["data"]["type"] == "ContextNotFound"


async def test_app_error_carries_its_json(node: Harness, kv: bytes) -> None:
    answer = await node.execute(kv, "get_result", {"key": "never-set"})
    error = {"type": "FunctionCallError", "data": {"kind": "NotFound", "data": "never-set"}}
    assert answer == {"jsonrpc": "2.0", "id": 1, "error": error}


async def test_panic_and_endless_loop_leave_the_node_serving(node: Harness, tmp_path: Path) -> None:
    ctx = await deploy(node, misbehaving_wasm(), tmp_path)
    boom = await node.execute(ctx, "boom")
    assert boom["error"]["type"] == "FunctionCallError"
    assert "oops" in boom["error"]["data"]
    assert "boom.rs:12:5" in boom["error"]["data"]
    spin = await node.execute(ctx, "spin")
    assert spin["error"]["type"] == "FunctionCallError"
    assert "fuel" in spin["error"]["data"]
    assert await node.admin("GET", "health") == (200, {"data": {"status": "alive", "bus": None}})


async def test_not_wasm_is_refused_on_install(node: Harness, tmp_path: Path) -> None:
    path = tmp_path / "readme.txt"
    path.write_text("not a module")
    status, answer = await node.admin("POST", "install-dev-application", {"path": str(path)})
    assert status == 400
    assert str(path) in answer["error"] or "WASM" in answer["error"]


async def test_websocket_sees_a_set(node: Harness, kv: bytes) -> None:
    async with node.http.ws_connect("/ws") as ws:
        await ws.send_json({"id": 1, "method": "subscribe", "params": {"contextIds": [to_b58(kv)]}})
        assert (await asyncio.wait_for(ws.receive_json(), 5))["id"] == 1
        await output(node, kv, "set", {"key": "b", "value": "2"})
        pushed = await asyncio.wait_for(ws.receive_json(), 5)
    _, ctx = await node.admin("GET", f"contexts/{to_b58(kv)}")
    assert pushed["result"]["type"] == "StateMutation"
    assert pushed["result"]["contextId"] == to_b58(kv)
    assert pushed["result"]["data"]["newRoot"] == ctx["data"]["rootHash"]
    [event] = pushed["result"]["data"]["events"]
    assert event["kind"] == "Inserted"
    assert json.loads(bytes(event["data"])) == {"key": "b", "value": "2"}
