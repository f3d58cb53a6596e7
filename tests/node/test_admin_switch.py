"""``POST /admin-api/contexts/<id>/application``: hot redeploy keeps the context's state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import open_node
from tests.fixtures import load_wat


def with_custom_section(wasm: bytes, tag: bytes) -> bytes:
    """The same module with a custom section appended: new bytes, so a new app id."""
    payload = bytes([len(tag)]) + tag
    return wasm + b"\x00" + bytes([len(payload)]) + payload


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One real node (NodeCore on RocksDB, WAT kv-store) and a client of it."""
    async with open_node(NodeConfig(home=tmp_path / "home", name="n1")) as node:
        assert node.ready is not None
        async with httpx.AsyncClient(base_url=node.ready.url, timeout=30) as http:
            yield http


async def admin(client: httpx.AsyncClient, path: str, body: Any = None) -> tuple[int, Any]:
    response = await client.post(f"/admin-api/{path}", json=body)
    return response.status_code, response.json()


async def execute(client: httpx.AsyncClient, ctx: str, method: str, args: Any) -> Any:
    params = {"contextId": ctx, "method": method, "argsJson": args}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    return (await client.post("/jsonrpc", json=body)).json()


async def install(client: httpx.AsyncClient, path: Path, wasm: bytes) -> str:
    await asyncio.to_thread(path.write_bytes, wasm)
    status, answer = await admin(client, "install-dev-application", {"path": str(path)})
    assert status == 200, answer
    return str(answer["data"]["applicationId"])


async def test_switching_the_app_keeps_the_state(client: httpx.AsyncClient, tmp_path: Path) -> None:
    v1 = await install(client, tmp_path / "v1.wasm", load_wat("kv_store"))
    v2 = await install(
        client, tmp_path / "v2.wasm", with_custom_section(load_wat("kv_store"), b"v2")
    )
    assert v1 != v2
    _, created = await admin(client, "contexts", {"applicationId": v1, "contextSeed": "s"})
    ctx = created["data"]["contextId"]
    assert "result" in await execute(client, ctx, "set", {"key": "a", "value": "1"})

    status, answer = await admin(client, f"contexts/{ctx}/application", {"applicationId": v2})

    assert status == 200, answer
    assert answer["data"]["applicationId"] == v2
    record = (await client.get(f"/admin-api/contexts/{ctx}")).json()["data"]
    assert record["applicationId"] == v2
    assert (await execute(client, ctx, "get", {"key": "a"}))["result"]["output"] == "1"
    assert "result" in await execute(client, ctx, "set", {"key": "b", "value": "2"})


async def test_switching_is_refused_for_unknown_apps_and_contexts(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    v1 = await install(client, tmp_path / "v1.wasm", load_wat("kv_store"))
    _, created = await admin(client, "contexts", {"applicationId": v1, "contextSeed": "s"})
    ctx = created["data"]["contextId"]
    missing_app = "11111111111111111111111111111111"  # 32 zero bytes in base58
    status, _ = await admin(client, f"contexts/{ctx}/application", {"applicationId": missing_app})
    assert status == 404
    status, answer = await admin(
        client, f"contexts/{missing_app}/application", {"applicationId": v1}
    )
    assert status == 404
    assert "not found" in answer["error"]
    status, answer = await admin(client, f"contexts/{ctx}/application", {"applicationId": 7})
    assert status == 400
    assert "applicationId" in answer["error"]
    status, answer = await admin(
        client, f"contexts/{ctx}/application", {"applicationId": v1, "force": "yes"}
    )
    assert status == 400
    assert "force must be true or false" in answer["error"]


async def test_deleting_a_context_answers_in_upstream_shape_and_forgets_it(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    v1 = await install(client, tmp_path / "v1.wasm", load_wat("kv_store"))
    _, created = await admin(client, "contexts", {"applicationId": v1, "contextSeed": "s"})
    ctx = created["data"]["contextId"]
    assert "result" in await execute(client, ctx, "set", {"key": "a", "value": "1"})

    response = await client.delete(f"/admin-api/contexts/{ctx}")
    assert (response.status_code, response.json()) == (200, {"data": {"isDeleted": True}})
    assert (await client.get(f"/admin-api/contexts/{ctx}")).status_code == 404
    assert (await client.delete(f"/admin-api/contexts/{ctx}")).status_code == 404
    again = await admin(client, "contexts", {"applicationId": v1, "contextSeed": "s"})
    assert again[0] == 200, again
    answer = await execute(client, ctx, "get", {"key": "a"})
    assert answer["result"]["output"] is None  # a new context under the same id starts empty
