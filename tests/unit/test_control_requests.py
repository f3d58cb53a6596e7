"""The control endpoint's own refusals, before any cluster is touched: a missing or wrong
token is a 401, a malformed latency request a 400 (a string for ``loss`` was a 500)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from calimero_devnet.cluster.control.endpoint import control_app, serve_app

TOKEN = "a-control-token-0123456789"
LATENCY = {"from": "node-1", "to": "node-2"}


async def post(token: str | None, path: str, body: Any) -> httpx.Response:
    """POST to a control endpoint over a stand-in cluster that wants ``token``."""
    app = control_app(SimpleNamespace(token=token))  # type: ignore[arg-type]
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        return await http.post(path, json=body)


@pytest.mark.parametrize(
    "body",
    [LATENCY | {"ms": "50"}, LATENCY | {"ms": [1]}, LATENCY | {"loss": "x"},
     LATENCY | {"ms": True}, LATENCY | {"both": "yes"}],
)  # fmt: skip
async def test_a_malformed_latency_request_is_a_400(body: dict[str, Any]) -> None:
    answer = await post(None, "/net/latency", body)
    assert (answer.status_code, answer.json()["kind"]) == (400, "ConfigError")
    assert answer.json()["error"].startswith("latency: ")


async def test_the_token_guards_every_route() -> None:
    app = control_app(SimpleNamespace(token=TOKEN))  # type: ignore[arg-type]
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
        for path in ("/status", "/events", "/apps"):
            refused = await http.get(path)
            assert (refused.status_code, refused.json()["kind"]) == (401, "ClusterError")
        wrong = {"Authorization": "Bearer not-the-control-token"}
        assert (await http.post("/net/heal", json={}, headers=wrong)).status_code == 401
    through = await post(TOKEN, "/net/latency", LATENCY | {"ms": "x"})
    assert through.status_code == 400  # past the guard, into the handler
