"""Provides the shared integration-test fixtures (self-contained blocks; add yours below)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)

REPO = Path(__file__).resolve().parents[2]

# --- MQTT brokers (bus adapter tests) -------------------------------------------------------


@pytest.fixture(params=["amqtt", "mosquitto"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BrokerHandle]:
    """A fresh broker per test on a free loopback port: the embedded amqtt, then mosquitto."""
    workdir = tmp_path / f"broker-{request.param}"
    workdir.mkdir()
    opener = open_embedded_broker if request.param == "amqtt" else open_mosquitto
    async with opener(workdir=workdir) as handle:
        yield handle


# --- a cluster started with `devnet up --detach` ----------------------------------------------


def devnet_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str]:
    """Run one ``devnet`` command on ``data_dir`` in this process; return (exit code, output)."""
    from calimero_devnet import cli  # noqa: PLC0415  (only the tests using it pay for it)

    capsys.readouterr()
    code = cli.main([*argv, "--data-dir", str(data_dir)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def up_detached(data_dir: Path) -> tuple[int, str]:
    """``devnet up --detach`` of 2 nodes on ``data_dir`` in a subprocess (the manager it starts
    outlives the command); return its exit code and output once it returned."""
    argv = [sys.executable, "-m", "calimero_devnet.cli", "up", "--detach", "--nodes", "2",
            "--no-watch", "--data-dir", str(data_dir)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120,
                          cwd=data_dir.parent, env=env)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def detached(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """A data dir whose 2-node cluster runs detached (``devnet up --detach``), ready; whatever
    a test leaves running on it is stopped (``devnet down``) afterwards."""
    data_dir = tmp_path / "data"
    code, out = up_detached(data_dir)
    assert code == 0, out
    try:
        yield data_dir
    finally:
        devnet_cli(capsys, data_dir, "down")


# --- the fault table (test_faults.py) -------------------------------------------------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the table of faults and outcomes after a run that injected faults."""
    from tests.integration import faults_table  # noqa: PLC0415

    rows = faults_table.lines()
    if rows:
        terminalreporter.section("faults injected under writes")
        for row in rows:
            terminalreporter.write_line(row)


# --- what an async test waits on when it runs out of time -----------------------------------


@pytest.fixture(autouse=True)
async def asyncio_tasks_dumped_before_the_timeout(
    request: pytest.FixtureRequest,
) -> AsyncIterator[None]:
    """pytest-timeout shows thread stacks, where an async test is only ever in ``select``:
    3 s before the timeout, print every asyncio task's stack to stderr instead."""
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0] if marker and marker.args else request.config.getini("timeout"))
    handle = asyncio.get_running_loop().call_later(max(limit - 3, 1), _dump_tasks, request)
    yield
    handle.cancel()


def _dump_tasks(request: pytest.FixtureRequest) -> None:
    print(f"\n--- {request.node.nodeid}: asyncio tasks 3 s before the timeout ---", file=sys.stderr)
    for task in asyncio.all_tasks():
        task.print_stack(limit=15, file=sys.stderr)
