"""Replication through the node's HTTP API: join, sync, status, and the convergence waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest

from calimero_devnet.cluster.convergence import ConvergenceTimeout, wait_converged, wait_value
from calimero_devnet.ids import to_b58
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import open_node
from calimero_devnet.testing.memory_bus import MemoryNetwork
from tests.fixtures import load_wat


@asynccontextmanager
async def http_nodes(
    tmp_path: Path, count: int
) -> AsyncIterator[tuple[MemoryNetwork, list[httpx.AsyncClient]]]:
    """Start ``count`` real nodes on a memory bus; yield a client per node."""
    network = MemoryNetwork()
    async with AsyncExitStack() as stack:
        clients = []
        for index in range(count):
            config = NodeConfig(home=tmp_path / f"n{index}", name=f"n{index}", index=index)
            node = await stack.enter_async_context(
                open_node(config, transport_factory=lambda c: nullcontext(network.attach(c.name)))
            )
            assert node.ready is not None
            client = httpx.AsyncClient(base_url=node.ready.url, timeout=30)
            clients.append(await stack.enter_async_context(client))
        yield network, clients


async def admin(client: httpx.AsyncClient, verb: str, path: str, body: Any = None) -> Any:
    """Call the admin API; return ``data``, failing the test on an error status."""
    response = await client.request(verb, f"/admin-api/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def install(client: httpx.AsyncClient, wasm: Path) -> str:
    """Install the kv-store from a file; return its application id."""
    app = await admin(client, "POST", "install-dev-application", {"path": str(wasm)})
    return str(app["applicationId"])


async def execute(client: httpx.AsyncClient, ctx: str, method: str, args: Any) -> Any:
    """Run one method; return its output."""
    params = {"contextId": ctx, "method": method, "argsJson": args}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    answer = (await client.post("/jsonrpc", json=body)).json()
    assert "result" in answer, answer
    return answer["result"]["output"]


@pytest.fixture
def wasm(tmp_path: Path) -> Path:
    path = tmp_path / "kv_store.wasm"
    path.write_bytes(load_wat("kv_store"))
    return path


async def test_join_write_and_wait_for_convergence_over_http(tmp_path: Path, wasm: Path) -> None:
    async with http_nodes(tmp_path, 3) as (_, (a, b, c)):
        app = await install(a, wasm)
        ctx = (await admin(a, "POST", "contexts", {"applicationId": app}))["contextId"]
        joined = await admin(b, "POST", f"contexts/{ctx}/join")  # without the app: fetched
        assert joined["contextId"] == ctx
        apps = (await admin(b, "GET", "applications"))["apps"]
        assert [(x["id"], x["source"]) for x in apps] == [(app, "peer:n0")]
        await install(c, wasm)
        assert (await admin(c, "POST", f"contexts/{ctx}/join"))["contextId"] == ctx
        for n, client in enumerate((a, b, c)):
            await execute(client, ctx, "set", {"key": f"k{n}", "value": str(n)})
        await execute(b, ctx, "set", {"key": "k", "value": "v"})
        report = await wait_converged([a, b, c], ctx, timeout=15)
        assert report.converged
        await wait_value([a, b, c], ctx, "get", {"key": "k"}, expected="v", timeout=5)
        await wait_value([a, b, c], ctx, "len", timeout=5)
        synced = await admin(c, "POST", "contexts/sync", {"contextId": ctx})
        assert synced["done"] is True
        status = await admin(c, "GET", f"contexts/{ctx}/sync")
        assert set(status["peers"]) == {"n0", "n1"}
        assert status["caughtUp"] is True
        context = await admin(a, "GET", f"contexts/{ctx}")
        assert context["pending"] == 0
        assert len(context["members"]) == 3


async def test_a_timeout_report_names_the_node_that_differs(tmp_path: Path, wasm: Path) -> None:
    async with http_nodes(tmp_path, 2) as (network, (a, b)):
        app = await install(a, wasm)
        ctx = (await admin(a, "POST", "contexts", {"applicationId": app}))["contextId"]
        await install(b, wasm)
        await admin(b, "POST", f"contexts/{ctx}/join")
        await network.set_rules(NetRules(partitions=(frozenset({"n0"}), frozenset({"n1"}))))
        await execute(a, ctx, "set", {"key": "k", "value": "only-a"})
        with pytest.raises(ConvergenceTimeout) as caught:
            await wait_value([a, b], ctx, "get", {"key": "k"}, expected="only-a", timeout=0.3)
        assert f"{b.base_url}".rstrip("/") + ": returned None, expected 'only-a'" in str(
            caught.value
        )
        with pytest.raises(ConvergenceTimeout, match="heads") as state:
            await wait_converged([a, b], ctx, timeout=0.3)
        assert not state.value.report.converged
        unknown = to_b58(b"\x05" * 32)
        with pytest.raises(ConvergenceTimeout, match="HTTP 404"):
            await wait_converged([a, b], unknown, timeout=0.2)
        await network.set_rules(HEALTHY)
        await wait_value([a, b], ctx, "get", {"key": "k"}, expected="only-a", timeout=10)
        assert (await wait_converged([a, b], ctx, timeout=10)).converged


async def test_health_and_feed_report_the_bus_connection(tmp_path: Path) -> None:
    async with http_nodes(tmp_path, 1) as (network, (node,)):
        assert (await admin(node, "GET", "health"))["bus"]["state"] == "connected"
        await network.set_rules(NetRules(disconnected=frozenset({"n0"})))
        bus = (await admin(node, "GET", "health"))["bus"]
        assert (bus["state"], bus["error"]) == ("disconnected", "disconnected")
        await network.set_rules(HEALTHY)
        assert (await admin(node, "GET", "health"))["bus"]["state"] == "connected"
        await asyncio.sleep(0.1)  # the feed task publishes on its next turn
    events = [e for _, m in network.feed for e in (m["events"] if m["event"] == "batch" else [m])]
    links = [event["state"] for event in events if event["event"] == "link"]
    assert links == ["connected", "disconnected", "connected"]
