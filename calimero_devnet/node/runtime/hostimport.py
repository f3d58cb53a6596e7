"""Provides ``HostImport``, the extension point for functions the host offers to apps.

A host import is a name, a signature and a Python function. The runtime links it once
per loaded module and, on every call from the guest, hands the function the per-call
:class:`~calimero_devnet.node.runtime.callstate.CallState` followed by the guest's
arguments as **unsigned** ints (i64 → 0..2**64-1, i32 → 0..2**32-1: pointers and
register ids need no masking). The function returns an int for a signature with a
result, else None. To fail the guest, raise :class:`HostTrap` (``call.trap(msg)`` does
that); any other exception is turned into a trap that names the import.

What ``call`` offers (all bounds-checked; misuse traps with a clear message):
``read(ptr, n)`` / ``write(ptr, data)`` / ``read_u64(ptr)`` on linear memory;
``read_buffer(desc, what=, limit=, exact=)``, ``read_str(desc, what=)``,
``write_buffer(desc, data, what=)`` and ``buffers(addr, count)`` for Buffer descriptors;
``set_register(reg, data)`` and the ``registers`` dict; ``storage_get(key)`` /
``storage_put(key, value_or_None)`` over the call's overlay; ``log(line)``;
``trap(message)``; ``env`` (the ``CallEnv``, with its ``extensions`` dict);
``outcome`` (the ``CallOutcome`` being built); ``data`` (scratch space for this call);
``on_finish(key, hook)`` (run once after the method returns without trapping, e.g. to
flush pending actions into ``outcome``).

Example, one of the JS collection functions of HOST-ABI §6::

    @host_import("js_crdt_map_contains", "i64 i64 -> i32")
    def map_contains(call: CallState, map_id: int, key: int) -> int:
        maps = call.env.extensions["js_maps"]          # put there by the caller
        return int(call.read_buffer(key) in maps[call.read_buffer(map_id, exact=32)])

    Runtime(cache_dir, extra_imports=[map_contains])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wasmtime import FuncType, ValType

HostFn = Callable[..., int | None]
"""``(call: CallState, *args: int) -> int | None``."""

_VALTYPES = {"i32": ValType.i32, "i64": ValType.i64}


class HostTrap(Exception):
    """Raised by host functions to trap the guest; the message reaches the user."""


def parse_signature(signature: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ``"i64 i64 -> i32"`` into ``(("i64", "i64"), ("i32",))``.

    Raises:
        ValueError: the text is not ``params -> results`` over i32/i64 with ≤ 1 result.
    """
    params_text, arrow, results_text = signature.partition("->")
    params, results = tuple(params_text.split()), tuple(results_text.split())
    bad = [t for t in params + results if t not in _VALTYPES]
    if not arrow or bad or len(results) > 1:
        raise ValueError(
            f"bad host signature {signature!r}: write e.g. 'i64 i64 -> i32' "
            "(params and at most one result, each i32 or i64)"
        )
    return params, results


def describe_func_type(ty: FuncType) -> str:
    """Render a wasmtime function type in the signature syntax used here."""
    params = " ".join(str(p) for p in ty.params)
    results = " ".join(str(r) for r in ty.results)
    return f"{params} -> {results}".strip()


@dataclass(frozen=True, slots=True)
class HostImport:
    """A function the host offers to apps under ``module``.``name``."""

    name: str
    signature: str
    impl: HostFn
    module: str = "env"
    params: tuple[str, ...] = field(init=False, repr=False)
    results: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        params, results = parse_signature(self.signature)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "results", results)

    @property
    def canonical(self) -> str:
        """The signature in the normalised form of :func:`describe_func_type`."""
        return f"{' '.join(self.params)} -> {' '.join(self.results)}".strip()

    def func_type(self) -> FuncType:
        """Return the wasmtime type of this import."""
        return FuncType(
            [_VALTYPES[p]() for p in self.params], [_VALTYPES[r]() for r in self.results]
        )


def host_import(
    name: str, signature: str, *, module: str = "env"
) -> Callable[[HostFn], HostImport]:
    """Decorate a Python function to make it a :class:`HostImport`.

    Args:
        name: the import name the guest uses.
        signature: e.g. ``"i64 i64 -> i32"``; every upstream parameter is i64.
        module: the import module; ``"env"`` for everything in HOST-ABI.
    """

    def wrap(fn: HostFn) -> HostImport:
        return HostImport(name=name, signature=signature, impl=fn, module=module)

    return wrap
