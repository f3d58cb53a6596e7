"""The manager's clients of the delta and trace API (NodeClient, ClusterAccess) on a real node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.cluster.access import ClusterAccess
from calimero_devnet.cluster.nodeclient import AdminError, NodeClient
from calimero_devnet.cluster.status import NodeRef
from calimero_devnet.errors import ClusterError, MethodNotFound, ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.runtime import Limits, Runtime
from calimero_devnet.node.state.core import NodeCore
from tests.fixtures import load_wat
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc import deploy


class Fixed(ClusterAccess):
    """A cluster of one running node ``n0``, a stopped node ``down`` and ``stale``, stopped
    but with its last URL still known."""

    def __init__(self, url: str, context_id: str) -> None:
        self.cluster_id = "test"
        self.contexts = {"kv": context_id}
        self.apps = {}
        self._url = url

    def refs(self) -> list[NodeRef]:
        return [NodeRef("n0", self._url, 1, True), NodeRef("down", None, None, False),
                NodeRef("stale", self._url, None, False)]  # fmt: skip


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    runtime = Runtime(tmp_path / "wasm-cache", limits=Limits(fuel=20_000_000))
    core = NodeCore.open(tmp_path / "home", name="client-test", index=1, runtime=runtime)
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


@pytest.fixture
async def kv(node: Harness, tmp_path: Path) -> str:
    return to_b58(await deploy(node, load_wat("kv_store"), tmp_path))


def url_of(node: Harness) -> str:
    assert node.node.ready is not None
    return node.node.ready.url


async def test_node_client_reads_deltas_and_traces_calls(node: Harness, kv: str) -> None:
    async with NodeClient("n0", url_of(node)) as client:
        result = await client.execute_traced(kv, "set", {"key": "a", "value": "1"})
        assert result["output"] is None
        delta_id = result["trace"]["delta"]
        assert result["trace"]["fuelUsed"] > 0
        delta = await client.delta(kv, delta_id)
        assert delta["id"] == delta_id
        assert delta["signatureValid"] is True
        recent = await client.recent_deltas(kv, limit=1)
        assert recent["heads"] == [delta_id]
        assert [entry["id"] for entry in recent["deltas"]] == [delta_id]
        assert recent["truncated"] is True  # the genesis delta is older
        assert await client.execute(kv, "get", {"key": "a"}) == "1"  # untraced: the output
        with pytest.raises(MethodNotFound):
            await client.execute_traced(kv, "nope", {})
        with pytest.raises(AdminError) as missing:
            await client.delta(kv, to_b58(bytes(32)))
        assert missing.value.status == 404
        assert missing.value.kind == "DeltaNotFound"
        with pytest.raises(AdminError) as bad:
            await client.recent_deltas(kv, limit=0)
        assert bad.value.status == 400


async def test_cluster_access_routes_to_the_named_running_node(node: Harness, kv: str) -> None:
    cluster = Fixed(url_of(node), kv)
    result = await cluster.call_traced("n0", "set", {"key": "b", "value": "2"})
    assert result["trace"]["events"] == [{"kind": "Inserted", "data": '{"key":"b","value":"2"}'}]
    delta = await cluster.delta("n0", result["trace"]["delta"], context="kv")
    assert delta["contextId"] == kv
    recent = await cluster.recent_deltas("n0", limit=2)
    assert recent["deltas"][0]["id"] == result["trace"]["delta"]
    assert len(recent["deltas"]) == 2
    assert (await cluster.call_traced("n0", "get", {"key": "b"}, context=kv))["output"] == "2"


@pytest.mark.parametrize("verb", ["call_traced", "delta", "recent_deltas"])
async def test_cluster_access_refuses_stopped_and_unknown_nodes(
    node: Harness, kv: str, verb: str
) -> None:
    cluster = Fixed(url_of(node), kv)

    async def ask(name: str) -> dict[str, Any]:
        if verb == "call_traced":
            return await cluster.call_traced(name, "get", {"key": "a"})
        if verb == "delta":
            return await cluster.delta(name, to_b58(bytes(32)))
        return await cluster.recent_deltas(name)

    for stopped in ("down", "stale"):
        with pytest.raises(ClusterError, match=f"{stopped} is not running: start it with"):
            await ask(stopped)
    with pytest.raises(ClusterError, match="no node named 'ghost'"):
        await ask("ghost")


async def test_a_lone_surrogate_reaches_the_node_and_gets_its_parse_error(
    node: Harness, kv: str
) -> None:
    async with NodeClient("n0", url_of(node)) as client:
        with pytest.raises(ParseError, match=r"lone surrogate \('\\ud800'\)"):
            await client.execute(kv, "set", {"key": "\ud800", "value": "1"})
        with pytest.raises(ClusterError, match="JSON has no NaN"):
            await client.execute(kv, "set", {"key": "a", "value": float("nan")})
        assert await client.execute(kv, "get", {"key": "a"}) is None  # nothing was stored
