"""A token-protected cluster end to end: ``devnet up --headless`` with
``[security] token = "generate"`` in a real process (real broker, node processes and build);
the nodes and the control endpoint refuse requests without the token, the CLI (which reads
it from the 0600 ``cluster.json``) works as ever, and the token is in no log."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from calimero_devnet.cluster.events import ClusterEvent
from calimero_devnet.cluster.processes.statefile import running_state
from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.errors import ClusterError
from tests.integration.test_devnet_up import Manager, devnet, devnet_json, headless_up

pytestmark = pytest.mark.integration


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[Manager]:
    """A two-node ``devnet up --headless`` wanting a generated token, ready."""
    (tmp_path / "devnet.toml").write_text('[nodes]\ncount = 2\n[security]\ntoken = "generate"\n')
    with headless_up(tmp_path) as running:
        yield running


async def watch_a_write(remote: RemoteCluster) -> tuple[str, ClusterEvent]:
    """What the TUI reads through the control endpoint: the apps, and an event of a write."""
    apps = await remote.apps_info()
    events = remote.events()
    async with asyncio.timeout(15):
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.5)  # subscribed by then (if not, the idle poll still comes)
        await remote.call("node-1", "set", {"key": "b", "value": "2"})
        event = await first
    return apps[0]["name"], event


def test_a_token_protected_cluster_from_the_cli(
    manager: tuple[subprocess.Popen[bytes], Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    process, data_dir, log = manager
    state = running_state(data_dir)
    assert state is not None
    assert state.token is not None
    assert state.control_url is not None
    assert (data_dir / "cluster.json").stat().st_mode & 0o777 == 0o600
    node_url = state.node("node-1").rpc_url
    assert node_url is not None

    # Without the token: refused by the nodes and by the manager; the health probe is open.
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": {}}
    refused = httpx.post(f"{node_url}/jsonrpc", json=body)
    assert (refused.status_code, refused.json()["error"]["type"]) == (401, "Unauthorized")
    assert httpx.get(f"{node_url}/admin-api/contexts").status_code == 401
    assert httpx.get(f"{node_url}/admin-api/health").status_code == 200
    assert httpx.get(f"{state.control_url}/status").status_code == 401

    # The CLI reads the token from cluster.json: calls, status, waits and control all work.
    assert devnet(capsys, data_dir, "call", "node-1", "set", '{"key": "a", "value": "1"}') == (
        0, "null\n",
    )  # fmt: skip
    code, out = devnet(capsys, data_dir, "wait-converged", "--value", "get", '{"key": "a"}',
                       "--expect", '"1"')  # fmt: skip
    assert code == 0, out
    status = devnet_json(capsys, data_dir, "status")
    assert status["converged"] == {"kv-store": True}
    assert devnet(capsys, data_dir, "heal")[0] == 0  # through the control endpoint
    app, event = asyncio.run(watch_a_write(RemoteCluster.attach(data_dir)))
    assert app == "kv-store"
    assert event is not None

    # A wrong token (a cluster.json of another run) is explained, not a crash.
    stale = RemoteCluster(replace(state, token="not-the-token-of-this-run"))
    with pytest.raises(ClusterError, match="wants the cluster's token"):
        asyncio.run(stale.call("node-1", "get", {"key": "a"}))
    with pytest.raises(ClusterError, match="control endpoint wants the cluster's token"):
        asyncio.run(stale.manager_status())

    assert devnet(capsys, data_dir, "down")[0] == 0
    assert process.wait(20) == 0
    logs = [log, *data_dir.glob("nodes/*/*.log"), *data_dir.glob("*.log")]
    assert len(logs) > 2
    assert [path for path in logs if state.token in path.read_text(errors="replace")] == []
