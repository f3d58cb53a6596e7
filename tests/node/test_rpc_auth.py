"""The node's optional bearer token (``[security] token``), over the real HTTP stack: without
it, or with a wrong one, every route but the health probe answers 401 in the node's JSON
error shapes; with it, JSON-RPC, the admin API and the ``/ws`` stream work as before."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from calimero_devnet.auth import authorized, new_token, valid_token
from tests.node.fake_core import FakeCore
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc_browser import LOCAL_APP, context_of, execute_body

TOKEN = "s3cret-token-for-tests"
WRONG = {
    "none": {},
    "wrong": {"Authorization": "Bearer s3cret-token-for-tesTs"},
    "prefix": {"Authorization": "Bearer s3cret"},
    "basic": {"Authorization": f"Basic {TOKEN}"},
    "bare": {"Authorization": TOKEN},
}
RIGHT = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def fake() -> FakeCore:
    return FakeCore()


@pytest.fixture
async def node(fake: FakeCore, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(fake, tmp_path, token=TOKEN) as harness:
        yield harness


def test_the_header_check() -> None:
    assert authorized(f"Bearer {TOKEN}", TOKEN)
    assert authorized(f"bearer  {TOKEN} ", TOKEN)  # the scheme is case-insensitive
    assert not authorized(None, TOKEN)
    assert not authorized("Bearer \udcff", TOKEN)  # a lone surrogate is just a wrong token
    assert valid_token(new_token())
    assert not valid_token("short")
    assert not valid_token("has a space in it, sixteen+")


@pytest.mark.parametrize("headers", WRONG.values(), ids=WRONG.keys())
async def test_no_token_or_a_wrong_one_is_refused(
    node: Harness, fake: FakeCore, headers: dict[str, str]
) -> None:
    ctx = context_of(fake)
    body = execute_body(ctx)
    sent = {"Content-Type": "application/json", **headers}
    async with node.http.post("/jsonrpc", data=body, headers=sent) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        answer = await resp.json()
    assert answer["error"]["type"] == "Unauthorized"
    assert "Authorization: Bearer <token>" in answer["error"]["data"]
    async with node.http.get("/admin-api/contexts", headers=headers) as resp:
        assert (resp.status, (await resp.json())["type"]) == (401, "Unauthorized")
    create = {"applicationId": "x", "initializationParams": {}}
    async with node.http.post("/admin-api/contexts", json=create, headers=headers) as resp:
        assert resp.status == 401
    assert len(fake.contexts()) == 1  # nothing was created
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await node.http.ws_connect("/ws", headers=headers)
    assert refused.value.status == 401
    assert TOKEN not in json.dumps(answer)


async def test_the_token_opens_every_route(node: Harness, fake: FakeCore) -> None:
    ctx = context_of(fake)
    sent = {"Content-Type": "application/json", **RIGHT}
    async with node.http.post("/jsonrpc", data=execute_body(ctx), headers=sent) as resp:
        assert (resp.status, (await resp.json())["result"]) == (200, {"output": {"k": "v"}})
    async with node.http.get("/admin-api/contexts", headers=RIGHT) as resp:
        assert resp.status == 200
    ws = await node.http.ws_connect("/ws", headers=RIGHT)
    await ws.close()


async def test_the_health_probe_and_preflights_stay_open(node: Harness) -> None:
    async with node.http.get("/admin-api/health") as resp:
        assert resp.status == 200
    headers = {"Origin": LOCAL_APP, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    async with node.http.options("/jsonrpc", headers=headers) as pre:  # browsers send no token
        assert pre.status == 204
        assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
