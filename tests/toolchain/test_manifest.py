"""Tests method name rules, parameter extraction and manifest assembly (no toolchain)."""

from __future__ import annotations

import json

import pytest
import wasmtime

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.manifest import (
    SECTION,
    build_manifest,
    custom_section,
    js_param_names,
    validate_method_name,
)
from calimero_devnet.toolchain.tsscan import scan


@pytest.mark.parametrize("name", ["set", "get_all", "A1", "x" * 256, "init"])
def test_valid_method_names_pass(name: str) -> None:
    validate_method_name(name)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("", "1-256 characters"),
        ("x" * 257, "1-256 characters"),
        ("has-dash", "1-256 characters"),
        ("ünï", "1-256 characters"),
        ("__calimero_sync_next", "reserved"),
        ("memory", "reserved"),
        ("_initialize", "reserved"),
        ("_private", "private"),
    ],
)
def test_invalid_method_names_name_the_method_and_the_rule(name: str, hint: str) -> None:
    with pytest.raises(ToolchainError, match=hint) as info:
        validate_method_name(name)
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("hello(name) {\n return name; }", ["name"]),
        ("async set(key, value = ')') { }", ["key", "value"]),
        ("static init() { return new X(); }", []),
        ("(a, { b, c }, ...rest) => a", ["a", None, "rest"]),
        ("x => x * 2", ["x"]),
        ("function (f = (a, b) => a) {}", ["f"]),
        ('class {\n constructor(who, n) { __publicField(this, "who", who); } }', ["who", "n"]),
    ],
)
def test_js_param_names_reads_the_source_head(source: str, names: list[str | None]) -> None:
    assert js_param_names(source) == names


def test_js_param_names_without_source_is_unknown() -> None:
    assert js_param_names(None) is None
    assert js_param_names("[native code]") is None


TS = """
@Event export class ItemSet { constructor(public key: string, public value: string) {} }
@Logic(KvStore) export class KvStoreLogic extends KvStore {
  @Init static init(): KvStore { return new KvStore(); }
  set(key: string, value: string): void { this.items.set(key, value); }
  @View() get(key: string): string | null { return this.items.get(key); }
}
"""


def described(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "dispatch": True,
        "methods": [
            {"name": "init", "source": "init() { }"},
            {"name": "set", "source": "set(key, value) { }"},
            {"name": "get", "source": "get(key) { }"},
        ],
        "events": [{"name": "ItemSet", "source": "class { constructor(key, value) {} }"}],
    }
    return {**base, **extra}


def test_manifest_merges_runtime_names_with_typescript_types() -> None:
    manifest = build_manifest("kv", described(), scan(TS))
    assert manifest["schema"] == SECTION
    by_name = {m["name"]: m for m in manifest["methods"]}
    assert [m["name"] for m in manifest["methods"]] == ["init", "set", "get"]
    assert by_name["init"]["kind"] == "init"
    assert by_name["set"]["kind"] == "call"
    assert by_name["get"]["kind"] == "view"
    assert by_name["get"]["returns"] == "string | null"
    assert by_name["set"]["params"] == [
        {"name": "key", "type": "string", "optional": False},
        {"name": "value", "type": "string", "optional": False},
    ]
    assert manifest["events"] == [
        {
            "name": "ItemSet",
            "fields": [
                {"name": "key", "type": "string", "optional": False},
                {"name": "value", "type": "string", "optional": False},
            ],
        }
    ]


def test_manifest_without_typescript_keeps_names_and_leaves_types_unknown() -> None:
    manifest = build_manifest("kv", described(), scan(""))
    set_method = next(m for m in manifest["methods"] if m["name"] == "set")
    assert set_method["params"][1] == {"name": "value", "type": None, "optional": False}
    assert set_method["kind"] == "call"


def test_sdk_declared_kind_and_params_win() -> None:
    methods = [{"name": "get", "kind": "call", "params": ["k"]}]
    manifest = build_manifest("kv", described(methods=methods), scan(TS))
    assert manifest["methods"][0]["kind"] == "call"
    assert manifest["methods"][0]["params"][0]["name"] == "k"


@pytest.mark.parametrize(
    ("desc", "hint"),
    [
        ({"dispatch": False}, "__calimero_dispatch"),
        ({"methods": None}, "no methods"),
        ({"methods": []}, "no methods"),
        ({"methods": [{"name": "bad-name"}]}, "bad-name"),
    ],
)
def test_manifest_errors_are_actionable(desc: dict[str, object], hint: str) -> None:
    with pytest.raises(ToolchainError, match=hint):
        build_manifest("kv", described(**desc), scan(""))


def test_custom_section_is_valid_wasm_and_round_trips() -> None:
    payload = json.dumps({"methods": ["x" * 300]}).encode()
    module = b"\0asm\1\0\0\0" + custom_section(SECTION, payload)
    assert wasmtime.Module.validate(wasmtime.Engine(), module) is None
    assert module.endswith(payload)
    size_field = module[9:11]  # the body is > 127 bytes: a two-byte LEB128
    assert size_field[0] & 0x80
    assert (size_field[0] & 0x7F) | (size_field[1] << 7) == len(module) - 11
