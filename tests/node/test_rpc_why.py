"""The routes ``devnet why`` reads (DAG and state listing), on real nodes over a memory bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx

from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import NodeService, open_node
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import create_delta
from calimero_devnet.node.sync.messages import DeltaBroadcast
from calimero_devnet.testing.memory_bus import MemoryNetwork
from tests.fixtures import load_wat
from tests.node.test_replication_rpc import admin, execute, install

UNKNOWN = b"\x07" * 32  # a parent no node has


@asynccontextmanager
async def two_nodes(
    tmp_path: Path,
) -> AsyncIterator[tuple[MemoryNetwork, list[NodeService], list[httpx.AsyncClient]]]:
    """Two real nodes on a memory bus, a client each."""
    network = MemoryNetwork()
    async with AsyncExitStack() as stack:
        nodes, clients = [], []
        for index in range(2):
            config = NodeConfig(home=tmp_path / f"n{index}", name=f"n{index}", index=index)
            node = await stack.enter_async_context(
                open_node(config, transport_factory=lambda c: nullcontext(network.attach(c.name)))
            )
            assert node.ready is not None
            nodes.append(node)
            client = httpx.AsyncClient(base_url=node.ready.url, timeout=30)
            clients.append(await stack.enter_async_context(client))
        yield network, nodes, clients


async def shared_context(tmp_path: Path, a: httpx.AsyncClient, b: httpx.AsyncClient) -> str:
    wasm = tmp_path / "kv_store.wasm"
    wasm.write_bytes(load_wat("kv_store"))
    app = await install(a, wasm)
    ctx = str((await admin(a, "POST", "contexts", {"applicationId": app}))["contextId"])
    await install(b, wasm)
    await admin(b, "POST", f"contexts/{ctx}/join")
    return ctx


async def until(check: Any, wait_s: float = 10.0) -> Any:
    """Poll the coroutine function ``check`` until it returns something truthy."""
    deadline = time.monotonic() + wait_s
    while not (found := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return found


async def test_dag_lists_applied_ids_and_a_delta_waiting_on_an_unknown_parent(
    tmp_path: Path,
) -> None:
    async with two_nodes(tmp_path) as (network, (node_a, _), (a, b)):
        ctx = await shared_context(tmp_path, a, b)
        await execute(a, ctx, "set", {"key": "k", "value": "v"})
        record = await admin(a, "GET", f"contexts/{ctx}")
        dag_a = await admin(a, "GET", f"contexts/{ctx}/dag")
        assert dag_a["heads"] == record["dagHeads"]
        assert set(record["dagHeads"]) <= set(dag_a["applied"])
        assert dag_a["pending"] == []
        assert node_a.replicator is not None
        core = node_a.replicator.engine.core
        orphan = create_delta(core.identity, context_id=from_b58(ctx), parents=(UNKNOWN,),
                              hlc=Hlc(time.time_ns(), 1), payload=b"\x00" * 5)  # fmt: skip
        mallory = network.attach("mallory")
        await asyncio.sleep(0)  # let it connect
        await mallory.broadcast(DeltaBroadcast("mallory", from_b58(ctx), orphan))

        async def waiting() -> list[Any]:
            return list((await admin(b, "GET", f"contexts/{ctx}/dag"))["pending"])

        assert await until(waiting) == [
            {"id": to_b58(orphan.id), "waitingFor": [to_b58(UNKNOWN)],
             "missing": [to_b58(UNKNOWN)]}
        ]  # fmt: skip


async def test_state_lists_every_key_with_hash_and_value_the_same_on_both_nodes(
    tmp_path: Path,
) -> None:
    async with two_nodes(tmp_path) as (_, _, (a, b)):
        ctx = await shared_context(tmp_path, a, b)
        await execute(a, ctx, "set", {"key": "colour", "value": "blue"})

        async def listed() -> dict[str, Any] | None:
            seen = await admin(b, "GET", f"contexts/{ctx}/state")
            return seen if any("colour" in e["label"] for e in seen["entries"]) else None

        on_b = await until(listed)
        on_a = await admin(a, "GET", f"contexts/{ctx}/state")
        assert on_a == on_b
        assert on_a["truncated"] is False
        entry = next(e for e in on_a["entries"] if "colour" in e["label"])
        assert bytes.fromhex(entry["key"]).decode().endswith("colour")
        assert b"blue".hex() in entry["value"]  # this app's own value encoding, as stored
        assert set(entry) == {"key", "label", "size", "hash", "value"}
        one = await admin(a, "GET", f"contexts/{ctx}/state?limit=1")
        assert len(one["entries"]) == 1
        assert one["truncated"] is (len(on_a["entries"]) > 1)


async def test_an_unknown_context_is_a_404_and_a_bad_limit_a_400(tmp_path: Path) -> None:
    async with two_nodes(tmp_path) as (_, _, (a, _)):
        missing = to_b58(b"\x01" * 32)
        for route in ("dag", "state"):
            response = await a.get(f"/admin-api/contexts/{missing}/{route}")
            assert response.status_code == 404, response.text
        ctx = await shared_context(tmp_path, a, _)
        response = await a.get(f"/admin-api/contexts/{ctx}/state?limit=0")
        assert response.status_code == 400
        assert "limit must be one integer from 1 to 10000" in response.json()["error"]
