"""Replication under faults: partitions, restarts, forged deltas, garbage, failing applies."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import CausalDelta, create_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.messages import DeltaBroadcast
from tests.node.replication_helpers import (
    Replica,
    converge,
    create_kv_context,
    eventually,
    feed_of,
    install_app,
    replicas,
    start_replica,
    stop_replica,
)


async def joined(nodes: list[Replica]) -> bytes:
    """Create a kv-store context on the first node; every other node joins it."""
    ctx = await create_kv_context(nodes[0])
    for node in nodes[1:]:
        await install_app(node)
        await node.replicator.join(ctx)
    return ctx


async def test_writes_on_both_sides_of_a_partition_merge_after_healing(tmp_path: Path) -> None:
    async with replicas(tmp_path, 3) as (network, nodes):
        a, b, c = nodes
        ctx = await joined(nodes)
        await network.set_rules(NetRules(partitions=(frozenset({"n0", "n1"}), frozenset({"n2"}))))
        for i in range(10):
            await a.execute(ctx, "set", key=f"left-{i}", value="a")
            await c.execute(ctx, "set", key=f"right-{i}", value="c")
        await b.execute(ctx, "set", key="both", value="b")
        await c.execute(ctx, "set", key="both", value="c")
        await converge([a, b], ctx)
        assert await c.execute(ctx, "get", key="left-0") is None  # the partition holds
        await network.set_rules(HEALTHY)
        entries = await converge(nodes, ctx)
        assert len(entries) == 21
        assert entries["both"] == "c"  # the later write wins everywhere (LWW by timestamp)


async def test_a_restarted_node_catches_up_by_deltas(tmp_path: Path) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await joined([a, b])
        await b.execute(ctx, "set", key="before", value="1")
        await converge([a, b], ctx)
        await stop_replica(network, b)
        for i in range(20):
            await a.execute(ctx, "set", key=f"while-down-{i}", value=str(i))
        again = await start_replica(network, b.home, b.index)
        try:
            entries = await converge([a, again], ctx)
            assert entries["while-down-19"] == "19"
            assert len(feed_of(network, "n1", "joined")) == 1  # no second snapshot: deltas only
            assert await again.run(lambda core: core.check_consistency(ctx)) == []
        finally:
            await stop_replica(network, again)


def forgeries(ctx: bytes, member: NodeIdentity, parents: tuple[bytes, ...]) -> list[CausalDelta]:
    """A delta with a wrong id, one with a bad signature, one by a stranger."""
    hlc = Hlc(time.time_ns(), 1)
    good = create_delta(member, context_id=ctx, parents=parents, hlc=hlc, payload=b"\x00\0\0\0\0")
    stranger = create_delta(
        NodeIdentity.generate(), context_id=ctx, parents=parents, hlc=hlc, payload=b"x"
    )
    return [
        replace(good, id=b"\x01" * 32),
        replace(good, signature=NodeIdentity.generate().sign(good.id)),
        stranger,
    ]


async def test_forged_deltas_and_garbage_are_rejected_and_change_nothing(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await joined([a, b])
        before = await b.view(ctx)
        mallory = network.attach("mallory")
        await asyncio.sleep(0)  # let it connect
        for forged in forgeries(ctx, a.core.identity, before[0]):
            await mallory.broadcast(DeltaBroadcast("mallory", ctx, forged))
        network.route("mallory", b"\x01\x00garbage", None, ctx)
        await eventually(lambda: len(feed_of(network, "n1", "rejected")) >= 3)
        await eventually(lambda: bool(feed_of(network, "n1", "bus")))
        reasons = [e["reason"] for e in feed_of(network, "n1", "rejected")]
        assert len(reasons) == 3
        assert "id does not match" in reasons[0]
        assert "bad signature" in reasons[1]
        assert "is not a context member" in reasons[2]
        assert await b.view(ctx) == before
        assert await a.view(ctx) == before
        assert feed_of(network, "n1", "bus")[0]["decode_errors"] >= 1
        await a.execute(ctx, "set", key="still", value="works")
        assert (await converge([a, b], ctx))["still"] == "works"


async def test_a_delta_that_cannot_apply_is_retried_with_backoff(tmp_path: Path) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await joined([a, b])
        heads = (await a.view(ctx))[0]
        broken = create_delta(
            a.core.identity, context_id=ctx, parents=heads, hlc=Hlc(time.time_ns(), 1),
            payload=b"\x00\x01\x00\x00\x00\x09junk",
        )  # fmt: skip
        mallory = network.attach("mallory")
        await asyncio.sleep(0)
        insisting_until = time.monotonic() + 1.5
        while time.monotonic() < insisting_until:  # a peer that insists, every 50 ms
            await mallory.broadcast(DeltaBroadcast("mallory", ctx, broken))
            await asyncio.sleep(0.05)
        failures = feed_of(network, "n1", "failed")
        assert 1 <= len(failures) <= 2, failures
        assert [f["attempts"] for f in failures] == list(range(1, len(failures) + 1))
        assert failures[0]["retryInMs"] == 1000
        assert (await b.view(ctx))[0] == heads
        await a.execute(ctx, "set", key="after", value="1")
        assert (await converge([a, b], ctx))["after"] == "1"


async def test_a_member_added_while_partitioned_is_learned_after_healing(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path, 3) as (network, nodes):
        a, b, c = nodes
        ctx = await create_kv_context(a)
        await install_app(b)
        await b.replicator.join(ctx)
        await network.set_rules(NetRules(partitions=(frozenset({"n0", "n2"}), frozenset({"n1"}))))
        await install_app(c)
        await c.replicator.join(ctx)  # admitted by n0 while n1 cannot hear it
        await c.execute(ctx, "set", key="from-c", value="1")
        await network.set_rules(HEALTHY)
        entries = await converge(nodes, ctx, wait_s=15)
        assert entries["from-c"] == "1"


async def test_a_node_cut_from_the_broker_catches_up_when_it_reconnects(tmp_path: Path) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await joined([a, b])
        await network.set_rules(NetRules(disconnected=frozenset({"n1"})))
        await a.execute(ctx, "set", key="while-away", value="a")
        await b.execute(ctx, "set", key="offline-write", value="b")
        assert not b.transport.connected.is_set()
        connects = b.transport.statistics().connects
        await network.set_rules(HEALTHY)
        entries = await converge([a, b], ctx)
        assert b.transport.statistics().connects == connects + 1
        assert entries == {"while-away": "a", "offline-write": "b"}
