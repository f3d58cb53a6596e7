"""Upstream's ``env.context*`` functions: the membership reads run on a real node (apps
built by the real toolchain, type check on); the governance calls are refused by the
build, naming each function and why, instead of trapping at run time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calimero_devnet.errors import ToolchainError
from calimero_devnet.ids import to_b58
from calimero_devnet.toolchain import build_app
from calimero_devnet.toolchain.refused import refused_calls
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.toolchain.sdk_helpers import APPS, build_copy, call, js_runtime, open_core, start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

GOVERNANCE = """
  grow(publicKeyBase58: string): void {
    env.contextAddMember(env.hexToBytes('00'.repeat(32)) ?? new Uint8Array(32));
    env.contextDelete(env.contextId());
  }
}
"""


def test_members_are_the_nodes_that_hold_the_context(tmp_path: Path) -> None:
    build = build_copy(APPS / "members", tmp_path)
    assert typecheck_app(tmp_path / "members") == []
    with open_core(tmp_path / "n", js_runtime(tmp_path / "cache")) as core:
        ctx = start(core, build.wasm_path)
        me = to_b58(core.public_key)
        assert call(core, ctx, "getAllMembers") == [me]
        assert call(core, ctx, "getFoundedBy") == [me]  # init runs as the only member
        assert call(core, ctx, "isMember", {"publicKeyBase58": me}) is True
        assert call(core, ctx, "isMember", {"publicKeyBase58": to_b58(bytes(32))}) is False


def test_governance_calls_are_refused_at_build_time(tmp_path: Path) -> None:
    app = tmp_path / "governance"
    shutil.copytree(APPS / "members", app)
    source = app / "src" / "index.ts"
    text = source.read_text()
    source.write_text(text[: text.rindex("}")] + GOVERNANCE)
    assert typecheck_app(app) == []  # upstream's signatures: the types check
    with pytest.raises(ToolchainError) as refused:
        build_app(app)
    message = str(refused.value)
    assert "members calls upstream SDK functions a devnet node does not serve" in message
    assert "env.contextAddMember: members are the nodes that join a context" in message
    assert "env.contextDelete: contexts are deleted through the admin API" in message
    assert "contextCreate" not in message  # only what the app calls


def test_the_env_namespace_of_the_sdk_index_is_not_refused_for_what_it_holds(
    tmp_path: Path,
) -> None:
    """`import { env } from '@calimero/sdk'` keeps every env function in the bundle (curb-js
    imports it so); only the ones the app names are refused."""
    app = tmp_path / "members"
    shutil.copytree(APPS / "members", app)
    source = app / "src" / "index.ts"
    text = source.read_text().replace(
        "import { State, Logic, Init, View } from '@calimero-network/calimero-sdk-js';\n"
        "import * as env from '@calimero-network/calimero-sdk-js/env';",
        "import { State, Logic, Init, View, env } from '@calimero-network/calimero-sdk-js';\n"
        "// env.contextCreate would be refused; a comment naming it is not a call",
    )
    source.write_text(text)
    assert build_app(app).wasm_path.is_file()
    source.write_text(text[: text.rindex("}")] + GOVERNANCE)
    with pytest.raises(ToolchainError, match="env.contextAddMember") as refused:
        build_app(app)
    assert "contextCreate" not in str(refused.value)


def test_only_marks_left_in_a_bundle_count() -> None:
    bundle = 'refused("__calimero_refused__:contextCreate"); x("__calimero_refused__:contextCreate")'
    assert refused_calls(bundle) == ["contextCreate"]
    assert refused_calls("function contextCreate() {}") == []
