"""The supervisor with real node processes (no broker), and fake children for its stop logic.

The real nodes check what only a real node shows (ready line, identity kept by the home,
a clean SIGINT exit); a tiny fake child stands in where the point is the supervisor's own
logic: escalation to SIGKILL, early exits, silence, and cleaning up after a failed start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import httpx
import pytest

from calimero_devnet.cluster.processes.supervisor import (
    NodeExited,
    NodeProcess,
    NodeReady,
    NodeSpec,
    NodeStarting,
    NodeStopped,
    StopEscalated,
    Supervisor,
    SupervisorEvent,
    node_home,
    open_supervisor,
)
from calimero_devnet.errors import ClusterError

pytestmark = pytest.mark.integration

# A stand-in node: `<mode> --home … --rpc-port …` (the node's options are ignored).
FAKE_NODE = """
import json, os, signal, sys, time
mode = sys.argv[1]
if mode == "fail":
    print("devnet: error: rpc port 1 on 127.0.0.1 is already in use", file=sys.stderr)
    sys.exit(2)
if mode == "stubborn":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
else:
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
if mode != "silent":
    ready = {"event": "ready", "name": "fake", "rpcPort": 1, "publicKey": "K", "pid": os.getpid(),
             "host": "127.0.0.1"}
    print(json.dumps(ready), flush=True)
print("fake node waiting", file=sys.stderr, flush=True)
while True:
    time.sleep(60)
"""


def fake(name: str, home: Path, mode: str) -> NodeSpec:
    return NodeSpec(name, home / name, program=(sys.executable, "-c", FAKE_NODE, mode))


class Events(list[SupervisorEvent]):
    """Every reported event, in order."""

    def of(self, kind: type[SupervisorEvent]) -> list[SupervisorEvent]:
        return [event for event in self if isinstance(event, kind)]


async def test_real_nodes_start_together_crash_restart_and_stop(tmp_path: Path) -> None:
    events = Events()
    specs = [NodeSpec(f"node-{i}", node_home(tmp_path, f"node-{i}"), index=i) for i in (1, 2)]
    async with open_supervisor(events.append) as supervisor:
        one, two = await supervisor.spawn_all(specs)
        assert one.ready is not None
        assert two.ready is not None
        ports = {one.ready.rpc_port, two.ready.rpc_port}
        assert len(ports) == 2
        assert 0 not in ports
        assert one.ready.pid == one.pid
        assert os.getsid(one.ready.pid) == one.ready.pid  # own session: Ctrl-C reaches the manager
        assert str(one.ready).startswith(f"node-1 ready on :{one.ready.rpc_port} in ")
        async with httpx.AsyncClient(base_url=str(one.url)) as client:
            identity = (await client.get("/admin-api/identity")).json()["data"]
        assert identity == {"publicKey": one.ready.public_key, "name": "node-1"}
        first = one.ready

        assert await one.kill() == -9
        (exited,) = events.of(NodeExited)
        assert isinstance(exited, NodeExited)
        assert (exited.name, exited.returncode, exited.signal) == ("node-1", -9, "SIGKILL")
        assert str(exited) == "node-1 exited unexpectedly: killed by SIGKILL"
        assert any("ready at" in line for line in exited.log_tail)
        assert len(exited.log_tail) <= 20

        again = await one.restart()
        assert again.public_key == first.public_key  # the same home keeps the identity
        assert again.rpc_port == first.rpc_port  # and the node keeps its URL
        assert again.pid != first.pid

        assert await two.stop() == 0
        assert not two.running
    assert one.returncode == 0  # stopped by the block's exit
    assert [str(e) for e in events.of(NodeStarting)].count("starting node-1…") == 2
    assert {e.name for e in events.of(NodeStopped)} == {"node-1", "node-2"}
    assert len(events.of(NodeExited)) == 1  # stops that were asked for are not "unexpected"
    assert (tmp_path / "nodes" / "node-2" / "node.log").is_file()


async def test_a_node_that_ignores_sigint_is_killed_and_it_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = Events()
    supervisor = Supervisor(events.append)
    node = await supervisor.spawn(fake("stubborn", tmp_path, "stubborn"))
    with caplog.at_level(logging.WARNING):
        assert await node.stop(grace=0.3) == -9
    (escalated,) = events.of(StopEscalated)
    assert str(escalated) == "stubborn did not stop within 0.3 s: sent SIGKILL"
    assert "stubborn did not stop within 0.3 s: sent SIGKILL" in caplog.text
    (stopped,) = events.of(NodeStopped)
    assert str(stopped).endswith("(killed by SIGKILL)")
    assert events.of(NodeExited) == []


async def test_an_early_exit_is_reported_with_its_stderr(tmp_path: Path) -> None:
    supervisor = Supervisor()
    with pytest.raises(ClusterError) as caught:
        await supervisor.spawn(fake("broken", tmp_path, "fail"))
    message = str(caught.value)
    assert message.startswith("broken exited before it was ready (exit code 2, bad option")
    assert "rpc port 1 on 127.0.0.1 is already in use" in message
    assert str(tmp_path / "broken" / "stderr.log") in message
    assert supervisor.nodes == {}


async def test_a_silent_node_times_out_and_is_gone(tmp_path: Path) -> None:
    node = NodeProcess(fake("mute", tmp_path, "silent"), ready_timeout=30)
    await node.start()
    with pytest.raises(ClusterError, match=r"mute was not ready within 0\.5 s: see .*stderr\.log"):
        await node.wait_ready(within=0.5)
    assert not node.running
    assert node.returncode == -9
    log = (tmp_path / "mute" / "stderr.log").read_text()
    assert log.startswith("--- devnet: starting mute")
    assert "fake node waiting" in log


async def test_a_failed_start_stops_the_nodes_that_started(tmp_path: Path) -> None:
    events = Events()
    supervisor = Supervisor(events.append)
    specs = [fake("good", tmp_path, "polite"), fake("bad", tmp_path, "fail")]
    with pytest.raises(ClusterError, match=r"^bad exited before it was ready"):
        await supervisor.spawn_all(specs)
    good = supervisor["good"]
    assert not good.running
    assert good.returncode == 0
    assert [e.name for e in events.of(NodeReady)] == ["good"]
    with pytest.raises(ClusterError, match=r"no node named 'bad' in this cluster \(nodes: good\)"):
        supervisor["bad"]
    await asyncio.wait_for(good.wait_exit(), 1)
