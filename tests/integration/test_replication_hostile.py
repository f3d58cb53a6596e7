"""Real node processes on a hostile or unreliable bus: forged deltas, garbage, broker restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from pathlib import Path

import aiomqtt
import pytest

from calimero_devnet.cluster.convergence import wait_converged
from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.ids import from_b58
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.topics import Topics
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import CausalDelta, compute_id, create_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.messages import DeltaBroadcast
from tests.integration.test_replication_processes import (
    admin,
    clients,
    cluster_of,
    entries_everywhere,
    setter,
    shared_context,
)

pytestmark = pytest.mark.integration


def forgeries(member_delta: CausalDelta) -> list[CausalDelta]:
    """Deltas no member wrote: an unknown author, a wrong id, and a member's delta whose
    content was changed (id recomputed, the member's old signature kept)."""
    stranger = NodeIdentity.generate()
    hlc = Hlc(time.time_ns(), int.from_bytes(stranger.public_key[:16], "little"))
    by_stranger = create_delta(
        stranger,
        context_id=member_delta.context_id,
        parents=(member_delta.id,),
        hlc=hlc,
        payload=member_delta.payload,
    )
    tampered = dataclasses.replace(member_delta, payload=member_delta.payload + b"\0")
    return [
        by_stranger,
        dataclasses.replace(by_stranger, id=os.urandom(32)),
        dataclasses.replace(tampered, id=compute_id(tampered)),
    ]


async def payload_of(stray: aiomqtt.Client) -> bytes:
    """The payload of the next message the raw client receives."""
    message = await anext(stray.messages)
    assert isinstance(message.payload, bytes)
    return message.payload


async def member_delta_off_the_bus(stray: aiomqtt.Client) -> CausalDelta:
    """The next delta a member broadcasts, as a stranger on the bus sees it."""
    async with asyncio.timeout(10):
        message = wire.decode(await payload_of(stray))
    assert isinstance(message, DeltaBroadcast)
    return message.delta


async def test_forged_deltas_and_garbage_are_rejected_and_change_nothing(
    broker: BrokerHandle, tmp_path: Path
) -> None:
    with cluster_of(broker, tmp_path, 2) as cluster:
        async with clients(*cluster.nodes.values()) as nodes:
            ctx = await shared_context(cluster, nodes)
            topic = Topics(cluster.cluster).context(from_b58(ctx), "delta")
            async with aiomqtt.Client(broker.host, broker.port) as stray:
                await stray.subscribe(topic, 1)
                await setter(nodes[0], ctx, [("a", "1")])
                real = await member_delta_off_the_bus(stray)
                await wait_converged(nodes, ctx, timeout=15)
                before = await admin(nodes[1], "GET", f"contexts/{ctx}")
                for delta in forgeries(real):
                    message = wire.encode(DeltaBroadcast("n0", from_b58(ctx), delta))
                    await stray.publish(topic, message, qos=1)
                await stray.publish(topic, b"\x01not a message at all", qos=1)
                await asyncio.sleep(1.0)  # let both nodes see (and drop) all of it
            await wait_converged(nodes, ctx, timeout=15)
            after = await admin(nodes[1], "GET", f"contexts/{ctx}")
            assert await entries_everywhere(nodes, ctx) == {"a": "1"}
        log = cluster.nodes["n1"].log()
    assert (after["dagHeads"], after["rootHash"]) == (before["dagHeads"], before["rootHash"])
    assert "dropped a bad message" in log  # the garbage payload
    for reason in ("is not a context member", "id does not match", "bad signature"):
        assert reason in log, reason


async def test_nodes_reconnect_and_converge_after_the_broker_restarts(
    broker: BrokerHandle, tmp_path: Path
) -> None:
    with cluster_of(broker, tmp_path, 3) as cluster:
        async with clients(*cluster.nodes.values()) as nodes:
            ctx = await shared_context(cluster, nodes)
            await setter(nodes[0], ctx, [("before", "1")])
            await broker.restart(down_s=0.5)
            # Written right after the restart, while nodes may still be reconnecting.
            await asyncio.gather(setter(nodes[1], ctx, [("after-1", "1")]),
                                 setter(nodes[2], ctx, [("after-2", "2")]))  # fmt: skip
            await wait_converged(nodes, ctx, timeout=20)
            entries = await entries_everywhere(nodes, ctx)
    assert entries == {"before": "1", "after-1": "1", "after-2": "2"}
