"""The node's watch on its manager: the manager's pid with the start time it had."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time

import pytest

from calimero_devnet.node.manager_watch import start_time, watch_manager


def test_start_time_is_stable_for_a_process_and_none_once_it_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        first = start_time(child.pid)
        assert first is not None
        assert start_time(child.pid) == first
        assert start_time(os.getpid()) != first
    finally:
        child.kill()
    deadline = time.monotonic() + 5
    while start_time(child.pid) is not None:  # a zombie until reaped: gone all the same
        assert time.monotonic() < deadline, "the killed child never showed as gone"
        time.sleep(0.01)
    child.wait()
    assert start_time(child.pid) is None
    assert start_time(2**22 + 1) is None  # above the kernel's pid limit: never a process


async def test_the_watch_waits_while_the_manager_runs_and_warns_once_it_is_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(30)"
    )
    with caplog.at_level(logging.WARNING):
        watch = asyncio.ensure_future(watch_manager(manager.pid, "node-1", every=0.01))
        await asyncio.sleep(0.2)
        assert not watch.done()  # not our parent, but alive: still there
        manager.kill()
        await asyncio.wait_for(watch, 5)
    await manager.wait()
    assert f"its manager (pid {manager.pid}) is gone; node-1 serves on" in caplog.text
