"""Replication in-process: real NodeCores running the WAT kv-store over the memory bus."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from calimero_devnet.errors import ApplicationNotFound, ContextNotFound
from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication.requests import JoinTimeout
from tests.node.replication_helpers import (
    converge,
    create_kv_context,
    feed_of,
    install_app,
    replicas,
)


async def test_writes_on_every_node_converge(tmp_path: Path) -> None:
    async with replicas(tmp_path, 3) as (network, nodes):
        a, b, c = nodes
        ctx = await create_kv_context(a)
        for joiner in (b, c):
            await install_app(joiner)
            await joiner.replicator.join(ctx)
        await asyncio.gather(
            *(node.execute(ctx, "set", key=f"{node.name}-{i}", value=str(i))
              for node in nodes for i in range(5)),
            *(node.execute(ctx, "set", key="shared", value=node.name) for node in nodes),
        )  # fmt: skip
        entries = await converge(nodes, ctx)
        assert len(entries) == 16
        assert entries["n1-4"] == "4"
        assert entries["shared"] in {"n0", "n1", "n2"}
        for node in nodes:
            assert await node.run(lambda core: core.check_consistency(ctx)) == []
        assert feed_of(network, "n1", "applied")
        assert feed_of(network, "n2", "joined")


async def test_a_joiner_copies_the_state_byte_for_byte_and_never_runs_init(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await create_kv_context(a)
        for i in range(3):
            await a.execute(ctx, "set", key=f"k{i}", value="v")
        await install_app(b)
        answer = await b.replicator.join(ctx)
        assert answer == {"contextId": to_b58(ctx), "memberPublicKey": to_b58(b.core.public_key)}
        state_a = await a.run(lambda core: list(core.store.state_items(ctx)))
        state_b = await b.run(lambda core: list(core.store.state_items(ctx)))
        assert state_b == state_a
        info_a = await a.run(lambda core: core.context(ctx))
        info_b = await b.run(lambda core: core.context(ctx))
        assert (info_b.heads, info_b.root_hash) == (info_a.heads, info_a.root_hash)
        assert b.core.public_key in info_a.members  # admitted by the member that served it
        assert info_b.delta_count == 1  # the head's body; older history is markers
        assert await b.run(lambda core: core.check_consistency(ctx)) == []
        assert not feed_of(network, "n1", "authored")  # no init, no delta of its own
        await b.execute(ctx, "set", key="from-b", value="1")  # its deltas verify on a
        entries = await converge([a, b], ctx)
        assert entries["from-b"] == "1"
        assert await b.replicator.join(ctx) == answer  # joining again changes nothing


async def test_a_joiner_without_the_app_fetches_it_from_the_member_it_joins_from(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path, 2) as (_, (a, b)):
        ctx = await create_kv_context(a)
        app = (await a.run(lambda core: core.context(ctx))).application_id
        await b.replicator.join(ctx)
        assert (await b.run(lambda core: core.application(app))).source == "peer:n0"
        await b.execute(ctx, "set", key="from-b", value="1")
        assert (await converge([a, b], ctx))["from-b"] == "1"


async def test_a_join_whose_member_cannot_give_the_app_names_it_and_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with replicas(tmp_path, 2) as (network, (a, b)):
        ctx = await create_kv_context(a)
        app = (await a.run(lambda core: core.context(ctx))).application_id
        monkeypatch.setattr(a.core.store, "app_blob", lambda _: None)  # its bytes are lost
        with pytest.raises(ApplicationNotFound, match=f"does not have application {to_b58(app)}"):
            await b.replicator.join(ctx)
        with pytest.raises(ContextNotFound):
            await b.run(lambda core: core.context(ctx))
        assert feed_of(network, "n1", "joinFailed")
        await install_app(b)
        await b.replicator.join(ctx)  # a failed join can be retried
        await converge([a, b], ctx)


async def test_a_join_nobody_answers_times_out(tmp_path: Path) -> None:
    async with replicas(tmp_path, 1) as (_, (a,)):
        nowhere = b"\x07" * 32
        with pytest.raises(JoinTimeout, match="no member of context"):
            await a.replicator.join(nowhere, wait_s=0.3)
        engine = a.replicator.engine
        assert not await a.run(lambda _: engine.tracks(nowhere))  # the join was abandoned
        with pytest.raises(ContextNotFound):
            await a.replicator.status(nowhere)


async def test_sync_answers_once_caught_up(tmp_path: Path) -> None:
    async with replicas(tmp_path, 2) as (_, (a, b)):
        ctx = await create_kv_context(a)
        await install_app(b)
        await b.replicator.join(ctx)
        await a.execute(ctx, "set", key="x", value="1")
        report = await b.replicator.sync(ctx)
        assert report["done"] is True
        (status,) = report["contexts"]
        assert status["caughtUp"] is True
        assert status["peers"]["n0"]["behind"] is False
        assert await b.execute(ctx, "get", key="x") == "1"
        everything = await a.replicator.sync()
        assert [s["contextId"] for s in everything["contexts"]] == [to_b58(ctx)]
        with pytest.raises(ContextNotFound):
            await a.replicator.sync(b"\x01" * 32)


async def test_a_deleted_context_is_forgotten_and_peer_traffic_for_it_is_ignored(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path, 2) as (_, (a, b)):
        ctx = await create_kv_context(a)
        await install_app(b)
        await b.replicator.join(ctx)
        await b.replicator.delete(ctx)
        assert not await b.run(lambda _: b.replicator.engine.tracks(ctx))
        await a.execute(ctx, "set", key="after", value="1")  # broadcast to b, which left
        await asyncio.sleep(0.5)  # ticks: a's heads announcements reach b too
        assert await b.run(lambda core: core.store.context(ctx)) is None
        assert await b.run(lambda core: list(core.store.state_items(ctx))) == []
        with pytest.raises(ContextNotFound):
            await b.replicator.delete(ctx)
