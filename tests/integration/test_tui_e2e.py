"""The real UI (Pilot) over a real 3-node cluster: owner and attached.

Owner: ``devnet up``'s app starts broker, nodes and the bundled kv-store; a call through the
call form on node-1, a partition made in the partition dialog (node-3 away), writes on both
sides, "DIVERGED" in the headline, heal, "CONVERGED", the same values on every node, then
``q`` + confirm stops every process. Attached: ``devnet up --detach`` in a subprocess, the
app over the control endpoint sees the nodes and its events, quitting leaves the cluster up.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from calimero_devnet.cluster.commands.down import leftovers
from calimero_devnet.cluster.remote import RemoteCluster, pid_alive
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from calimero_devnet.tui.app import DevnetApp
from calimero_devnet.tui.call import CallScreen
from calimero_devnet.tui.run import attached_app, owner_app

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SIZE = (160, 48)


async def until(pilot: Pilot[int], done: Callable[[], bool], what: str, within: float = 30) -> None:
    """Let the app run until ``done()``; fail naming ``what`` and the headline."""
    app = pilot.app
    assert isinstance(app, DevnetApp)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not done():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not seen within {within} s; headline: {headline(app)}")
        await pilot.pause(0.1)
        app.render_now(everything=True)


def headline(app: DevnetApp) -> str:
    return app.headline()


async def value_everywhere(app: DevnetApp, key: str) -> list[object]:
    assert app.source is not None
    return [(await app.source.call(n, "get", {"key": key}))["output"] for n in app.model.node_names]


async def test_owner_call_partition_diverge_heal_converge_quit(tmp_path: Path) -> None:
    config = load_config(None, Overrides(nodes=3, data_dir=tmp_path / "data", fresh=True))
    app = owner_app(config, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "CONVERGED" in headline(app), "a converged start", 90)
        pids = [n.pid for n in app.model.nodes.values()]
        await pilot.press("c")  # call set on node-1 through the form
        await until(pilot, lambda: bool(app.screen.query("#arg-key")), "the call form")
        assert isinstance(app.screen, CallScreen)
        app.screen.query_one("#arg-key", Input).value = "a"
        app.screen.query_one("#arg-value", Input).value = "1"
        await pilot.press("ctrl+r")
        result = app.screen.query_one("#result", Static)
        await until(pilot, lambda: "delta " in str(result.render()), "the call's delta")
        await pilot.press("escape")
        await pilot.press("p")  # node-3 into group B
        await pilot.pause(0.2)
        app.screen.query_one("#groups", DataTable).move_cursor(row=2)
        await pilot.press("space", "enter")
        await until(pilot, lambda: "PARTITIONED" in headline(app), "the partition")
        assert app.source is not None
        await app.source.call("node-1", "set", {"key": "left", "value": "L"}, None)
        await app.source.call("node-3", "set", {"key": "right", "value": "R"}, None)
        await until(pilot, lambda: "DIVERGED" in headline(app), "diverged")
        await pilot.press("h")
        await until(pilot, lambda: "CONVERGED" in headline(app), "converged after heal", 60)
        assert await value_everywhere(app, "right") == ["R"] * 3
        assert await value_everywhere(app, "left") == ["L"] * 3
        assert await value_everywhere(app, "a") == ["1"] * 3
        state = app.source.cluster.state()  # type: ignore[attr-defined]
        await pilot.press("q", "y")
        await until(pilot, lambda: not app.is_running, "the app to exit", 60)
    assert app.return_code == 0
    assert not any(pid_alive(pid) for pid in pids)
    assert leftovers(state) == []


async def test_attached_to_a_detached_cluster_and_quit_leaves_it_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    base = [sys.executable, "-m", "calimero_devnet.cli"]
    up = [*base, "up", "--detach", "--nodes", "2", "--data-dir", str(data), "--fresh"]
    await asyncio.to_thread(subprocess.run, up, check=True, capture_output=True, timeout=120)
    try:
        app = attached_app(data)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "CONVERGED" in headline(app), "the attached view", 60)
            assert app.source is not None
            await app.source.call("node-2", "set", {"key": "k", "value": "v"}, None)
            await until(pilot, lambda: any(app.model.deltas.values()), "the delta on the stream")
            second = attached_app(data)  # a second UI at once stays live too
            async with second.run_test(size=SIZE) as other:
                await until(other, lambda: "CONVERGED" in headline(second), "a second UI")
                await app.source.call("node-1", "set", {"key": "k2", "value": "v2"}, None)
                await until(other, lambda: len(second.model.deltas.get("kv-store", ())) >= 1,
                            "the delta in the second UI")  # fmt: skip
            await pilot.press("q")
        assert RemoteCluster.attach(data).node("node-1").running
    finally:
        down = [*base, "down", "--data-dir", str(data)]
        await asyncio.to_thread(subprocess.run, down, check=False, timeout=60, capture_output=True)


async def call_through_the_form(pilot: Pilot[int], key: str, value: str | None = None) -> str:
    """Type a ``set`` (or, without ``value``, a ``get``) into the call form; its result."""
    app = pilot.app
    await pilot.press("c")
    await until(pilot, lambda: bool(app.screen.query("#arg-key")), "the call form")
    if value is None:
        app.screen.query_one("#method", Select).value = "get"
        await until(pilot, lambda: not app.screen.query("#arg-value"), "the get form")
    app.screen.query_one("#arg-key", Input).value = key
    if value is not None:
        app.screen.query_one("#arg-value", Input).value = value
    await pilot.press("ctrl+r")
    result = app.screen.query_one("#result", Static)
    await until(pilot, lambda: "took " in str(result.render()), "the call's answer")
    await pilot.press("escape")
    return str(result.render())


def replay_saved_session(folder: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
    """``devnet run`` on the one session file saved in ``folder``: the file, what it did."""
    [saved] = folder.glob("devnet-session-*.yml")
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", saved.name,
            "--data-dir", str(folder / "replay")]  # fmt: skip
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    print(saved.read_text(), done.stdout)  # (shown when the test fails)
    return saved.read_text(), done


async def test_a_recorded_session_replays_with_devnet_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, Overrides(nodes=3, data_dir=tmp_path / "data", fresh=True))
    app = owner_app(config, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "CONVERGED" in headline(app), "a converged start", 90)
        await call_through_the_form(pilot, "a", "1")
        await until(pilot, app.converged_now, "the write everywhere")
        await pilot.press("p")  # node-3 away, a write on the other side, heal
        await pilot.pause(0.2)
        app.screen.query_one("#groups", DataTable).move_cursor(row=2)
        await pilot.press("space", "enter")
        await until(pilot, lambda: "PARTITIONED" in headline(app), "the partition")
        await call_through_the_form(pilot, "b", "2")
        await pilot.press("h")
        await until(pilot, lambda: "CONVERGED" in headline(app), "converged after heal", 60)
        assert '"2"' in await call_through_the_form(pilot, "b")
        await pilot.press("w")
        await pilot.pause(0.2)
        await pilot.press("q", "y")
        await until(pilot, lambda: not app.is_running, "the app to exit", 60)
    saved, done = await asyncio.to_thread(replay_saved_session, tmp_path)
    assert done.returncode == 0, saved + done.stdout + done.stderr
    for step in ("partition", "heal", "wait_converged", "json_assert"):
        assert step in done.stdout
