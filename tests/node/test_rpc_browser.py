"""The node's HTTP surface against web pages, over the real HTTP stack: a foreign Origin is
refused, bodies must be JSON, CORS preflights are answered for loopback origins only; the
CLI (no Origin) and a local web app (loopback Origin, JSON with a charset) keep working."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calimero_devnet.auth import loopback_origin
from calimero_devnet.ids import to_b58
from tests.node.fake_core import WASM_MAGIC, FakeCore
from tests.node.rpc_harness import Harness, running_node

LOCAL_APP = "http://localhost:5173"


@pytest.fixture
async def fake() -> FakeCore:
    return FakeCore()


@pytest.fixture
async def node(fake: FakeCore, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(fake, tmp_path) as harness:
        yield harness


def execute_body(ctx: bytes) -> bytes:
    params = {"contextId": to_b58(ctx), "method": "echo", "argsJson": {"k": "v"}}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}).encode()


def context_of(fake: FakeCore) -> bytes:
    return fake.create_context(fake.install_application(WASM_MAGIC, source="t")).id


async def post(
    node: Harness, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with node.http.post(path, data=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None), resp


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:3000", "https://localhost:5173"],
)
def test_loopback_origins(origin: str) -> None:
    assert loopback_origin(origin)


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "http://127.0.0.1.evil.example", "http://localhost@evil.example",
     "http://localhost:99999", "file://", "http://localhost/path", "ws://localhost:1"],
)  # fmt: skip
def test_foreign_origins(origin: str) -> None:
    assert not loopback_origin(origin)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/jsonrpc", "text/plain"),
        ("/jsonrpc", "application/x-www-form-urlencoded"),
        ("/jsonrpc", "multipart/form-data; boundary=x"),
        ("/admin-api/contexts", "text/plain;charset=UTF-8"),
        ("/admin-api/install-dev-application", "application/x-www-form-urlencoded"),
    ],
)
async def test_bodies_that_are_not_json_are_refused(
    node: Harness, fake: FakeCore, path: str, content_type: str
) -> None:
    body = execute_body(context_of(fake)) if path == "/jsonrpc" else b'{"path":"/x.wasm"}'
    status, answer, _ = await post(node, path, body, {"Content-Type": content_type})
    assert status == 415
    text = json.dumps(answer)
    assert "must be JSON (application/json)" in text
    if path == "/jsonrpc":
        assert answer["error"]["type"] == "ParseError"
    assert len(fake.contexts()) == (1 if path == "/jsonrpc" else 0)  # nothing was created


async def test_a_foreign_origin_is_refused_whatever_it_sends(node: Harness, fake: FakeCore) -> None:
    ctx = context_of(fake)
    headers = {"Content-Type": "application/json", "Origin": "https://evil.example"}
    status, answer, resp = await post(node, "/jsonrpc", execute_body(ctx), headers)
    assert status == 403
    assert "web origin 'https://evil.example' are refused" in answer["error"]["data"]
    assert "Access-Control-Allow-Origin" not in resp.headers
    async with node.http.get("/admin-api/identity", headers={"Origin": "null"}) as got:
        assert got.status == 403
    async with node.http.options("/jsonrpc", headers={"Origin": "https://evil.example",
                                 "Access-Control-Request-Method": "POST"}) as pre:  # fmt: skip
        assert pre.status == 403
        assert "Access-Control-Allow-Origin" not in pre.headers
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await node.http.ws_connect("/ws", headers={"Origin": "https://evil.example"})


async def test_a_loopback_preflight_is_answered(node: Harness) -> None:
    headers = {"Origin": LOCAL_APP, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    async with node.http.options("/admin-api/contexts", headers=headers) as pre:
        assert pre.status == 204
        assert pre.headers["Access-Control-Allow-Origin"] == LOCAL_APP
        assert "POST" in pre.headers["Access-Control-Allow-Methods"]
        assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("origin", [None, LOCAL_APP])
async def test_json_clients_keep_working(node: Harness, fake: FakeCore, origin: str | None) -> None:
    ctx = context_of(fake)
    headers = {"Content-Type": "application/json; charset=utf-8"}  # what axios sends
    if origin is not None:
        headers["Origin"] = origin
    status, answer, resp = await post(node, "/jsonrpc", execute_body(ctx), headers)
    assert (status, answer["result"]) == (200, {"output": {"k": "v"}})
    assert resp.headers.get("Access-Control-Allow-Origin") == origin
    async with node.http.post(f"/admin-api/contexts/{to_b58(ctx)}/join", headers={}) as bare:
        assert bare.status == 501  # a bodiless POST needs no content type (no broker here)
    ws = await node.http.ws_connect("/ws", headers={"Origin": origin} if origin else {})
    await ws.close()
