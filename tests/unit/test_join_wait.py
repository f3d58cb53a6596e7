"""How long a join waits for its snapshot (``SyncWaiter``), over a fake engine and worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest

from calimero_devnet.errors import NodeError
from calimero_devnet.node.replication.engine import ReplicaEngine
from calimero_devnet.node.replication.requests import JOIN_PATIENCE, JoinTimeout, SyncWaiter
from calimero_devnet.node.rpc.worker import CoreWorker

CTX = b"\xc1" * 32
SLICE_S = 0.02


class InlineWorker:
    """Runs each job at once in the event loop (the real one hops to its thread)."""

    async def call(self, job: Callable[[Any], Any]) -> Any:
        return job(None)


class FakeEngine:
    """A join that stays in progress; counts how often the waiter asked about it."""

    def __init__(self, member_up: bool) -> None:
        self.core = SimpleNamespace(public_key=b"\x01" * 32)
        self.member_up = member_up
        self.checks = 0
        self.checked_thrice = asyncio.Event()
        self.cancelled: list[NodeError] = []

    def join(self, context: bytes, now: int) -> str:
        return "started"

    def join_in_progress(self, context: bytes, now: int, within: int) -> bool:
        assert within == int(SLICE_S * 1e9)
        self.checks += 1
        if self.checks == 3:
            self.checked_thrice.set()
        return self.member_up

    def cancel_join(self, context: bytes, error: NodeError) -> None:
        self.cancelled.append(error)


def waiter_over(engine: FakeEngine) -> SyncWaiter:
    waiter = SyncWaiter(cast(CoreWorker, InlineWorker()))
    waiter.engine = cast(ReplicaEngine, engine)
    return waiter


async def test_a_join_keeps_waiting_past_its_timeout_while_the_member_asked_is_up() -> None:
    engine = FakeEngine(member_up=True)
    waiter = waiter_over(engine)
    join = asyncio.create_task(waiter.join(CTX, wait_s=SLICE_S))
    await engine.checked_thrice.wait()  # three timeouts passed
    assert not join.done()
    waiter.settle(CTX, None)  # the snapshot arrived
    assert (await join)["memberPublicKey"]
    assert engine.cancelled == []


async def test_a_join_gives_up_once_no_member_asked_is_heard_from() -> None:
    engine = FakeEngine(member_up=False)
    with pytest.raises(JoinTimeout, match="connected to the same broker"):
        await waiter_over(engine).join(CTX, wait_s=SLICE_S)
    assert engine.checks == 1
    assert len(engine.cancelled) == 1  # the node abandons the join too


async def test_a_join_gives_up_after_its_patience_even_with_the_member_up() -> None:
    engine = FakeEngine(member_up=True)
    with pytest.raises(JoinTimeout, match="overloaded"):
        await waiter_over(engine).join(CTX, wait_s=SLICE_S)
    assert engine.checks == JOIN_PATIENCE
    assert len(engine.cancelled) == 1


async def test_a_join_that_ends_while_it_is_checked_reports_how_it_ended() -> None:
    engine = FakeEngine(member_up=False)  # the context is no longer joining: it just joined
    waiter = waiter_over(engine)
    checks = engine.join_in_progress

    def joined_meanwhile(context: bytes, now: int, within: int) -> bool:
        waiter.settle(CTX, None)  # the snapshot was installed during the check
        return checks(context, now, within)

    engine.join_in_progress = joined_meanwhile  # type: ignore[method-assign]
    assert (await waiter.join(CTX, wait_s=SLICE_S))["memberPublicKey"]
    assert engine.cancelled == []
