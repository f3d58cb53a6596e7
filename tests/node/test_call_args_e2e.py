"""The real kv-store template over JSON-RPC: arguments that do not fit the ABI manifest's
types are refused with ``InvalidArgs`` before the app runs, and nothing is committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("set", {"kye": "a", "vaule": "1"}, "'key' (string) must be a string, got an object"),
        ("set", {}, "argument 'key' (string) must be a string, got an object {}"),
        ("set", None, "argument 'key' (string) must be a string"),  # no argsJson at all
        ("set", {"key": "a"}, "argument 'value' (string) is missing"),
        ("get", {"key": 5}, "argument 'key' (string) must be a string, got a number 5"),
    ],
)
async def test_misfitting_arguments_are_refused_and_nothing_is_committed(
    node: Harness, kv_build: BuildResult, tmp_path: Path, *, method: str, args: Any, expected: str
) -> None:
    ctx = await deploy(node, kv_build.wasm_path.read_bytes(), tmp_path)
    _, before = await node.admin("GET", "contexts")
    answer = await node.execute(ctx, method, args)
    error = answer["error"]
    assert (error["type"], error["kind"]) == ("FunctionCallError", "InvalidArgs"), answer
    assert expected in answer["error"]["data"]
    _, after = await node.admin("GET", "contexts")
    assert after == before  # same root, heads and delta count
    assert (await node.execute(ctx, "entries", {}))["result"]["output"] == {}


async def test_fitting_arguments_still_run(
    node: Harness, kv_build: BuildResult, tmp_path: Path
) -> None:
    ctx = await deploy(node, kv_build.wasm_path.read_bytes(), tmp_path)
    assert "result" in await node.execute(ctx, "set", {"key": "a", "value": "1"})
    assert (await node.execute(ctx, "get", {"key": "a"}))["result"]["output"] == "1"
    assert (await node.execute(ctx, "get", "a"))["result"]["output"] == "1"  # passed whole
