"""A broker killed under writes: said down, restarted on its port, every write everywhere.

``open_cluster`` with three real nodes and the real embedded amqtt or mosquitto. The broker
is SIGKILLed while two nodes write; its port is then held for a moment so the restart
fails and the outage is long enough to read ``devnet status`` (which must not say
"healthy"); once the port is free the manager's retry brings the broker back, and every
acknowledged write, those made while it was down included, must reach every node.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calimero_devnet import cli
from calimero_devnet.cluster.events import BrokerBack, BrokerDown, ClusterEvent, Subscription
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.processes.broker import open_embedded_broker
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from tests.fixtures import load_wat

pytestmark = pytest.mark.integration


def make_project(root: Path, broker: str) -> Path:
    """Three nodes, the WAT kv-store as a ``.wasm`` app (no build), the given broker."""
    (root / "kv.wasm").write_bytes(load_wat("kv_store"))
    (root / "devnet.toml").write_text(
        f'[cluster]\nname = "bf"\ndata_dir = "data"\n[nodes]\ncount = 3\n'
        f'[broker]\nkind = "{broker}"\n[[apps]]\nname = "kv"\npath = "kv.wasm"\nwatch = false\n'
    )
    return root / "devnet.toml"


@contextlib.contextmanager
def port_held(port: int) -> Iterator[None]:
    """Listen on ``port`` (never answering MQTT) once the dead broker let go of it: a
    restart cannot bind it and clients get no CONNACK, as while a broker is away."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # its old links: TIME_WAIT
    deadline = time.monotonic() + 5
    while True:
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
            break
        except OSError:
            assert time.monotonic() < deadline, f"port {port} never freed"
            time.sleep(0.01)  # blocking on purpose: the watch must not restart it first
    try:
        yield
    finally:
        holder.close()


async def next_of(
    events: Subscription, kind: type[ClusterEvent], within: float = 15
) -> ClusterEvent:
    async with asyncio.timeout(within):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError("the event stream ended")


class Writers:
    """Nodes writing distinct keys one after another; ``acked`` holds every acknowledged one."""

    def __init__(self, cluster: Cluster, nodes: list[str]) -> None:
        self.acked: list[str] = []
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(self._write(cluster, node)) for node in nodes]

    async def _write(self, cluster: Cluster, node: str) -> None:
        for i in range(100_000):
            if self._stop.is_set():
                return
            key = f"{node}-{i}"
            await cluster.call(node, "set", {"key": key, "value": str(i)})
            self.acked.append(key)
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


def devnet_status(capsys: pytest.CaptureFixture[str], data_dir: Path) -> Callable[[], str]:
    def run() -> str:
        assert cli.main(["status", "--data-dir", str(data_dir)]) == 0
        return capsys.readouterr().out

    return run


@pytest.mark.parametrize("broker", ["embedded", "mosquitto"])
async def test_a_killed_broker_is_said_restarted_and_loses_no_acknowledged_write(
    tmp_path: Path, broker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(make_project(tmp_path, broker), Overrides(fresh=True))
    async with open_cluster(config) as cluster:
        assert cluster.broker is not None
        events = cluster.events()
        writers = Writers(cluster, ["node-1", "node-2"])
        try:
            await asyncio.sleep(0.3)
            os.kill(cluster.broker.pid or 0, signal.SIGKILL)
            with port_held(cluster.broker.port):
                down = await next_of(events, BrokerDown)
                before = len(writers.acked)
                await asyncio.sleep(0.5)  # writes go on, locally, while the broker is away
                status = await asyncio.to_thread(devnet_status(capsys, config.cluster.data_dir))
                during = len(writers.acked) - before
            back = await next_of(events, BrokerBack)
            await asyncio.sleep(0.3)
        finally:
            await writers.stop()
        report = await cluster.wait_value("entries", {}, timeout=20)
    assert isinstance(down, BrokerDown)
    assert (down.reason, down.managed) == ("killed by SIGKILL", True)
    network = next(line for line in status.splitlines() if line.startswith("network: "))
    assert network.startswith("network: broker down since ")
    assert "bus reconnecting" in network or "nodes off the bus" in network
    assert "healthy" not in network
    assert isinstance(back, BrokerBack)
    assert back.restarted
    assert during > 0  # writes were acknowledged while the broker was down
    for view in report.views:  # (node, its answer, ...)
        node, keys = view[0], set(dict(view[1]))
        assert set(writers.acked) <= keys, f"{node} lacks {set(writers.acked) - keys}"


async def test_a_broker_dead_at_shutdown_is_not_said_stopped(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path, "embedded"), Overrides(fresh=True))
    said: list[ClusterEvent] = []
    with contextlib.ExitStack() as held:  # the port stays held until the cluster is down
        async with open_cluster(config, progress=said.append, control=False) as cluster:
            assert cluster.broker is not None
            events = cluster.events()
            os.kill(cluster.broker.pid or 0, signal.SIGKILL)
            held.enter_context(port_held(cluster.broker.port))
            await next_of(events, BrokerDown)  # then down, while its restart keeps failing
    lines = [str(event) for event in said]
    assert "amqtt broker stopped; the cluster is down" not in lines
    assert any(line.startswith("amqtt broker was not running (") for line in lines), lines


async def test_an_external_broker_that_goes_away_is_said_down_and_back(tmp_path: Path) -> None:
    async with open_embedded_broker(workdir=tmp_path) as external:
        project = make_project(tmp_path, "external")
        text = project.read_text().replace(
            'kind = "external"', f'kind = "external"\nurl = "{external.url}"'
        )
        project.write_text(text)
        config = load_config(project, Overrides(fresh=True))
        async with open_cluster(config, control=False) as cluster:
            events = cluster.events()
            await cluster.call("node-1", "set", {"key": "before", "value": "1"})
            await asyncio.to_thread(external.kill)
            down = await next_of(events, BrokerDown)
            await cluster.call("node-2", "set", {"key": "during", "value": "2"})
            await asyncio.to_thread(external.start)  # it returns by itself, on its port
            back = await next_of(events, BrokerBack)
            await cluster.wait_value("get", {"key": "during"}, expected="2", timeout=20)
            report = await cluster.wait_value("get", {"key": "before"}, expected="1", timeout=5)
    assert isinstance(down, BrokerDown)
    assert (down.kind, down.managed) == ("external", False)
    assert isinstance(back, BrokerBack)
    assert not back.restarted
    assert len(report.views) == 3
