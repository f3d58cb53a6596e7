"""A node that died unasked and runs again is history, not a current failure, in the status."""

from __future__ import annotations

from pathlib import Path

import httpx

from calimero_devnet.cluster.control.endpoint import serve_control
from calimero_devnet.cluster.events import EventHub
from calimero_devnet.cluster.failures import NodeFailures
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.processes.node_events import NodeExited, NodeReady
from calimero_devnet.cluster.processes.supervisor import Supervisor
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides

KILLED = NodeExited("node-2", -9, "SIGKILL", ())
CRASHED = NodeExited("node-3", 1, None, ())


class _NoNodes:
    """A supervisor of nothing: every node reads as down (status asks no one)."""

    def __init__(self) -> None:
        self.nodes: dict[str, object] = {}


def ready(name: str) -> NodeReady:
    return NodeReady(name, "127.0.0.1", 4000, "key", 123, 0.5)


async def manager_status(tmp_path: Path, *events: NodeExited | NodeReady) -> dict[str, object]:
    """``GET /status`` of a manager whose supervisor reported ``events``."""
    config = load_config(None, Overrides(data_dir=tmp_path))
    supervisor: Supervisor = _NoNodes()  # type: ignore[assignment]
    cluster = Cluster(config, EventHub(None), supervisor, "mqtt://127.0.0.1:1")
    for event in events:
        cluster.on_node_event(event)
    async with serve_control(cluster) as url, httpx.AsyncClient(base_url=url) as client:
        data: dict[str, object] = (await client.get("/status")).json()["data"]
    return data


async def test_a_node_killed_and_restarted_is_no_longer_a_failure(tmp_path: Path) -> None:
    data = await manager_status(tmp_path, ready("node-2"), KILLED, ready("node-2"))
    assert data["failures"] == []
    assert data["restarts"] == ["node-2 restarted 0 s ago after SIGKILL"]


async def test_a_node_still_down_is_a_failure(tmp_path: Path) -> None:
    data = await manager_status(tmp_path, ready("node-2"), KILLED)
    assert data["failures"] == ["node-2 exited unexpectedly: killed by SIGKILL"]
    assert data["restarts"] == []


def test_a_second_death_after_the_restart_is_current_again() -> None:
    exits = NodeFailures()
    exits.exited(KILLED)
    exits.ready("node-2", now=100.0)
    exits.exited(CRASHED)
    assert exits.current() == ["node-3 exited unexpectedly: exit code 1, crashed or shut down "
                               "uncleanly"]  # fmt: skip
    assert exits.history(now=112.4) == ["node-2 restarted 12 s ago after SIGKILL"]
    exits.exited(KILLED)
    assert len(exits.current()) == 2
    assert exits.history(now=120.0) == []
    assert exits.all == [KILLED, CRASHED, KILLED]  # the exit status counts every one
