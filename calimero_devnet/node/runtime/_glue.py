"""Provides the raw wasmtime C-API calls behind the runtime's hot paths.

wasmtime-py's host-function trampoline converts every argument and result through
``Val`` objects (about 8 µs per host call) and keeps the last Python exception in a
process-wide global. The C API's *unchecked* host functions hand over one raw array of
16-byte values instead (under 1 µs per call), and let the runtime carry its own error.
Exports are looked up and called the same way (2 µs instead of 10-15 µs).

This is the only module that touches wasmtime-py internals (``wasmtime._ffi``, the
``_from_ptr`` constructors, ``Instance._instance``); pyproject pins wasmtime to one major
version, and the runtime tests exercise every function here.
"""

from __future__ import annotations

import ctypes
from ctypes import CFUNCTYPE, POINTER, c_bool, c_char_p, c_size_t, c_void_p
from typing import Any

from wasmtime import FuncType, Instance, Linker, Store, Trap, WasmtimeError
from wasmtime import _ffi as ffi

RawCallback: Any = CFUNCTYPE(c_size_t, c_void_p, c_void_p, c_void_p, c_size_t)
"""``(env, caller, args_and_results, count) -> wasm_trap_t* or 0``."""

EXTERN_FUNC = 0
EXTERN_MEMORY = 3
_OF = ffi.wasmtime_extern_t.of.offset  # where the union sits inside wasmtime_extern_t


def _c(name: str, restype: Any, *argtypes: Any) -> Any:
    """Bind a C function with our own prototype (ints in, ints out: no ctypes objects)."""
    return CFUNCTYPE(restype, *argtypes)((name, ffi.dll))


_define = _c(
    "wasmtime_linker_define_func_unchecked",
    *(c_void_p, c_void_p, c_char_p, c_size_t, c_char_p, c_size_t, c_void_p),
    *(RawCallback, c_void_p, c_void_p),
)
_trap_new = _c("wasmtime_trap_new", c_void_p, c_char_p, c_size_t)
caller_context = _c("wasmtime_caller_context", c_void_p, c_void_p)
_caller_export = _c("wasmtime_caller_export_get", c_bool, c_void_p, c_char_p, c_size_t, c_void_p)
memory_base = _c("wasmtime_memory_data", c_void_p, c_void_p, c_void_p)
memory_size = _c("wasmtime_memory_data_size", c_size_t, c_void_p, c_void_p)
_export_get = _c(
    "wasmtime_instance_export_get", c_bool, c_void_p, c_void_p, c_char_p, c_size_t, c_void_p
)
_func_call = _c(
    "wasmtime_func_call",
    c_void_p,
    c_void_p,
    c_void_p,
    c_void_p,
    c_size_t,
    c_void_p,
    c_size_t,
    c_void_p,
)


def _address(pointer: Any) -> int:
    return ctypes.cast(pointer, c_void_p).value or 0


def define(linker: Linker, module: str, name: str, ty: FuncType, callback: Any) -> None:
    """Define an unchecked host function; ``callback`` must outlive ``linker``."""
    mod, nam = module.encode(), name.encode()
    error = _define(
        _address(linker.ptr()),
        mod,
        len(mod),
        nam,
        len(nam),
        _address(ty.ptr()),
        callback,
        None,
        None,
    )
    if error:
        raise WasmtimeError._from_ptr(ctypes.cast(error, POINTER(ffi.wasmtime_error_t)))


def new_trap(message: str) -> int:
    """Create a ``wasm_trap_t`` for a host callback to return (wasmtime takes ownership)."""
    raw = message.encode("utf-8", "replace")
    return int(_trap_new(raw, len(raw)))


class Extern:
    """An export (function or memory) of one instance, kept alive with its storage."""

    __slots__ = ("address", "kind", "raw")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.kind = int(raw.kind)
        self.address = ctypes.addressof(raw) + _OF  # of the wasmtime_func_t/memory_t


def caller_memory(caller: int) -> Extern | None:
    """Return the calling instance's ``memory`` export (used before it is known)."""
    raw = ffi.wasmtime_extern_t()
    found = _caller_export(caller, b"memory", 6, ctypes.addressof(raw))
    extern = Extern(raw) if found else None
    return extern if extern is not None and extern.kind == EXTERN_MEMORY else None


class InstanceHandle:
    """Export lookup and export calls for one instance in one store."""

    __slots__ = ("_instance", "_keep", "context")

    def __init__(self, store: Store, instance: Instance) -> None:
        self._keep = (store, instance)
        self.context = _address(store._context())
        self._instance = ctypes.addressof(instance._instance)

    def export(self, name: str, kind: int) -> Extern | None:
        """Return the export ``name`` if it exists and has ``kind``."""
        raw = ffi.wasmtime_extern_t()
        encoded = name.encode()
        if not _export_get(
            self.context, self._instance, encoded, len(encoded), ctypes.addressof(raw)
        ):
            return None
        extern = Extern(raw)
        return extern if extern.kind == kind else None

    def call(self, func: Extern) -> Trap | WasmtimeError | None:
        """Call a ``() -> ()`` export; return the failure instead of raising it."""
        trap = c_void_p()
        error = _func_call(self.context, func.address, None, 0, None, 0, ctypes.addressof(trap))
        if error:
            return WasmtimeError._from_ptr(ctypes.cast(error, POINTER(ffi.wasmtime_error_t)))
        if trap.value:
            return Trap._from_ptr(ctypes.cast(trap.value, POINTER(ffi.wasm_trap_t)))
        return None

    def memory_len(self, memory: Extern) -> int:
        """Return the current byte size of ``memory``."""
        return int(memory_size(self.context, memory.address))
