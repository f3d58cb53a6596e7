"""Provides ``LoadedApp`` and the checks that a module fits the host ABI (HOST-ABI §1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wasmtime import FuncType, InstancePre, MemoryType, Module

from calimero_devnet.errors import InvalidModule
from calimero_devnet.leb128 import read_uleb
from calimero_devnet.node.runtime.hostimport import describe_func_type

WASM_HEADER = b"\0asm\x01\0\0\0"
ABI_SECTION = "calimero_abi_v1"
SYNC_NEXT = "__calimero_sync_next"
CHECK_STATE = "__calimero_check_state"
REGISTER_MERGE = "__calimero_register_merge"
PAGE = 65536
_METHOD_NAME = re.compile(r"[A-Za-z0-9_]{1,256}")


@dataclass(frozen=True)
class LoadedApp:
    """A compiled app, ready to call; immutable and shareable between calls."""

    app_id: bytes
    """sha256 of the wasm bytes."""
    methods: tuple[str, ...]
    """Sorted ``() -> ()`` exports not starting with ``__calimero``."""
    has_sync_next: bool
    has_check_state: bool
    """Exports ``__calimero_check_state``: fails if the code cannot read a context's state."""
    has_register_merge: bool
    abi: bytes | None
    """The ``calimero_abi_v1`` custom section, if present."""
    module: Module = field(repr=False, compare=False)
    exports: dict[str, str] = field(repr=False, compare=False)
    """Every function export and its signature, for error messages."""
    memory_min: int = field(repr=False, compare=False)
    """Bytes of linear memory the module needs at instantiation."""
    pre: InstancePre = field(repr=False, compare=False)
    keep: tuple[Any, ...] = field(repr=False, compare=False)
    """Linker and host callbacks that must live as long as ``pre``."""


def check_header(wasm: bytes) -> None:
    """Raise InvalidModule unless ``wasm`` starts like a core WebAssembly module."""
    if wasm[:4] != WASM_HEADER[:4]:
        raise InvalidModule(
            # never quote the bytes: they may be any file or answer a client pointed us at
            "not a WebAssembly module: it does not start with the b'\\0asm' magic"
        )
    if wasm[:8] != WASM_HEADER:
        raise InvalidModule(
            f"unsupported WebAssembly binary version {wasm[4:8].hex()} (a component?): "
            "the host runs core modules of version 1"
        )


def custom_sections(wasm: bytes) -> dict[str, bytes]:
    """Return the module's custom sections by name (the first of each name)."""
    found: dict[str, bytes] = {}
    pos = len(WASM_HEADER)
    try:
        while pos < len(wasm):
            section_id = wasm[pos]
            size, start = read_uleb(wasm, pos + 1)
            pos = start + size
            if section_id == 0 and pos <= len(wasm):
                name_len, name_start = read_uleb(wasm, start)
                name = wasm[name_start : name_start + name_len].decode("utf-8", "replace")
                found.setdefault(name, wasm[name_start + name_len : pos])
    except IndexError as exc:
        raise InvalidModule("truncated WebAssembly module (a section runs past the end)") from exc
    return found


def _check_imports(module: Module) -> None:
    for item in module.imports:
        where = f"{item.module}.{item.name}"
        if isinstance(item.type, MemoryType):
            raise InvalidModule(
                f"the module imports a memory ({where}); an app must define and export its "
                "own `memory` (do not link with --import-memory)"
            )
        if not isinstance(item.type, FuncType):
            raise InvalidModule(
                f"the module imports {where}, which is not a function; the host provides "
                "functions only"
            )


def inspect_module(module: Module) -> tuple[dict[str, str], int]:
    """Check the module contract; return ``(function exports → signature, memory bytes)``.

    Raises:
        InvalidModule: a memory import, a non-function import, a ``_start`` export, or no
            ``memory`` export.
    """
    _check_imports(module)
    functions: dict[str, str] = {}
    memory_min: int | None = None
    for item in module.exports:
        if isinstance(item.type, FuncType):
            functions[item.name] = describe_func_type(item.type)
        elif item.name == "memory" and isinstance(item.type, MemoryType):
            memory_min = item.type.limits.min * PAGE
    if "_start" in functions:
        raise InvalidModule(
            "the module exports `_start`, so it is a WASI command; build the app as a "
            "reactor library (Rust: crate-type cdylib; C: -mexec-model=reactor)"
        )
    if memory_min is None:
        raise InvalidModule("the module does not export its linear memory as `memory`")
    return functions, memory_min


def method_names(functions: dict[str, str]) -> tuple[str, ...]:
    """Pick the app methods among the function exports (HOST-ABI §1)."""
    return tuple(
        sorted(
            name
            for name, signature in functions.items()
            if signature == "->"
            and not name.startswith("__calimero")
            and _METHOD_NAME.fullmatch(name)
        )
    )
