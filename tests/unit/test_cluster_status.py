"""Cluster status: convergence judged from node views, the table, and the convergence watch."""

from __future__ import annotations

import pytest

from calimero_devnet.cluster.events import ClusterEvent, ConvergenceChanged, StatusPolled
from calimero_devnet.cluster.monitor import DIVERGED_AFTER_S, ConvergenceWatch
from calimero_devnet.cluster.status import ClusterStatus, ContextView, NodeRef, judge, render_table

CTX = "FXEy9vvnvLt9o4jwHnKqfZZ2t9H6MBPmd49zVf2DXe6n"
APP = "3FSyJkKFnew"


def view(node: str, heads: tuple[str, ...] = ("HeadAAAA1",), root: str = "RootAAAA1",
         pending: int = 0, converged: bool = True) -> ContextView:  # fmt: skip
    return ContextView(node, "kv-store", APP, heads, root, pending, None, converged)


def status_of(*views: ContextView, down: tuple[str, ...] = ()) -> ClusterStatus:
    names = sorted({v.node for v in views} | set(down))
    nodes = tuple(
        NodeRef(n, None if n in down else f"http://127.0.0.1:{4000 + i}", None if n in down
                else 100 + i, n not in down)
        for i, n in enumerate(names)
    )  # fmt: skip
    verdict, _ = judge(views)
    return ClusterStatus("devnet", nodes, views, {"kv-store": CTX}, {"kv-store": APP},
                         {"kv-store": verdict})  # fmt: skip


def test_same_heads_root_and_nothing_pending_is_converged() -> None:
    assert judge([view("node-1"), view("node-2")]) == (True, [])


def test_the_odd_node_is_named() -> None:
    converged, problems = judge(
        [view("node-1"), view("node-2"), view("node-3", heads=("HeadBBBB2",), root="RootBBBB2")]
    )
    assert not converged
    assert problems == [
        "node-3: heads HeadBBBB root RootBBBB where most have heads HeadAAAA root RootAAAA"
    ]


def test_pending_deltas_and_errors_prevent_convergence() -> None:
    assert judge([view("node-1"), view("node-2", pending=2)]) == (
        False,
        ["node-2: 2 delta(s) pending"],
    )
    broken = ContextView("node-2", "kv-store", error="does not have this context")
    assert judge([view("node-1"), broken])[1] == ["node-2: does not have this context"]
    assert judge([]) == (False, [])


def test_render_table() -> None:
    status = status_of(
        view("node-1"), view("node-2", heads=("HeadBBBB2",), converged=False), down=("node-3",)
    )
    lines = render_table(status).splitlines()
    assert lines[0].split() == [
        "NODE", "STATE", "PID", "RPC", "CONTEXT", "APP", "HEADS", "ROOT", "PENDING", "SYNC",
    ]  # fmt: skip
    assert lines[1].split() == [
        "node-1", "running", "100", "http://127.0.0.1:4000", "kv-store", "kv-store", "HeadAAAA",
        "RootAAAA", "0", "ok",
    ]  # fmt: skip
    assert lines[2].split()[-1] == "differs"  # not asked where it stands
    assert lines[3].split() == ["node-3", "down", "-", "-", "-", "-", "-", "-", "-", "-"]
    assert lines[4] == f"kv-store ({CTX}): NOT converged"
    assert all(len(line) == len(line.rstrip()) for line in lines)


def test_render_marks_remote_nodes_with_their_machine_and_no_pid() -> None:
    far = NodeRef("far-1", "http://10.0.0.2:4100", None, True, "hostb")
    gone = NodeRef("far-2", None, None, False, "hostc")
    status = ClusterStatus("devnet", (far, gone), (), {}, {}, {})
    lines = render_table(status).splitlines()
    assert lines[1].split()[:5] == ["far-1", "ready", "(remote:", "hostb)", "-"]
    assert lines[2].split()[:5] == ["far-2", "gone", "(remote:", "hostc)", "-"]
    assert ClusterStatus.from_json(status.to_json()).nodes == (far, gone)


def test_render_marks_an_old_build() -> None:
    old = ContextView("node-1", "kv-store", "OldBuild9999", ("H",), "R", 0, None, True)
    assert "old OldBuild" in render_table(status_of(old))


def test_the_watch_reports_convergence_once_and_divergence_after_a_while() -> None:
    said: list[ClusterEvent] = []

    async def never() -> ClusterStatus:
        raise AssertionError("observe is driven directly here")

    watch = ConvergenceWatch(never, said.append)
    together = status_of(view("node-1"), view("node-2"))
    apart = status_of(view("node-1"), view("node-2", heads=("HeadBBBB2",)))

    assert watch.observe(together, now=0.0)
    assert not watch.observe(apart, now=1.0)
    assert watch.observe(together, now=1.5)  # same heads as last said: nothing new
    assert not watch.observe(apart, now=2.0)
    assert not watch.observe(apart, now=2.0 + DIVERGED_AFTER_S)
    assert not watch.observe(apart, now=3.0 + DIVERGED_AFTER_S)  # said once

    kinds = [(type(e).__name__, isinstance(e, ConvergenceChanged) and e.converged) for e in said]
    assert kinds == [("ConvergenceChanged", True), ("ConvergenceChanged", False)]
    assert said[1].differences == (  # type: ignore[union-attr]
        "node-2: heads HeadBBBB root RootAAAA where most have heads HeadAAAA root RootAAAA",
    )


async def test_each_poll_reports_the_status_before_what_changed() -> None:
    said: list[ClusterEvent] = []
    together = status_of(view("node-1"), view("node-2"))

    async def poll() -> ClusterStatus:
        return together

    watch = ConvergenceWatch(poll, said.append)
    assert await watch.poll()
    assert await watch.poll()
    kinds = [type(e).__name__ for e in said]
    assert kinds == ["StatusPolled", "ConvergenceChanged", "StatusPolled"]
    assert said[0] == StatusPolled(together)


async def test_a_failed_poll_reports_nothing(caplog: pytest.LogCaptureFixture) -> None:
    said: list[ClusterEvent] = []

    async def poll() -> ClusterStatus:
        raise OSError("node-1 went away")

    assert not await ConvergenceWatch(poll, said.append).poll()
    assert said == []
    assert "status poll failed" in caplog.text
