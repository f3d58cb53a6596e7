"""Namespaces and groups through a real node's admin API (real core, real RocksDB store).

The shapes are upstream's: ``namespaceId``/``groupId`` as 64 hex digits, a context created
with ``groupId`` recorded in that group, and clear refusals for what does not fit.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from calimero_devnet.ids import to_b58
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import open_node
from tests.fixtures import load_wat
from tests.node.test_replication_rpc import admin, http_nodes, install


@pytest.fixture
def wasm(tmp_path: Path) -> Path:
    path = tmp_path / "kv_store.wasm"
    path.write_bytes(load_wat("kv_store"))
    return path


async def refused(client: httpx.AsyncClient, path: str, body: object) -> tuple[int, str]:
    response = await client.post(f"/admin-api/{path}", json=body)
    return response.status_code, str(response.json().get("error"))


async def test_a_context_made_in_a_group_is_listed_there(tmp_path: Path, wasm: Path) -> None:
    async with http_nodes(tmp_path, 1) as (_, (node,)):
        app = await install(node, wasm)
        made = await admin(node, "POST", "namespaces", {"applicationId": app, "name": "kv"})
        ns = made["namespaceId"]
        assert bytes.fromhex(ns).hex() == ns
        assert len(ns) == 64
        group = (await admin(node, "POST", f"namespaces/{ns}/groups", {"groupName": "g1"}))[
            "groupId"
        ]
        ctx = await admin(node, "POST", "contexts", {"applicationId": app, "groupId": group})
        ctx2 = await admin(node, "POST", "contexts", {"applicationId": app, "groupId": ns})

        (listed,) = await admin(node, "GET", "namespaces")
        assert listed == {
            "namespaceId": ns, "targetApplicationId": app, "name": "kv", "memberCount": 1,
            "contextCount": 2, "subgroupCount": 1,
        }  # fmt: skip
        (one,) = await admin(node, "GET", f"namespaces/{ns}/groups")
        assert (one["groupId"], one["name"], one["visibility"]) == (group, "g1", "open")
        assert one["contexts"] == [ctx["contextId"]]
        assert (await admin(node, "GET", f"namespaces/{ns}"))["contextCount"] == 2
        assert ctx2["contextId"] != ctx["contextId"]


async def test_namespaces_outlive_a_restart(tmp_path: Path, wasm: Path) -> None:
    config = NodeConfig(home=tmp_path / "n0", name="n0", index=0)
    async with open_node(config) as node:
        assert node.ready is not None
        async with httpx.AsyncClient(base_url=node.ready.url) as client:
            app = await install(client, wasm)
            ns = (await admin(client, "POST", "namespaces", {"applicationId": app}))["namespaceId"]
    async with open_node(config) as node:
        assert node.ready is not None
        async with httpx.AsyncClient(base_url=node.ready.url) as client:
            listed = await admin(client, "GET", "namespaces")
    assert [entry["namespaceId"] for entry in listed] == [ns]


async def test_what_does_not_fit_is_refused_clearly(tmp_path: Path, wasm: Path) -> None:
    other = tmp_path / "other.wasm"
    other.write_bytes(load_wat("probe"))
    async with http_nodes(tmp_path, 1) as (_, (node,)):
        app, app2 = await install(node, wasm), await install(node, other)
        ns = (await admin(node, "POST", "namespaces", {"applicationId": app}))["namespaceId"]
        group = (await admin(node, "POST", f"namespaces/{ns}/groups", {}))["groupId"]

        status, text = await refused(node, "namespaces", {"applicationId": to_b58(b"\x07" * 32)})
        assert (status, "is not installed on node" in text) == (404, True)
        status, text = await refused(node, "contexts", {"applicationId": app2, "groupId": ns})
        assert (status, f"runs application {app}" in text) == (400, True)
        status, text = await refused(node, "contexts", {"applicationId": app, "groupId": "ab"})
        assert (status, "no namespace or group ab" in text) == (404, True)
        status, text = await refused(node, f"namespaces/{group}/groups", {})
        assert (status, "is a group, not a namespace" in text) == (400, True)
        status, text = await refused(node, f"namespaces/{ns}/groups", {"visibility": "public"})
        assert (status, "invalid visibility 'public'" in text) == (400, True)
        assert await admin(node, "GET", "contexts") == {"contexts": []}  # nothing was made
