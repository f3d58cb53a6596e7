"""Traced ``execute`` (a devnet extension) and the ``authored`` feed event, over real nodes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest

from calimero_devnet.ids import to_b58
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import open_node
from calimero_devnet.testing.memory_bus import MemoryNetwork
from tests.fixtures import load_wat
from tests.node.replication_helpers import eventually, feed_of, replicas


@asynccontextmanager
async def feeding_node(tmp_path: Path) -> AsyncIterator[tuple[MemoryNetwork, httpx.AsyncClient]]:
    """One real node replicating on a memory bus (so it publishes its feed)."""
    network = MemoryNetwork()
    config = NodeConfig(home=tmp_path / "n0", name="n0", index=1)
    opening = open_node(config, transport_factory=lambda c: nullcontext(network.attach(c.name)))
    async with opening as node:
        assert node.ready is not None
        async with httpx.AsyncClient(base_url=node.ready.url, timeout=30) as client:
            yield network, client


async def admin(client: httpx.AsyncClient, verb: str, path: str, body: Any = None) -> Any:
    response = await client.request(verb, f"/admin-api/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def kv_context(client: httpx.AsyncClient, tmp_path: Path) -> str:
    wasm = tmp_path / "kv_store.wasm"
    wasm.write_bytes(load_wat("kv_store"))
    app = await admin(client, "POST", "install-dev-application", {"path": str(wasm)})
    ctx = await admin(client, "POST", "contexts", {"applicationId": app["applicationId"]})
    return str(ctx["contextId"])


async def execute(client: httpx.AsyncClient, params: dict[str, Any]) -> Any:
    body = {"jsonrpc": "2.0", "id": 7, "method": "execute", "params": params}
    response = await client.post("/jsonrpc", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_traced_call_reports_logs_events_fuel_and_the_feeds_delta(tmp_path: Path) -> None:
    async with feeding_node(tmp_path) as (network, client):
        ctx = await kv_context(client, tmp_path)
        params = {"contextId": ctx, "method": "set", "argsJson": {"key": "a", "value": "1"}}
        answer = await execute(client, params | {"trace": True})
        result = answer["result"]
        assert result["output"] is None
        trace = result["trace"]
        assert set(trace) == {"logs", "events", "fuelUsed", "durationMs", "delta", "root"}
        assert trace["logs"] == ["kv: set a"]
        assert trace["events"] == [{"kind": "Inserted", "data": '{"key":"a","value":"1"}'}]
        assert isinstance(trace["fuelUsed"], int)
        assert trace["fuelUsed"] > 0
        assert trace["durationMs"] > 0
        context = await admin(client, "GET", f"contexts/{ctx}")
        assert context["dagHeads"] == [trace["delta"]]
        assert trace["root"] == context["rootHash"]

        def authored() -> list[dict[str, Any]]:
            return [e for e in feed_of(network, "n0", "authored") if e["delta"] == trace["delta"]]

        await eventually(lambda: bool(authored()))
        [event] = authored()
        delta = await admin(client, "GET", f"contexts/{ctx}/deltas/{trace['delta']}")
        identity = await admin(client, "GET", "identity")
        assert event["author"] == identity["publicKey"] == delta["author"]
        assert event["hlc"] == delta["hlc"]["time"]
        assert event["summary"] == f"artifact {delta['payloadSize']} B"
        assert event["actions"] == 0
        assert event["events"] == 1


async def test_without_trace_the_result_keeps_the_upstream_shape(tmp_path: Path) -> None:
    async with feeding_node(tmp_path) as (_, client):
        ctx = await kv_context(client, tmp_path)
        params = {"contextId": ctx, "method": "set", "argsJson": {"key": "a", "value": "1"}}
        assert (await execute(client, params))["result"] == {"output": None}
        view = {"contextId": ctx, "method": "get", "argsJson": {"key": "a"}}
        assert (await execute(client, view | {"trace": False}))["result"] == {"output": "1"}
        traced = (await execute(client, view | {"trace": True}))["result"]
        assert traced["output"] == "1"
        assert traced["trace"]["delta"] is None  # a view commits nothing
        context = await admin(client, "GET", f"contexts/{ctx}")
        assert traced["trace"]["root"] == context["rootHash"]
        assert traced["trace"]["fuelUsed"] > 0


@pytest.mark.parametrize("trace", ["yes", 1, None, {}, [True]])
async def test_a_trace_that_is_not_a_boolean_is_a_parse_error(tmp_path: Path, trace: Any) -> None:
    async with feeding_node(tmp_path) as (_, client):
        ctx = await kv_context(client, tmp_path)
        params = {"contextId": ctx, "method": "get", "argsJson": {"key": "a"}, "trace": trace}
        answer = await execute(client, params)
        assert answer["error"]["type"] == "ParseError"
        assert "params.trace must be true or false" in answer["error"]["data"]


async def test_authored_summarises_host_actions_from_the_first_actions(tmp_path: Path) -> None:
    async with replicas(tmp_path, 1) as (network, [node]):
        app = await node.run(lambda core: core.install_application(load_wat("js_like"),
                                                                   source="t"))  # fmt: skip
        ctx = (await node.run(lambda core: core.create_context(app, seed=b"feed"))).id
        result = await node.run(lambda core: core.execute(ctx, "set", b'k="1"'))
        assert result.delta is not None
        delta = result.delta
        await eventually(
            lambda: any(e["delta"] == to_b58(delta.id) for e in feed_of(network, "n0", "authored"))
        )
        [event] = [e for e in feed_of(network, "n0", "authored") if e["delta"] == to_b58(delta.id)]
        assert event["summary"].endswith('[k] = "1"')
        assert event["summary"].startswith("map ")
        assert event["actions"] == 1
        assert event["kind"] == "host-actions"
        assert event["author"] == to_b58(node.core.public_key)
        assert event["hlc"] == delta.hlc.time
        json.dumps(event)  # the feed is JSON
