"""Provides the per-module linker: host imports, extensions and clearly-trapping stubs.

Host functions are compiled to raw callbacks once per ``Runtime``; each loaded module
gets a linker holding exactly the imports it declares, with the type it declares
(HOST-ABI §1): a known import of the right type links its implementation; a known
import of another type, or an unknown one, links a stub that traps *only when called*
and names the import; a few imports answer a constant (HOST-ABI §4, WASI EBADF).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Sequence
from typing import Any

from wasmtime import Engine, FuncType, Linker, Module

from calimero_devnet.node.runtime import _glue
from calimero_devnet.node.runtime.callstate import U64_MAX, current
from calimero_devnet.node.runtime.hostimport import HostImport, HostTrap, describe_func_type
from calimero_devnet.node.runtime.std_storage import ZERO_IMPORTS
from calimero_devnet.node.runtime.std_wasi import EBADF, WASI

_SLOT = {"i64": "Q8x", "i32": "I12x"}  # one 16-byte wasmtime_val_raw_t per argument


def _store_result(address: int, kind: str, value: object) -> None:
    if not isinstance(value, int):
        raise TypeError(f"returned {value!r} where an {kind} was expected")
    if kind == "i64":
        ctypes.c_uint64.from_address(address).value = value & U64_MAX
    else:
        ctypes.c_uint32.from_address(address).value = value & 0xFFFF_FFFF


def _dispatcher(imp: HostImport) -> Any:
    """Compile ``imp`` into a raw wasmtime callback bound to the thread's current call."""
    impl, where = imp.impl, f"{imp.module}.{imp.name}"
    layout = struct.Struct("<" + "".join(_SLOT[p] for p in imp.params))
    size, result = layout.size, (imp.results[0] if imp.results else None)

    def dispatch(_env: int | None, caller: int, args: int, _count: int) -> int:
        call = current()
        if call is None:
            return _glue.new_trap(f"{where} was called outside of a runtime call")
        try:
            call.enter(caller)
            value = impl(call, *layout.unpack(ctypes.string_at(args, size))) if size else impl(call)
            if result is not None:
                _store_result(args, result, value)
        except HostTrap as exc:
            return call.fail(exc)
        except Exception as exc:  # a host bug must end the guest, not escape through C
            return call.fail(HostTrap(f"host function {where} failed: {exc!r}"))
        except BaseException as exc:  # e.g. KeyboardInterrupt: re-raised after the call
            call.abort = exc
            return call.fail(HostTrap(f"host function {where} was interrupted"))
        return 0

    return _glue.RawCallback(dispatch)


def _trap_stub(message: str) -> Any:
    def stub(_env: int | None, _caller: int, _args: int, _count: int) -> int:
        call = current()
        return call.fail(HostTrap(message)) if call is not None else _glue.new_trap(message)

    return _glue.RawCallback(stub)


def _constant_stub(ty: FuncType, constant: int, where: str) -> Any:
    results = [str(r) for r in ty.results]
    if len(results) > 1 or any(r not in _SLOT for r in results):
        return _trap_stub(f"the app called {where}, which this devnet host does not implement")
    kind = results[0] if results else None

    def stub(_env: int | None, _caller: int, args: int, _count: int) -> int:
        if kind is not None:
            _store_result(args, kind, constant)
        return 0

    return _glue.RawCallback(stub)


class ImportTable:
    """The host imports of one runtime, compiled once, and the linking policy."""

    def __init__(self, imports: Sequence[HostImport]) -> None:
        self._known: dict[tuple[str, str], tuple[HostImport, Any]] = {}
        for imp in imports:
            key = (imp.module, imp.name)
            if key in self._known:
                raise ValueError(f"host import {imp.module}.{imp.name} is defined twice")
            self._known[key] = (imp, _dispatcher(imp))

    def _resolve(self, module: str, name: str, ty: FuncType) -> Any:
        where, declared = f"{module}.{name}", describe_func_type(ty)
        known = self._known.get((module, name))
        if known is not None:
            imp, callback = known
            if imp.canonical == declared:
                return callback
            return _trap_stub(
                f"the app imports {where} as ({declared}) but this host implements it as "
                f"({imp.canonical}): the app was built for another host ABI version"
            )
        if module == "env" and name in ZERO_IMPORTS:
            return _constant_stub(ty, 0, where)
        if module == WASI and name.startswith("fd_"):
            return _constant_stub(ty, EBADF, where)
        return _trap_stub(f"the app called {where}, which this devnet host does not implement")

    def link(self, engine: Engine, module: Module) -> tuple[Linker, list[Any]]:
        """Build a linker for ``module``; keep the returned objects alive with it."""
        linker, keep, seen = Linker(engine), [self], set()
        for item in module.imports:
            ty, name = item.type, item.name or ""
            if not isinstance(ty, FuncType) or (item.module, name) in seen:
                continue
            seen.add((item.module, name))
            callback = self._resolve(item.module, name, ty)
            _glue.define(linker, item.module, name, ty, callback)
            keep.append(callback)
        return linker, keep
