"""The node lifecycle in-process: startup, ready info, shutdown closing the core in time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.service import NodeService, open_node
from tests.node.fake_core import FakeCore
from tests.node.rpc_harness import running_node


async def test_ready_info_and_clean_close(tmp_path: Path) -> None:
    fake = FakeCore()
    async with open_node(NodeConfig(home=tmp_path / "h"), lambda _: fake) as node:
        assert node.ready is not None
        line = json.loads(node.ready.line())
        assert line["event"] == "ready"
        assert line["rpcPort"] == node.ready.rpc_port > 0
        assert line["publicKey"] == to_b58(fake.public_key)
    assert fake.closed
    assert fake.threads == {"node-core"}  # opened, used and closed on the worker thread


async def test_shutdown_reports_a_call_that_outlasts_the_timeout(tmp_path: Path) -> None:
    fake = FakeCore()
    async with running_node(fake, tmp_path, shutdown_timeout=0.05) as harness:
        ctx = fake.create_context(b"\0" * 32).id
        slow = asyncio.create_task(harness.execute(ctx, "slow"))
        await asyncio.sleep(0.05)
        node = harness.node
        node.request_stop()
        assert await node.shutdown() is False
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
    await asyncio.sleep(0.5)  # let the abandoned worker thread finish its call


async def test_a_taken_port_is_a_config_error(tmp_path: Path) -> None:
    async with running_node(FakeCore(), tmp_path / "a") as first:
        assert first.node.ready is not None
        port = first.node.ready.rpc_port
        taken = NodeService(NodeConfig(home=tmp_path / "b", rpc_port=port), lambda _: FakeCore())
        with pytest.raises(ConfigError, match=f"rpc port {port} on 127.0.0.1 is already in use"):
            await taken.startup()
