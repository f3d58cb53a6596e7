"""The control endpoint's own refusals, before any cluster is touched: a missing or wrong
token is a 401, a malformed latency or partition request a 400 (a string for ``loss`` or a
number for a node name was a 500); and a partition publishes the groups it checked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from calimero_devnet.cluster.control.endpoint import control_app, serve_app
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules

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


@pytest.mark.parametrize(
    ("path", "message"),
    [("/snapshots/s1/undo", "unknown snapshot action 'undo'"),
     ("/snapshots/.hidden/save", "snapshot name '.hidden': use 1-64 letters")],
)  # fmt: skip
async def test_a_snapshot_request_is_checked_before_the_cluster_is_asked(
    path: str, message: str
) -> None:
    answer = await post(None, path, {})  # the stand-in cluster has no snapshot methods at all
    assert (answer.status_code, answer.json()["kind"]) == (400, "ConfigError")
    assert answer.json()["error"].startswith(message)


@pytest.mark.parametrize("groups", [[[1]], [["node-1", None]], [[["node-1"]]]])
async def test_partition_groups_must_hold_names(groups: Any) -> None:
    answer = await post(None, "/net/partition", {"groups": groups})  # a 500 before
    assert (answer.status_code, answer.json()["kind"]) == (400, "ConfigError")


async def test_a_partition_publishes_the_groups_it_checked() -> None:
    published: list[NetRules] = []

    async def publish(rules: NetRules) -> NetRules:
        published.append(rules)
        return rules

    names = ["node-1", "node-2", "node-3"]
    owner = SimpleNamespace(_all_names=lambda: names, rules=HEALTHY, _publish=publish)
    await Cluster.partition(owner, [["node-1,node-2"], ["node-3"]])  # type: ignore[arg-type]
    # "node-1,node-2" passed the check as two nodes; it used to be published as one name
    assert published[0].partitions == (frozenset({"node-1", "node-2"}), frozenset({"node-3"}))
