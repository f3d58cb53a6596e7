"""Tests the generated C file of a build (link.generate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.link import c_string, generate


def test_one_export_per_method_calling_the_glue() -> None:
    source = generate("kv", ["set", "get"], Path("/w/app.qbc"), Path("/w/abi.json"))
    assert '#embed "/w/app.qbc"' in source
    assert '#embed "/w/abi.json"' in source
    assert (
        '__attribute__((export_name("set"))) void calimero_m_set(void) '
        '{ calimero_run("set"); }' in source
    )
    assert source.count("export_name(") == 3  # and __calimero_check_state


def test_paths_are_escaped_for_c() -> None:
    assert c_string('/a "b"\\c') == '"/a \\"b\\"\\\\c"'


def test_names_that_are_not_exportable_never_reach_c() -> None:
    with pytest.raises(ToolchainError, match="cannot be exported"):
        generate("kv", ['x"); evil'], Path("a"), Path("b"))


def test_the_regexp_intrinsic_is_linked_only_when_asked() -> None:
    with_regexp = generate("kv", ["get"], Path("a"), Path("b"))
    without = generate("kv", ["get"], Path("a"), Path("b"), regexp=False)
    hook = "int calimero_add_app_intrinsics(struct JSContext *ctx) {"
    assert f"{hook} return JS_AddIntrinsicRegExp(ctx); }}" in with_regexp
    assert f"{hook} (void)ctx; return 0; }}" in without
