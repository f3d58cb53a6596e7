"""The node's watch on its manager: a parent, or the parent of its parent (the fork server)."""

from __future__ import annotations

import logging
import os

import pytest

from calimero_devnet.node.manager_watch import parent_of, started_by, watch_manager


def test_parent_of_reads_the_parent_pid_and_none_for_a_gone_process() -> None:
    assert parent_of(os.getpid()) == os.getppid()
    assert parent_of(2**22 + 1) is None  # above the kernel's pid limit: never a process


def test_the_manager_counts_as_there_as_parent_or_grandparent() -> None:
    grandparent = parent_of(os.getppid())
    assert grandparent is not None
    assert started_by(os.getppid())
    assert started_by(grandparent)  # as for a node forked by the manager's fork server
    assert not started_by(os.getpid())


async def test_a_manager_that_is_neither_says_gone_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        await watch_manager(os.getpid(), "node-1", every=0.01)
    assert f"its manager (pid {os.getpid()}) is gone; node-1 serves on" in caplog.text
