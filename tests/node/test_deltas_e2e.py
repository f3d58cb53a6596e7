"""The real kv-store template, built by the toolchain, read through the delta routes: its
collections are named after the fields of its state class."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import to_b58
from calimero_devnet.toolchain import BuildResult
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc import deploy
from tests.toolchain.sdk_helpers import TEMPLATES, build_copy, js_runtime, open_core

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def kv_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_copy(TEMPLATES / "kv-store", tmp_path_factory.mktemp("templates"))


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    core = open_core(tmp_path / "home", js_runtime(tmp_path / "wasm-cache"))
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


async def traced(node: Harness, ctx: bytes, method: str, args: Any) -> dict[str, Any]:
    params = {"contextId": to_b58(ctx), "method": method, "argsJson": args, "trace": True}
    status, answer = await node.rpc({"jsonrpc": "2.0", "id": 1, "method": "execute",
                                     "params": params})  # fmt: skip
    assert status == 200
    assert "result" in answer, answer
    trace: dict[str, Any] = answer["result"]["trace"]
    return trace


async def test_kv_store_deltas_read_as_its_fields(
    node: Harness, kv_build: BuildResult, tmp_path: Path
) -> None:
    ctx = await deploy(node, kv_build.wasm_path.read_bytes(), tmp_path)
    put = await traced(node, ctx, "set", {"key": "a", "value": "1"})
    assert put["events"] == [{"kind": "ItemSet", "data": '{"key":"a","value":"1"}'}]
    first_tag = await traced(node, ctx, "tag", {"key": "a", "tag": "x"})
    base = f"contexts/{to_b58(ctx)}/deltas"
    _, body = await node.admin("GET", f"{base}/{put['delta']}")
    lines = body["data"]["actions"]
    assert lines[0] == 'items["a"] = "1"'
    assert lines[1].startswith("writes[")
    assert lines[1].endswith("] = 1")
    assert lines[2].startswith('writer = "')
    _, body = await node.admin("GET", f"{base}/{first_tag['delta']}")
    assert body["data"]["actions"][0] == 'new set tagSets["a"]'
    assert body["data"]["actions"][-1] == 'tagSets["a"] add "x"'
    _, body = await node.admin("GET", base)
    summaries = [entry["summary"] for entry in body["data"]["deltas"]]
    assert summaries[1].startswith('items["a"] = "1"; writes[')
    assert summaries[-1] == "new map items; new map tagSets; new counter writes"  # init
