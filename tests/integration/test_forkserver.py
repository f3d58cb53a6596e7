"""The node fork server with real processes: a real server (its real imports), children
running small test entries (``fork_entries.py``) instead of nodes, and a supervisor of real
nodes that outlives its fork server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calimero_devnet.cluster.processes import orphans, procfs
from calimero_devnet.cluster.processes.forked import ForkServer
from calimero_devnet.cluster.processes.node_events import LOST_EXIT
from calimero_devnet.cluster.processes.node_process import child_env
from calimero_devnet.cluster.processes.supervisor import NodeSpec, Supervisor, node_home
from calimero_devnet.errors import ClusterError

pytestmark = pytest.mark.integration
ENTRIES = "tests.integration.fork_entries"


@pytest.fixture
async def server() -> AsyncIterator[ForkServer]:
    forks = await ForkServer.start(child_env(None) | {"SERVER_ONLY": "1"})
    try:
        yield forks
    finally:
        await forks.close()


async def until(check: object, what: str, within: float = 10.0) -> None:
    """Poll ``check()`` until true (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_child_gets_its_streams_environment_session_and_exit_code(
    server: ForkServer, tmp_path: Path
) -> None:
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("ab") as stderr:
        child = await server.spawn(
            ["7", "x y"], {"FORK_TEST": "given"}, stderr.fileno(), entry=f"{ENTRIES}:report"
        )
    seen = json.loads(await child.stdout.readline())
    assert seen == {
        "argv": ["7", "x y"],
        "env": "given",
        "server_env": None,  # the child has the asked environment, not the server's
        "own_session": True,
        "fds": [0, 1, 2, 3],  # 3: the listing's own; none of the server's or a sibling's
        "stdin": "",
    }
    assert await child.wait() == 7
    assert child.returncode == 7
    assert stderr_path.read_text() == "said on stderr\n"
    assert await child.stdout.read() == b""  # the pipe ends with the child


async def test_signals_go_through_the_pidfd_and_the_title_names_the_node(
    server: ForkServer, tmp_path: Path
) -> None:
    home = tmp_path / "nodes" / "node x"
    title = f"python -m calimero_devnet.node --home '{home}' --rpc-port 0"
    children = [
        await server.spawn([], {}, 2, title=title, entry=f"{ENTRIES}:hang") for _ in range(2)
    ]
    for child in children:
        assert await child.stdout.readline() == b"up\n"
    assert orphans.node_of(procfs.cmdline(children[0].pid), tmp_path) == "node x"
    children[0].send_signal(signal.SIGKILL)
    children[1].send_signal(signal.SIGTERM)
    assert [await child.wait() for child in children] == [-signal.SIGKILL, -signal.SIGTERM]
    with pytest.raises(ProcessLookupError):
        children[0].send_signal(signal.SIGKILL)


async def test_children_outlive_a_dead_server_and_end_with_the_lost_code(
    server: ForkServer,
) -> None:
    child = await server.spawn([], {}, 2, entry=f"{ENTRIES}:hang")
    assert await child.stdout.readline() == b"up\n"
    server.process.kill()
    await until(lambda: server.lost, "the server's end did not close")
    with pytest.raises(ClusterError, match="fork server"):
        await server.spawn([], {}, 2, entry=f"{ENTRIES}:hang")
    os.kill(child.pid, 0)  # still running
    child.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(child.wait(), 10) == LOST_EXIT


def titled(title: str) -> list[int]:
    """The processes showing ``title`` as their command line."""
    return [pid for pid in procfs.pids() if procfs.cmdline(pid) == [title]]


@pytest.mark.parametrize("yields", [0, 1, 2, 4, 8, 16])
async def test_a_spawn_cancelled_at_any_point_leaves_no_child_running(
    server: ForkServer, yields: int
) -> None:
    title = f"fork-test cancelled after {yields} yields {os.getpid()}"
    spawn = asyncio.ensure_future(server.spawn([], {}, 2, title=title, entry=f"{ENTRIES}:hang"))
    for _ in range(yields):
        await asyncio.sleep(0)
    spawn.cancel()
    try:
        child = await spawn
    except asyncio.CancelledError:
        await until(lambda: not titled(title), "a child of a cancelled spawn runs on")
    else:  # it was done before the cancel came: an ordinary child, ours to end
        child.send_signal(signal.SIGKILL)
        assert await child.wait() == -signal.SIGKILL


async def test_closing_with_a_start_in_hand_leaves_no_child_running() -> None:
    forks = await ForkServer.start(child_env(None))
    title = f"fork-test closed mid-start {os.getpid()}"
    spawn = asyncio.ensure_future(forks.spawn([], {}, 2, title=title, entry=f"{ENTRIES}:hang"))
    await asyncio.sleep(0)
    await forks.close()
    with pytest.raises(ClusterError, match="fork server"):
        await spawn  # never handed out: a child named during the close is killed
    await until(lambda: not titled(title), "a child asked for before close runs on")


async def test_a_supervisor_forks_nodes_and_execs_them_once_its_server_is_gone(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor()
    specs = [NodeSpec(name, node_home(tmp_path, name)) for name in ("node-1", "node-2")]
    try:
        forked = await supervisor.spawn(specs[0])
        server = await supervisor.fork_server()
        assert server is not None
        assert procfs.cmdline(forked.pid or 0)[0].startswith("python -m calimero_devnet.node ")
        assert await forked.stop() == 0  # SIGINT reaches a forked node: a clean stop
        await forked.start()
        await forked.wait_ready()
        server.process.kill()
        await until(lambda: server.lost, "the server's end did not close")
        execed = await supervisor.spawn(specs[1])
        assert procfs.cmdline(execed.pid or 0)[1:3] == ["-m", "calimero_devnet.node"]
        assert await supervisor.fork_server() is None
        assert await forked.stop() == LOST_EXIT  # it stopped; its code died with the server
        assert await execed.stop() == 0
    finally:
        await supervisor.stop_all()
        await supervisor.close()


async def test_without_forking_every_node_is_a_process_of_its_own(tmp_path: Path) -> None:
    supervisor = Supervisor(fork=False)
    try:
        node = await supervisor.spawn(NodeSpec("node-1", node_home(tmp_path, "node-1")))
        assert procfs.cmdline(node.pid or 0)[1:3] == ["-m", "calimero_devnet.node"]
        assert await supervisor.fork_server() is None
    finally:
        await supervisor.stop_all()
        await supervisor.close()
