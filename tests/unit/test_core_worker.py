"""The core worker: calls run on its thread; what they post reaches the loop with the result."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from calimero_devnet.node.rpc.worker import HOLD_MAX, HOLD_S, CoreWorker, bridge_notices


class FakeCore:
    """Just enough of a core: listeners, and a close."""

    def __init__(self) -> None:
        self.listeners: list[Any] = []
        self.closed = False

    def subscribe(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def close(self) -> None:
        self.closed = True


async def opened() -> tuple[CoreWorker, FakeCore]:
    worker, core = CoreWorker(), FakeCore()
    await worker.open(lambda: core)  # type: ignore[arg-type, return-value]
    return worker, core


async def test_what_a_call_posts_runs_on_the_loop_in_order_before_its_result() -> None:
    worker, core = await opened()
    loop_thread = threading.get_ident()
    seen: list[tuple[object, int]] = []
    bridge_notices(core, worker, lambda notice: seen.append((notice, threading.get_ident())))  # type: ignore[arg-type]

    def commit(_: object) -> str:
        for n in range(3):
            for listener in core.listeners:
                listener(f"notice-{n}")
        worker.post(lambda: seen.append(("outgoing", threading.get_ident())))
        return "done"

    assert await worker.call(commit) == "done"
    assert [item[0] for item in seen] == ["notice-0", "notice-1", "notice-2", "outgoing"]
    assert {item[1] for item in seen} == {loop_thread}
    assert await worker.close(1.0)


def count_wakes(monkeypatch: Any) -> list[object]:
    """Every ``call_soon_threadsafe`` of the running loop (a wake-up), from now on."""
    loop = asyncio.get_running_loop()
    wakes: list[object] = []
    real = loop.call_soon_threadsafe

    def counted(*args: Any) -> Any:
        wakes.append(args[0])
        return real(*args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
    return wakes


async def test_a_call_and_what_it_posts_wake_the_loop_once(monkeypatch: Any) -> None:
    worker, _ = await opened()
    wakes = count_wakes(monkeypatch)
    seen: list[str] = []

    def commit(_: object) -> int:
        worker.post(seen.append, "notice")
        worker.post(seen.append, "outgoing")
        return 1

    assert await worker.call(commit) == 1
    assert seen == ["notice", "outgoing"]
    assert len(wakes) == 1
    assert await worker.close(1.0)


async def test_a_call_that_posts_only_after_a_while_still_wakes_the_loop_once(
    monkeypatch: Any,
) -> None:
    worker, _ = await opened()
    wakes = count_wakes(monkeypatch)

    def slow_commit(_: object) -> None:
        time.sleep(HOLD_S * 2)  # the app ran for a while before its commit
        worker.post(lambda: None)

    await worker.call(slow_commit)
    assert len(wakes) == 1
    assert await worker.close(1.0)


async def test_a_failing_call_still_delivers_what_it_posted() -> None:
    worker, _ = await opened()
    seen: list[str] = []

    def fail(_: object) -> None:
        worker.post(seen.append, "posted")
        raise ValueError("app trapped")

    with pytest.raises(ValueError, match="trapped"):
        await worker.call(fail)
    assert seen == ["posted"]
    assert await worker.close(1.0)


async def test_a_long_call_hands_over_its_posts_before_it_ends() -> None:
    worker, _ = await opened()
    seen: list[int] = []
    handed_over = threading.Event()

    def long_call(_: object) -> None:
        for n in range(HOLD_MAX - 1):
            worker.post(seen.append, n)
        worker.post(handed_over.set)  # the HOLD_MAX-th post: the held ones go now
        assert handed_over.wait(5), "the loop never saw the held posts during the call"

    call = asyncio.create_task(worker.call(long_call))
    await call
    assert seen == list(range(HOLD_MAX - 1))
    assert await worker.close(1.0)


async def test_a_failing_posted_item_does_not_stop_the_others(caplog: Any) -> None:
    worker, _ = await opened()
    seen: list[str] = []

    def posts(_: object) -> None:
        worker.post(lambda: 1 / 0)
        worker.post(seen.append, "after")

    await worker.call(posts)
    assert seen == ["after"]
    assert "posted by the core worker failed" in caplog.text
    assert await worker.close(1.0)


async def test_a_post_from_outside_a_call_runs_on_the_loop() -> None:
    worker, _ = await opened()
    seen = asyncio.Event()
    threading.Thread(target=worker.post, args=(seen.set,)).start()
    await asyncio.wait_for(seen.wait(), 5)
    assert await worker.close(1.0)


async def test_calls_still_queued_when_close_gives_up_are_cancelled() -> None:
    worker, _ = await opened()
    release = threading.Event()
    busy = asyncio.create_task(worker.call(lambda _: release.wait(5)))
    queued = asyncio.create_task(worker.call(lambda _: "never"))
    await asyncio.sleep(0.05)
    assert not await worker.close(0.1)  # the busy call outlasts the grace
    release.set()
    assert await busy is True
    with pytest.raises(asyncio.CancelledError):
        await queued
