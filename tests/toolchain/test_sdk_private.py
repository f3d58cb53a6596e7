"""Private entries and ``env.storage*`` of a JS app (built by the real toolchain, type check
on) on a real NodeCore: kept in the context's node-local storage, by calls that change
nothing else too, never in a delta or the root hash, gone with the context."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.node.runtime import Runtime
from calimero_devnet.toolchain import BuildResult
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.toolchain.sdk_helpers import call, execute, open_core, start, typed_fixture_app
from tests.toolchain.sdk_helpers import shared_runtime as _shared_runtime

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
shared_runtime = pytest.fixture(scope="module")(_shared_runtime)


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return typed_fixture_app(tmp_path_factory, "private_notes")


def test_a_storage_write_alone_is_kept(tmp_path: Path, shared_runtime: Runtime,
                                       notes: BuildResult) -> None:  # fmt: skip
    with open_core(tmp_path / "n", shared_runtime) as core:
        ctx = start(core, notes.wasm_path)
        before = core.context(ctx)
        wrote = execute(core, ctx, "remember", {"key": "k", "value": "v1"})
        assert (wrote.output, wrote.delta) == (b"false", None)  # nothing replicated
        assert core.context(ctx).root_hash == before.root_hash
        assert call(core, ctx, "remember", {"key": "k", "value": "v2"}) is True  # it existed
    with open_core(tmp_path / "n", shared_runtime) as core:  # the store, reopened
        assert call(core, ctx, "recall", {"key": "k"}) == "v2"


def test_a_private_entry_is_node_local_state(tmp_path: Path, shared_runtime: Runtime,
                                             notes: BuildResult) -> None:  # fmt: skip
    with open_core(tmp_path / "n", shared_runtime) as core:
        ctx = start(core, notes.wasm_path)
        root = core.context(ctx).root_hash
        assert call(core, ctx, "getPrivateNote") is None
        noted = execute(core, ctx, "setPrivateNote", {"note": "mine"})
        assert (noted.output, noted.delta) == (b"1", None)
        assert call(core, ctx, "setPrivateNote", {"note": "still mine"}) == 2  # modify
        assert call(core, ctx, "getPrivateNote") == "still mine"
        assert core.context(ctx).root_hash == root  # not part of the state
        assert execute(core, ctx, "setPublicNote", {"title": "t", "content": "c"}).delta
        assert call(core, ctx, "clearPrivateNote") is True
        assert call(core, ctx, "getPrivateNote") is None
        assert call(core, ctx, "clearPrivateNote") is False


def test_private_values_go_with_their_context(tmp_path: Path, shared_runtime: Runtime,
                                              notes: BuildResult) -> None:  # fmt: skip
    with open_core(tmp_path / "n", shared_runtime) as core:
        ctx = start(core, notes.wasm_path, seed=b"again")
        call(core, ctx, "setPrivateNote", {"note": "gone soon"})
        core.delete_context(ctx)
        assert start(core, notes.wasm_path, seed=b"again") == ctx
        assert call(core, ctx, "getPrivateNote") is None
