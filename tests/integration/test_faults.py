"""Fault injection on a real 3-node cluster under writes: each fault lands mid-burst, the
cluster recovers, and every write a node acknowledged is on every node afterwards.

Writers set fresh keys on every node while a fault hits; a write that got an answer
without error is "acknowledged". After the fault is lifted the cluster must converge and
each acknowledged key must read back on each node. Each test adds a row to the fault table
printed at the end of the run (``faults_table.py``; ``docs/reliability.md`` keeps a copy).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from calimero_devnet.cluster.events import BrokerBack
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from calimero_devnet.errors import DevnetError
from tests.integration import faults_table

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
NODES = 3
BURST_S = 1.0  # writing before the fault, during it, and after it is lifted
Fault = Callable[[Cluster], Awaitable[str]]  # inject, wait, lift; returns what it did


class Writers:
    """One writer per node setting fresh keys; remembers what each node acknowledged."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.acked: dict[str, str] = {}
        self.refused = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        names = self.cluster.node_names
        self._tasks = [asyncio.create_task(self._write(name)) for name in names]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _write(self, node: str) -> None:
        for n in itertools.count():
            if self._stop.is_set():
                return
            key, value = f"{node}-{n}", f"v{n}"
            try:
                await self.cluster.call(node, "set", {"key": key, "value": value})
            except DevnetError:  # the node is down or refused: not acknowledged
                self.refused += 1
                await asyncio.sleep(0.05)
                continue
            self.acked[key] = value


async def run_fault(tmp_path: Path, name: str, fault: Fault) -> None:
    config = load_config(None, Overrides(nodes=NODES, data_dir=tmp_path / "data", fresh=True))
    async with open_cluster(config) as cluster:
        writers = Writers(cluster)
        writers.start()
        await asyncio.sleep(BURST_S)
        did = await fault(cluster)
        await asyncio.sleep(BURST_S)
        await writers.stop()
        started = time.monotonic()
        await cluster.wait_converged(timeout=60)
        took = time.monotonic() - started
        missing = await keys_missing(cluster, writers.acked)
        outcome = faults_table.Row(name, did, len(writers.acked), writers.refused, missing, took)
        faults_table.record(outcome)
        assert missing == {}, f"acknowledged writes missing after {name}: {missing}"


async def keys_missing(cluster: Cluster, acked: dict[str, str]) -> dict[str, int]:
    """Per node, how many acknowledged keys it does not hold (only nodes lacking some)."""
    missing: dict[str, int] = {}
    for node in cluster.node_names:
        values = await asyncio.gather(*(cluster.call(node, "get", {"key": k}) for k in acked))
        lacking = sum(1 for got, want in zip(values, acked.values(), strict=True) if got != want)
        if lacking:
            missing[node] = lacking
    return missing


async def kill_and_restart_a_node(cluster: Cluster) -> str:
    await cluster.kill("node-2")
    await asyncio.sleep(BURST_S)
    await cluster.restart("node-2")
    return "SIGKILL node-2 mid-burst, restart it"


async def partition_with_writes_on_both_sides(cluster: Cluster) -> str:
    await cluster.partition([["node-1", "node-2"], ["node-3"]])
    await asyncio.sleep(BURST_S)
    await cluster.heal()
    return "node-3 cut off while both sides write, heal"


async def freeze_a_node(cluster: Cluster) -> str:
    pid = cluster.node("node-3").pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # hung: its port accepts, it answers nothing
    await asyncio.sleep(BURST_S)
    os.kill(pid, signal.SIGCONT)
    return "SIGSTOP node-3 mid-burst, SIGCONT"


async def kill_the_broker(cluster: Cluster) -> str:
    assert cluster.broker is not None
    events = cluster.events()
    os.kill(cluster.broker.pid or 0, signal.SIGKILL)
    try:
        async with asyncio.timeout(30):  # the manager notices, restarts it, says it is back
            async for event in events:
                if isinstance(event, BrokerBack):
                    break
    finally:
        events.close()
    return "SIGKILL the broker mid-burst; the manager restarts it"


FAULTS: dict[str, Fault] = {
    "node kill -9": kill_and_restart_a_node,
    "partition": partition_with_writes_on_both_sides,
    "hung node": freeze_a_node,
    "broker kill -9": kill_the_broker,
}


@pytest.mark.parametrize("name", list(FAULTS))
async def test_acknowledged_writes_survive(name: str, tmp_path: Path) -> None:
    await run_fault(tmp_path, name, FAULTS[name])
