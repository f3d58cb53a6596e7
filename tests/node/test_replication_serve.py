"""Serving fetches with whole chains, and what that buys when a partition heals."""

from __future__ import annotations

import time
from pathlib import Path

from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.replication.serve import serve_fetch
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import CausalDelta, create_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.messages import FetchRequest, FetchResponse
from tests.node.replication_helpers import converge, create_kv_context, install_app, replicas

CTX = b"\x09" * 32


def chain(length: int) -> list[CausalDelta]:
    """``length`` signed deltas, each the only parent of the next, HLCs increasing."""
    author = NodeIdentity.generate()
    deltas: list[CausalDelta] = []
    for n in range(length):
        parents = (deltas[-1].id,) if deltas else ()
        hlc = Hlc(1000 + n, 7)
        delta = create_delta(author, context_id=CTX, parents=parents, hlc=hlc, payload=bytes([n]))
        deltas.append(delta)
    return deltas


def serve(
    deltas: list[CausalDelta], asked: list[bytes], has: set[bytes], limit: int = 512
) -> FetchResponse[CausalDelta]:
    """Answer a request for ``asked`` from a store holding ``deltas``."""
    store = {d.id: d for d in deltas}
    request = FetchRequest("asker", CTX, tuple(asked), "asker")
    return serve_fetch("me", request, lambda _, i: store.get(i), has, max_ids=256, limit=limit)


def test_the_answer_walks_back_to_what_the_asker_has_oldest_first() -> None:
    deltas = chain(10)
    answer = serve(deltas, [deltas[9].id], has={deltas[3].id})
    assert [d.id for d in answer.deltas] == [d.id for d in deltas[4:]]
    assert answer.not_found == ()


def test_the_answer_is_bounded_and_reports_unknown_ids() -> None:
    deltas = chain(10)
    missing = b"\x01" * 32
    answer = serve(deltas, [deltas[9].id, missing], has=set(), limit=4)
    assert [d.id for d in answer.deltas] == [d.id for d in deltas[6:]]
    assert answer.not_found == (missing,)
    asked_has = serve(deltas, [deltas[2].id], has={deltas[2].id})  # asked beats "has"
    assert [d.id for d in asked_has.deltas] == [d.id for d in deltas[:3]]


async def test_a_long_gap_heals_in_a_few_round_trips(tmp_path: Path) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await create_kv_context(a)
        await install_app(b)
        await b.replicator.join(ctx)
        await converge([a, b], ctx)
        await network.set_rules(NetRules(partitions=(frozenset({"n0"}), frozenset({"n1"}))))
        for i in range(300):
            await a.execute(ctx, "set", key=f"k{i}", value="v")
        sent_before = b.transport.statistics().sent
        started = time.monotonic()
        await network.set_rules(HEALTHY)
        entries = await converge([a, b], ctx)
        assert len(entries) == 300
        assert time.monotonic() - started < 5
        assert b.transport.statistics().sent - sent_before < 40  # not one fetch per delta
