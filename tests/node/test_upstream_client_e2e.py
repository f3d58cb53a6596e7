"""Upstream's own JavaScript client (npm ``@calimero-network/calimero-client``, pinned in
tests/npm_client) drives a node serving the kv-store template: execute, a subscription
event, and an error of each kind in the shape that client reads."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import to_b58
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc import deploy
from tests.npm_client.install import DRIVER, client_dir
from tests.toolchain.sdk_helpers import TEMPLATES, build_copy, js_runtime, open_core

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    core = open_core(tmp_path / "home", js_runtime(tmp_path / "wasm-cache"))
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


def driver_in(work: Path) -> Path:
    """Set the client's script up in ``work``, beside the installed client; return it."""
    work.mkdir()
    shutil.copy2(DRIVER, work / DRIVER.name)
    (work / "node_modules").symlink_to(client_dir() / "node_modules")
    return work / DRIVER.name


async def drive(url: str, ctx: bytes, executor: str, work: Path) -> dict[str, Any]:
    """Run the client's script against ``url``, calling as ``executor``; what it printed."""
    node_bin = shutil.which("node")
    assert node_bin is not None, "Node.js is needed: ./dev installs it"
    script = await asyncio.to_thread(driver_in, work)
    proc = await asyncio.create_subprocess_exec(
        node_bin, str(script), url, to_b58(ctx), executor,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    seen: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return seen


def client_error(answer: dict[str, Any]) -> tuple[str, str]:
    """The error's name and cause as the client reports them."""
    error = answer["error"]
    assert error["code"] == 400  # the client's code for every JSON-RPC error
    return error["error"]["name"], error["error"]["cause"]["name"]


async def test_the_upstream_client_executes_subscribes_and_reads_errors(
    node: Harness, tmp_path: Path
) -> None:
    wasm = build_copy(TEMPLATES / "kv-store", tmp_path / "apps").wasm_path.read_bytes()
    ctx = await deploy(node, wasm, tmp_path)
    assert node.node.ready is not None
    _, me = await node.admin("GET", "identity")
    seen = await drive(node.node.ready.url, ctx, me["data"]["publicKey"], tmp_path / "client")

    assert seen["set"] == {"result": {"output": None}}
    assert seen["get"] == {"result": {"output": "v0"}}
    event = seen["event"]
    assert (event["contextId"], event["type"]) == (to_b58(ctx), "StateMutation")
    (item,) = event["data"]["events"]
    # The first set the subscription saw (the client does not wait for it to be taken).
    data = json.loads(bytes(item["data"]))
    index = int(data["key"].removeprefix("k"))
    assert data == {"key": f"k{index}", "value": f"v{index}"}
    assert index < seen["sets"]
    # Every failed call has a type the client names (it shows others as "Server Error").
    assert client_error(seen["missingMethod"]) == ("FunctionCallError", "FunctionCallError")
    assert client_error(seen["badArgs"]) == ("FunctionCallError", "FunctionCallError")
    assert client_error(seen["panic"]) == ("FunctionCallError", "FunctionCallError")
    assert client_error(seen["noContext"]) == ("CallError", "ContextNotFound")
    assert client_error(seen["badRequest"]) == ("ParseError", "ParseError")  # as upstream's
