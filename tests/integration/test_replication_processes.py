"""Replication between real node processes over a real broker (amqtt and mosquitto)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from calimero_devnet.cluster.convergence import wait_converged, wait_value
from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.bus.session import publish_net_rules
from tests.fixtures import load_wat
from tests.integration.node_process import NodeProcess, start_node

pytestmark = pytest.mark.integration


class Cluster:
    """Node processes sharing one broker and cluster id."""

    def __init__(self, broker: BrokerHandle, root: Path) -> None:
        self.broker = broker
        self.root = root
        self.cluster = f"t{uuid.uuid4().hex[:8]}"
        self.nodes: dict[str, NodeProcess] = {}
        self.wasm = root / "kv_store.wasm"
        self.wasm.write_bytes(load_wat("kv_store"))

    def start(self, index: int, ready_s: float = 20.0) -> NodeProcess:
        """Start (or restart) node ``n<index>``; wait up to ``ready_s`` for its ready line."""
        name = f"n{index}"
        args = ("--broker", self.broker.url, "--cluster", self.cluster, "--index", str(index),
                "--name", name)  # fmt: skip
        self.nodes[name] = start_node(self.root / name, *args, timeout=ready_s)
        return self.nodes[name]

    def stop_all(self) -> None:
        """Stop every node still running."""
        for node in self.nodes.values():
            if node.proc.poll() is None:
                node.stop()


@contextmanager
def cluster_of(broker: BrokerHandle, root: Path, count: int) -> Iterator[Cluster]:
    """Start ``count`` nodes; stop them at the end."""
    cluster = Cluster(broker, root)
    try:
        for index in range(count):
            cluster.start(index)
        yield cluster
    finally:
        cluster.stop_all()


@asynccontextmanager
async def clients(*nodes: NodeProcess) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One HTTP client per node."""
    opened = [httpx.AsyncClient(base_url=node.url, timeout=30) for node in nodes]
    try:
        yield opened
    finally:
        for client in opened:
            await client.aclose()


async def admin(client: httpx.AsyncClient, verb: str, path: str, body: Any = None) -> Any:
    """Call the admin API; return ``data``."""
    response = await client.request(verb, f"/admin-api/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def setter(client: httpx.AsyncClient, ctx: str, writes: list[tuple[str, str]]) -> None:
    """Set keys one after another (each write acknowledged before the next)."""
    for key, value in writes:
        params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": value}}
        body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
        answer = (await client.post("/jsonrpc", json=body)).json()
        assert "result" in answer, answer


async def shared_context(cluster: Cluster, nodes: list[httpx.AsyncClient]) -> str:
    """Install the kv-store everywhere, create a context on the first node, join the rest."""
    for client in nodes:
        await admin(client, "POST", "install-dev-application", {"path": str(cluster.wasm)})
    app = (await admin(nodes[0], "GET", "applications"))["apps"][0]["id"]
    ctx = str((await admin(nodes[0], "POST", "contexts", {"applicationId": app}))["contextId"])
    for client in nodes[1:]:
        await admin(client, "POST", f"contexts/{ctx}/join")
    return ctx


def writes(prefix: str, count: int) -> list[tuple[str, str]]:
    """``count`` distinct keys, plus one key every writer shares."""
    return [(f"{prefix}-{i}", str(i)) for i in range(count)] + [("shared", prefix)]


async def entries_everywhere(nodes: list[httpx.AsyncClient], ctx: str) -> dict[str, str]:
    """The entries every node reads (they must be equal)."""
    report = await wait_value(nodes, ctx, "entries", timeout=15)
    first = report.views[0][1]
    assert all(view[1] == first for view in report.views)  # key order may differ: a dict
    return dict(first)


async def test_concurrent_writers_end_with_identical_entries(
    broker: BrokerHandle, tmp_path: Path
) -> None:
    with cluster_of(broker, tmp_path, 3) as cluster:
        async with clients(*cluster.nodes.values()) as nodes:
            ctx = await shared_context(cluster, nodes)
            await asyncio.gather(
                *(setter(c, ctx, writes(f"w{n}", 30)) for n, c in enumerate(nodes))
            )
            await wait_converged(nodes, ctx, timeout=15)
            entries = await entries_everywhere(nodes, ctx)
    assert len(entries) == 91
    assert entries["shared"] in {"w0", "w1", "w2"}


async def test_six_nodes_joining_at_once_all_join_and_replicate(
    broker: BrokerHandle, tmp_path: Path
) -> None:
    # Five joiners ask the creator at the same moment: it serves them in batches (one
    # snapshot and one member list a batch); a write by the last joiner then reaches all,
    # which needs every node to know it is a member.
    cluster = Cluster(broker, tmp_path)
    try:
        # Six imports at once on a shared machine: more than the usual 20 s to be ready.
        await asyncio.gather(*(asyncio.to_thread(cluster.start, i, 60.0) for i in range(6)))
        async with clients(*(cluster.nodes[f"n{i}"] for i in range(6))) as nodes:
            for client in nodes:
                await admin(client, "POST", "install-dev-application", {"path": str(cluster.wasm)})
            app = (await admin(nodes[0], "GET", "applications"))["apps"][0]["id"]
            created = await admin(nodes[0], "POST", "contexts", {"applicationId": app})
            ctx = str(created["contextId"])
            await asyncio.gather(*(admin(c, "POST", f"contexts/{ctx}/join") for c in nodes[1:]))
            await setter(nodes[-1], ctx, [("written-by", "n5")])
            await wait_converged(nodes, ctx, timeout=15)
            entries = await entries_everywhere(nodes, ctx)
    finally:
        cluster.stop_all()
    assert entries == {"written-by": "n5"}


async def test_a_partition_heals_and_nothing_is_lost(broker: BrokerHandle, tmp_path: Path) -> None:
    with cluster_of(broker, tmp_path, 3) as cluster:
        async with clients(*cluster.nodes.values()) as nodes:
            ctx = await shared_context(cluster, nodes)
            cut = NetRules(partitions=(frozenset({"n0", "n1"}), frozenset({"n2"})))
            await publish_net_rules(broker.url, cluster.cluster, cut)
            await asyncio.sleep(0.3)  # every node applies the retained rules
            await asyncio.gather(setter(nodes[0], ctx, writes("left", 40)),
                                 setter(nodes[2], ctx, writes("right", 40)))  # fmt: skip
            await wait_value(nodes[:2], ctx, "len", expected=41, timeout=10)
            await wait_value(nodes[2:], ctx, "len", expected=41, timeout=10)
            assert await wait_value(nodes[2:], ctx, "get", {"key": "left-0"}, expected=None)
            await publish_net_rules(broker.url, cluster.cluster, HEALTHY)
            await wait_converged(nodes, ctx, timeout=15)
            entries = await entries_everywhere(nodes, ctx)
    assert len(entries) == 81


async def test_a_node_killed_during_writes_catches_up_after_restart(
    broker: BrokerHandle, tmp_path: Path
) -> None:
    with cluster_of(broker, tmp_path, 3) as cluster:
        async with clients(*cluster.nodes.values()) as nodes:
            ctx = await shared_context(cluster, nodes)
            burst = asyncio.gather(setter(nodes[0], ctx, writes("a", 150)),
                                   setter(nodes[1], ctx, writes("b", 150)))  # fmt: skip
            await asyncio.sleep(0.3)
            assert not burst.done()
            victim = cluster.nodes["n2"]
            assert victim.stop(signal.SIGKILL) == -signal.SIGKILL
            await burst
        again = cluster.start(2)
        async with clients(*cluster.nodes.values()) as nodes:
            await wait_converged(nodes, ctx, timeout=15)
            entries = await entries_everywhere(nodes, ctx)
            problems = await admin(nodes[2], "GET", f"contexts/{ctx}/consistency")
        assert again.proc.poll() is None
    assert len(entries) == 301
    assert problems["problems"] == []
