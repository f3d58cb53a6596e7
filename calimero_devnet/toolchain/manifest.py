"""Provides the ABI manifest: method name rules, parameters from the bundle's registry and
types from the TypeScript scan, and its encoding as the ``calimero_abi_v1`` custom section."""

from __future__ import annotations

import re
from typing import Any

from calimero_devnet.errors import ToolchainError
from calimero_devnet.leb128 import uleb
from calimero_devnet.toolchain.tsscan import Param, Scan, mask, split_params

SECTION = "calimero_abi_v1"
RESERVED = frozenset({"memory", "_start", "_initialize"})
_NAME = re.compile(r"[A-Za-z0-9_]{1,256}")
_ARROW_ONE = re.compile(r"^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>")


def validate_method_name(name: str) -> None:
    """Raise ToolchainError unless ``name`` can be a method export (HOST-ABI §1)."""
    if not _NAME.fullmatch(name):
        raise ToolchainError(
            f"method {name!r} cannot be exported: method names are 1-256 characters of "
            "[A-Za-z0-9_]; rename it"
        )
    if name.startswith("__calimero") or name in RESERVED:
        raise ToolchainError(f"method {name!r} uses a name reserved by the runtime; rename it")
    if name.startswith("_"):
        raise ToolchainError(
            f"method {name!r} starts with '_', which marks private methods: the SDK must not "
            "register it (rename it, or keep it private)"
        )


def js_param_names(source: str | None) -> list[str | None] | None:
    """Return the parameter names of a function from its JS source head, or None."""
    if not source:
        return None
    one = _ARROW_ONE.match(source)
    if one:
        return [one[1]]
    text = mask(source)
    ctor = text.find("constructor(") if text.lstrip().startswith("class") else -1
    open_at = text.find("(", ctor if ctor >= 0 else 0)
    if open_at < 0:
        return None
    depth = 0
    for k in range(open_at, len(text)):
        depth += (text[k] == "(") - (text[k] == ")")
        if depth == 0:
            return [p.name for p in split_params(text[open_at + 1 : k])]
    return None


def _params(names: list[str | None] | None, typed: list[Param] | None) -> list[dict[str, Any]]:
    if names is None:
        names = [p.name for p in typed] if typed else []
    by_name = {p.name: p for p in typed or []}
    out = []
    for index, name in enumerate(names):
        param = by_name.get(name) or (typed[index] if typed and index < len(typed) else None)
        out.append({"name": name, "type": param.type if param else None,
                    "optional": param.optional if param else False})  # fmt: skip
    return out


def _names(js: list[str | None] | None, typed: list[Param] | None) -> list[str | None] | None:
    """Prefer the TypeScript names: esbuild renames a parameter that shadows any top-level
    name of the bundle (``text`` -> ``text2``), and callers send the names they wrote."""
    if typed and (js is None or len(js) == len(typed)) and all(p.name for p in typed):
        return [p.name for p in typed]
    return js


def _kind(declared: object, name: str, decorators: tuple[str, ...]) -> str:
    if isinstance(declared, str) and declared:
        return declared
    if "Init" in decorators or name == "init":
        return "init"
    return "view" if "View" in decorators else "call"


def build_manifest(app: str, described: dict[str, Any], scan: Scan) -> dict[str, Any]:
    """Return the manifest from the bundle's self-description and the TypeScript scan.

    Raises:
        ToolchainError: the bundle has no SDK registry or dispatcher, no method, or a
            method name that cannot be exported.
    """
    if not described.get("dispatch"):
        raise ToolchainError(
            f"app {app!r}: the bundle defines no globalThis.__calimero_dispatch; import the "
            "SDK (`import { Logic } from '@calimero/sdk'`) in src/index.ts"
        )
    entries = described.get("methods")
    if not entries:
        raise ToolchainError(
            f"app {app!r} has no methods: decorate a class with @Logic(State) and give it "
            "public methods (globalThis.__calimero_methods is empty)"
        )
    methods = []
    for entry in entries:
        name = str(entry["name"])
        validate_method_name(name)
        typed, returns, decorators = scan.methods.get(name, (None, None, ()))
        names = entry.get("params") or _names(js_param_names(entry.get("source")), typed)
        methods.append({"name": name, "kind": _kind(entry.get("kind"), name, decorators),
                        "params": _params(names, typed), "returns": returns})  # fmt: skip
    events = []
    for entry in described.get("events") or []:
        name = str(entry["name"])
        fields = scan.events.get(name)
        names = entry.get("fields") or ([f.name for f in fields] if fields else None)
        names = names or js_param_names(entry.get("source"))
        events.append({"name": name, "fields": _params(names, fields)})
    return {"schema": SECTION, "app": app, "methods": methods, "events": events}


def custom_section(name: str, payload: bytes) -> bytes:
    """Return a wasm custom section (id 0) named ``name`` carrying ``payload``."""
    raw_name = name.encode()
    body = uleb(len(raw_name)) + raw_name + payload
    return b"\x00" + uleb(len(body)) + body
