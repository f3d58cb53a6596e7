"""Provides the shared integration-test fixtures (self-contained blocks; add yours below)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)

# --- MQTT brokers (bus adapter tests) -------------------------------------------------------


@pytest.fixture(params=["amqtt", "mosquitto"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BrokerHandle]:
    """A fresh broker per test on a free loopback port: the embedded amqtt, then mosquitto."""
    workdir = tmp_path / f"broker-{request.param}"
    workdir.mkdir()
    opener = open_embedded_broker if request.param == "amqtt" else open_mosquitto
    async with opener(workdir=workdir) as handle:
        yield handle
