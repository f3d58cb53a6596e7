"""Cross-context calls of a JS app (built by the real toolchain, type check on) between two
contexts of one real NodeCore: run after the calling call, as calls of their own, with
their outcome and their errors in the calling call's result."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from calimero_devnet.errors import ContextNotFound, FunctionCallError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.results import CommitNotice
from calimero_devnet.node.state.xcalls import MAX_DEPTH
from calimero_devnet.toolchain import BuildResult
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.toolchain.sdk_helpers import call, execute, open_core, start, typed_fixture_app
from tests.toolchain.sdk_helpers import shared_runtime as _shared_runtime

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
shared_runtime = pytest.fixture(scope="module")(_shared_runtime)


@pytest.fixture(scope="module")
def pingpong(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return typed_fixture_app(tmp_path_factory, "xcall_pingpong")


def test_a_ping_runs_pong_on_the_other_context(tmp_path: Path, shared_runtime: Runtime,
                                               pingpong: BuildResult) -> None:  # fmt: skip
    with open_core(tmp_path / "n", shared_runtime) as core:
        a, b = (start(core, pingpong.wasm_path, seed=seed) for seed in (b"a", b"b"))
        seen: list[CommitNotice] = []
        core.subscribe(seen.append)
        pinged = execute(core, a, "ping", {"targetContext": to_b58(b)})
        (pong,) = pinged.xcalls
        assert (pong.context_id, pong.method, pong.output, pong.error) == (b, "pong", b"1", None)
        assert call(core, b, "getCounter") == 1
        assert call(core, a, "getCounter") == 0
        (notice,) = seen  # ping changed nothing; pong committed a delta of its own on b
        assert notice.context_id == b
        assert json.loads(notice.events[0].data) == {"fromContext": to_b58(a), "counter": 1}


def test_failed_xcalls_are_logged_and_reported_not_raised(
    tmp_path: Path, shared_runtime: Runtime, pingpong: BuildResult,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    with open_core(tmp_path / "n", shared_runtime) as core:
        a = start(core, pingpong.wasm_path, seed=b"a")
        with caplog.at_level(logging.WARNING):
            (missing,) = execute(core, a, "ping", {"targetContext": to_b58(bytes(32))}).xcalls
        assert isinstance(missing.error, ContextNotFound)
        assert "xcall pong on context 11111111111111111111111111111111 failed" in caplog.text
        route = [to_b58(a)] * (MAX_DEPTH + 1)
        relayed = execute(core, a, "relay", {"route": route})
        assert [x.depth for x in relayed.xcalls] == [1, 2, 3, 4]
        assert [x.output for x in relayed.xcalls[:MAX_DEPTH]] == [b"2", b"3", b"4"]
        assert isinstance(relayed.xcalls[-1].error, FunctionCallError)
        assert "nest at most 3 deep" in str(relayed.xcalls[-1].error)
        assert call(core, a, "getCounter") == 1 + MAX_DEPTH  # the refused one never ran
