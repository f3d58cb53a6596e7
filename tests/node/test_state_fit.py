"""Hot redeploy against the kept state, with the kv-store template built by the real toolchain:
a build that cannot read the state is refused before the switch, one that can is taken, and a
deleted context leaves nothing behind."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import ContextNotFound, FunctionCallError, StateIncompatible
from calimero_devnet.node.rpc.admin_switch import switch_application
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.toolchain import BuildResult, build_app
from tests.toolchain.sdk_helpers import TEMPLATES, build_copy, call, open_core, start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

COUNTER = "writes: Counter = new Counter();"
REGISTER = "writer: LwwRegister<string> = new LwwRegister();"
EDITS = {
    # `writes` was a counter and `writer` a register; this version swaps their kinds.
    "swapped": (
        f"{COUNTER}\n  {REGISTER}",
        "writes: LwwRegister<string> = new LwwRegister();\n  writer: Counter = new Counter();",
    ),
    # `writes` becomes a map, and no field is a counter any more.
    "retyped": (COUNTER, "writes: UnorderedMap<string, string> = new UnorderedMap();"),
    # A field added next to the stored ones: the old state still fits.
    "extended": (
        COUNTER,
        COUNTER + "\n  notes: UnorderedMap<string, string> = new UnorderedMap();",
    ),
}


def build_edited(root: Path, name: str) -> BuildResult:
    """The kv-store template with one edit of ``EDITS`` applied, built in ``root/name``."""
    app = root / name / "kv-store"
    shutil.copytree(TEMPLATES / "kv-store", app, ignore=shutil.ignore_patterns("build"))
    source = app / "src" / "index.ts"
    old, new = EDITS[name]
    text = source.read_text(encoding="utf-8")
    assert old in text, "the template changed: update EDITS"
    source.write_text(text.replace(old, new), encoding="utf-8")
    return build_app(app)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    root = tmp_path_factory.mktemp("state-fit")
    built = {name: build_edited(root, name) for name in EDITS}
    return {"original": build_copy(TEMPLATES / "kv-store", root / "original")} | built


@pytest.fixture
def node(
    tmp_path: Path, runtime: Runtime, builds: dict[str, BuildResult]
) -> Iterator[tuple[NodeCore, bytes]]:
    with open_core(tmp_path / "n1", runtime) as core:
        ctx = start(core, builds["original"].wasm_path)
        call(core, ctx, "set", {"key": "a", "value": "1"})
        yield core, ctx


def install(core: NodeCore, build: BuildResult) -> bytes:
    return core.install_application(build.wasm_path.read_bytes(), source="test")


@pytest.mark.parametrize(
    ("build", "why"),
    [
        ("swapped", 'field "writes" is stored as a collection of kind "counter", but this '
                    'version declares a collection of kind "lww"'),
        ("retyped", 'holds a collection of kind "counter", but the app never uses that'),
    ],
)  # fmt: skip
def test_a_build_that_cannot_read_the_state_is_refused_and_the_old_one_keeps_serving(
    node: tuple[NodeCore, bytes], builds: dict[str, BuildResult], build: str, why: str
) -> None:
    core, ctx = node
    before = core.context(ctx)
    with pytest.raises(StateIncompatible, match=why):
        switch_application(core, ctx, install(core, builds[build]))
    after = core.context(ctx)
    assert (after.application_id, after.root_hash, after.heads) == (
        before.application_id, before.root_hash, before.heads,
    )  # fmt: skip
    assert call(core, ctx, "get", {"key": "a"}) == "1"


def test_a_forced_switch_runs_the_new_code_whose_calls_then_fail_clearly(
    node: tuple[NodeCore, bytes], builds: dict[str, BuildResult]
) -> None:
    core, ctx = node
    switch_application(core, ctx, install(core, builds["swapped"]), check=False)
    with pytest.raises(FunctionCallError, match="the stored state does not fit this version"):
        call(core, ctx, "get", {"key": "a"})


def test_a_build_that_only_adds_a_field_is_switched_to_keeping_the_state(
    node: tuple[NodeCore, bytes], builds: dict[str, BuildResult]
) -> None:
    core, ctx = node
    extended = install(core, builds["extended"])
    assert switch_application(core, ctx, extended).application_id == extended
    assert call(core, ctx, "get", {"key": "a"}) == "1"
    call(core, ctx, "set", {"key": "b", "value": "2"})
    assert call(core, ctx, "len") == 2


def test_deleting_a_context_removes_everything_the_node_held_of_it(
    node: tuple[NodeCore, bytes], builds: dict[str, BuildResult]
) -> None:
    core, ctx = node
    other = core.create_context(install(core, builds["original"]), b"{}", seed=b"other").id
    call(core, other, "set", {"key": "kept", "value": "yes"})
    core.delete_context(ctx)
    store = core.store
    assert store.context(ctx) is None
    assert list(store.state_items(ctx)) == []
    assert list(store.deltas(ctx)) == []
    assert list(store.applied_markers(ctx)) == []
    with pytest.raises(ContextNotFound):
        core.delete_context(ctx)
    assert call(core, other, "get", {"key": "kept"}) == "yes"
    assert core.check_consistency(other) == []
