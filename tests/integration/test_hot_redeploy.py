"""Hot redeploy through the library: a save → one rebuild → every node on the new code, state kept.

``open_cluster`` with the watcher on, two real nodes, a real broker and real builds of a
copy of the kv-store template. Also: ``devnet up --detach`` returns once ready, and
``devnet down`` leaves no process behind.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from calimero_devnet.cluster.commands.down import leftovers
from calimero_devnet.cluster.commands.headless import describe
from calimero_devnet.cluster.deploy.rollout import Rollout
from calimero_devnet.cluster.events import (
    AppDeployed,
    BuildFinished,
    ClusterEvent,
    StateRefused,
    Subscription,
)
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.processes.statefile import manager_alive, running_state
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from calimero_devnet.errors import ToolchainError
from calimero_devnet.tui.folding import fold
from calimero_devnet.tui.model import TuiModel
from calimero_devnet.tui.words import build_line

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
HELLO = "  /** hello */\n"


def make_project(root: Path) -> Path:
    """A devnet.toml with two nodes and a watched copy of the kv-store template."""
    shutil.copytree(REPO / "templates" / "kv-store", root / "app",
                    ignore=shutil.ignore_patterns("build", "node_modules"))  # fmt: skip
    (root / "devnet.toml").write_text(
        '[cluster]\nname = "hot"\ndata_dir = "data"\n[nodes]\ncount = 2\n[[apps]]\npath = "app"\n'
    )
    return root / "devnet.toml"


def add_method(app: Path, body: str) -> None:
    """Add (or replace) a ``hello`` view returning ``body``, as the class's last method."""
    source = app / "src" / "index.ts"
    text = source.read_text()
    # Replace the hello of an earlier edit, or reopen the class to add one.
    text = text.split(HELLO)[0] if HELLO in text else text.rstrip().removesuffix("}")
    method = f"{HELLO}  @View()\n  hello(): string {{\n    {body}\n  }}\n}}\n"
    source.write_text(text.rstrip() + "\n\n" + method)


async def next_event(
    events: Subscription, wanted: Callable[[ClusterEvent], bool], within: float = 30
) -> ClusterEvent:
    async with asyncio.timeout(within):
        async for event in events:
            if wanted(event):
                return event
    raise AssertionError("the event stream ended")


def deployed(version: int) -> Callable[[ClusterEvent], bool]:
    return lambda e: isinstance(e, AppDeployed) and e.version == version


async def test_a_save_redeploys_keeping_state_and_a_broken_build_changes_nothing(
    tmp_path: Path,
) -> None:
    config = load_config(make_project(tmp_path), Overrides(fresh=True))
    app = tmp_path / "app"
    async with open_cluster(config, watch=True) as cluster:
        events = cluster.events()
        await cluster.call("node-1", "set", {"key": "x", "value": "1"})
        await asyncio.to_thread(add_method, app, "return 'v2:' + String(this.items.get('x'));")
        event = await next_event(events, deployed(2))
        assert isinstance(event, AppDeployed)
        assert (event.nodes, event.failed) == (("node-1", "node-2"), ())
        assert await cluster.call("node-2", "hello") == "v2:1"  # new code, old state

        await asyncio.to_thread(add_method, app, "return this is not typescript;")
        failed = await next_event(
            events, lambda e: isinstance(e, BuildFinished) and e.error is not None
        )
        assert isinstance(failed, BuildFinished)
        assert "index.ts" in str(failed.error)
        assert await cluster.call("node-1", "hello") == "v2:1"  # still running v2

        # A node down during a redeploy runs the new build once it starts again.
        await cluster.stop("node-2")
        await asyncio.to_thread(add_method, app, "return 'v3';")
        event = await next_event(events, deployed(3))
        assert isinstance(event, AppDeployed)
        assert event.nodes == ("node-1",)
        await cluster.start("node-2")
        assert await cluster.call("node-2", "hello") == "v3"
        await cluster.wait_value("get", {"key": "x"}, 15, expected="1")
        status = await cluster.status()
        assert {view.app_id for view in status.views} == {cluster.apps["app"]}
        assert cluster.rollout.versions() == {"app": 3}


TYPE_ERROR = "const answer: string = 42;\n    return answer;"  # TS2322, but bundles fine


def failed_build(event: ClusterEvent) -> bool:
    return isinstance(event, BuildFinished) and event.error is not None


async def test_a_type_error_is_reported_and_not_deployed_until_fixed(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path), Overrides(fresh=True))
    app = tmp_path / "app"
    async with open_cluster(config, watch=True) as cluster:
        events = cluster.events()
        await asyncio.to_thread(add_method, app, TYPE_ERROR)
        failed = await next_event(events, failed_build)
        assert isinstance(failed, BuildFinished)
        first = str(failed.error).splitlines()[0]
        assert first.startswith("src/index.ts:"), first
        assert "is not assignable to type 'string'. (TS2322)" in first
        assert "not deployed" in str(failed.error)
        assert cluster.rollout.versions() == {"app": 1}
        assert {view.app_id for view in (await cluster.status()).views} == {cluster.apps["app"]}
        assert any(first in line for line in describe(failed, {}))  # the headless log
        model = TuiModel("hot", ["node-1", "node-2"])
        fold(model, failed, 0.0)
        assert build_line(model.builds["app"]) == (
            f"app: build failed in {failed.seconds:.2f} s: {first}",
            "error",
        )

        await asyncio.to_thread(add_method, app, "return 'fixed';")
        event = await next_event(events, deployed(2))  # v2: the broken build never was one
        assert isinstance(event, AppDeployed)
        assert await cluster.call("node-2", "hello") == "fixed"


async def test_deploy_on_type_errors_builds_anyway_and_reports_them(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    await asyncio.to_thread(add_method, tmp_path / "app", TYPE_ERROR)
    config = load_config(project)
    seen: list[ClusterEvent] = []
    with pytest.raises(ToolchainError, match="TS2322"):
        await Rollout(config, seen.append).build("app", typecheck=True)
    assert [type(event) for event in seen] == [BuildFinished]

    project.write_text(project.read_text() + "[build]\ndeploy_on_type_errors = true\n")
    seen.clear()
    wasm = await Rollout(load_config(project), seen.append).build("app", typecheck=True)
    assert wasm.read_bytes().startswith(b"\0asm")
    problem, built = seen
    assert "(TS2322)" in str(problem)
    assert "deployed anyway" in str(problem)
    assert isinstance(built, BuildFinished)
    assert built.error is None


SWAP = {  # the state's `writes` counter becomes a register, `writer` a counter, and `set` too
    "writes: Counter = new Counter();\n  writer: LwwRegister<string> = new LwwRegister();":
        "writes: LwwRegister<string> = new LwwRegister();\n  writer: Counter = new Counter();",
    "this.writes.increment();": "this.writes.set(key);",
    "this.writer.set(env.executorIdBase58());": "this.writer.increment();",
    "Number(this.writes.value())": "Number(this.writes.get())",  # and type-correct, so a
    "return this.writer.get();": "return String(this.writer.value());",  # redeploy builds it
}  # fmt: skip


def retype_writes(app: Path) -> None:
    """Apply ``SWAP`` to the app's source."""
    source = app / "src" / "index.ts"
    text = source.read_text()
    for old, new in SWAP.items():
        assert old in text, "the template changed: update SWAP"
        text = text.replace(old, new)
    source.write_text(text)


async def test_a_build_that_cannot_read_the_state_is_refused_until_the_context_is_reset(
    tmp_path: Path,
) -> None:
    config = load_config(make_project(tmp_path), Overrides(fresh=True))
    app = tmp_path / "app"
    async with open_cluster(config, watch=True) as cluster:
        events = cluster.events()
        await cluster.call("node-1", "set", {"key": "x", "value": "1"})
        await cluster.wait_value("get", {"key": "x"}, 15, expected="1")
        old_context, v1 = cluster.contexts["app"], cluster.apps["app"]
        await asyncio.to_thread(retype_writes, app)
        refused = await next_event(events, lambda e: isinstance(e, StateRefused))
        assert isinstance(refused, StateRefused)
        assert (refused.context, refused.version) == ("app", 2)
        assert set(refused.nodes) == {"node-1", "node-2"}
        assert 'field "writes" is stored as a collection of kind "counter"' in refused.reason
        assert "devnet reset app" in str(refused)
        assert await cluster.call("node-2", "get", {"key": "x"}) == "1"  # v1 keeps serving
        status = await cluster.status()
        assert {view.app_id for view in status.views} == {v1}
        [behind] = cluster.rollout.behind()  # what `devnet status` prints under "apps: app v2"
        assert behind.startswith("context app still runs app v1 or earlier on node-")
        assert "`devnet reset app`" in behind

        await cluster.stop("node-2")  # a member down during the reset catches up later
        reset = await cluster.reset("app")
        assert (reset.old_id, reset.version, reset.nodes) == (old_context, 2, ("node-1",))
        assert cluster.contexts["app"] == reset.new_id != old_context
        assert cluster.rollout.behind() == []
        assert await cluster.call("node-1", "get", {"key": "x"}) is None  # afresh, from init
        await cluster.call("node-1", "set", {"key": "y", "value": "2"})
        await cluster.start("node-2")
        await cluster.wait_value("get", {"key": "y"}, 15, expected="2")
        node_2 = cluster.clients()["node-2"]
        assert await node_2.context(old_context) is None  # dropped on start
        assert (await node_2.context(reset.new_id) or {})["applicationId"] == cluster.apps["app"]


def test_detach_returns_when_ready_and_down_leaves_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    up = [sys.executable, "-m", "calimero_devnet.cli", "up", "--detach", "--nodes", "1",
          "--data-dir", str(data_dir), "--json"]  # fmt: skip
    started = subprocess.run(
        up, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=50
    )
    assert started.returncode == 0, started.stderr
    state = running_state(data_dir)
    assert state is not None
    assert manager_alive(state.manager_pid)
    ours = [pid for pid, _ in leftovers(state)] + [state.manager_pid]
    assert len(ours) == 3  # one node, the broker, the manager
    down = [sys.executable, "-m", "calimero_devnet.cli", "down", "--data-dir", str(data_dir)]
    stopped = subprocess.run(
        down, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=50
    )
    assert stopped.returncode == 0, stopped.stderr
    assert f"manager pid {state.manager_pid} stopped" in stopped.stdout
    assert [pid for pid in ours if manager_alive(pid)] == []
    assert "the cluster is down" in (data_dir / "manager.log").read_text()


async def test_a_member_down_through_a_reset_and_a_restart_drops_the_old_generation(
    tmp_path: Path,
) -> None:
    path = make_project(tmp_path)
    async with open_cluster(load_config(path, Overrides(fresh=True))) as cluster:
        old_context = cluster.contexts["app"]
        await cluster.stop("node-2")
        reset = await cluster.reset("app")
    async with open_cluster(load_config(path)) as again:  # the same data, node-2 back
        assert again.contexts["app"] == reset.new_id
        node_2 = again.clients()["node-2"]
        assert await node_2.context(old_context) is None
        assert await node_2.context(reset.new_id) is not None
