"""Cross-context calls over JSON-RPC on a node: the answer of the calling call reports each
queued call's output, or its error in the shape every JSON-RPC error takes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calimero_devnet.ids import to_b58
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc import deploy
from tests.toolchain.sdk_helpers import APPS, build_copy, js_runtime, open_core

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Harness]:
    core = open_core(tmp_path / "home", js_runtime(tmp_path / "wasm-cache"))
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


async def test_the_answer_reports_each_xcall(node: Harness, tmp_path: Path) -> None:
    wasm = build_copy(APPS / "xcall_pingpong", tmp_path / "apps").wasm_path.read_bytes()
    a, b = await deploy(node, wasm, tmp_path), await deploy(node, wasm, tmp_path)
    answer = await node.execute(a, "ping", {"targetContext": to_b58(b)})
    assert answer["result"] == {
        "output": None,
        "xcalls": [{"contextId": to_b58(b), "method": "pong", "depth": 1, "output": 1}],
    }
    missing = (await node.execute(a, "ping", {"targetContext": to_b58(bytes(32))}))["result"]
    (failed,) = missing["xcalls"]
    assert failed["error"]["type"] == "CallError"
    assert failed["error"]["data"]["type"] == "ContextNotFound"
    plain = await node.execute(b, "getCounter")
    assert plain["result"] == {"output": 1}  # no xcalls queued: upstream's answer as it is
