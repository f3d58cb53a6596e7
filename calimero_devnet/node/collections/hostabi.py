"""Provides the glue from runtime host imports to a call's ``CollectionsSession``.

The node puts the call's session into ``CallEnv.extensions[EXTENSION]``. Statuses follow
HOST-ABI §6 and the upstream host: ``1`` present/true/changed, ``0`` absent/false (the
data register is then set to empty bytes, as upstream clears it), ``-1`` a misuse with its
message in register 0 (what our QuickJS glue throws). ``*_new`` return 0 with the id in the
register, as upstream does. Imports without a status (``persist_root_state``,
``apply_storage_delta``) trap instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from calimero_devnet.node.collections.model import CollectionError, CollectionKind
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import HostImport, host_import

EXTENSION = "js_collections"
ERROR_REGISTER = 0
Impl = Callable[..., int]


def session_of(call: CallState) -> CollectionsSession:
    """Return the call's collections session, or trap saying what the node must provide."""
    session = call.env.extensions.get(EXTENSION)
    if not isinstance(session, CollectionsSession):
        call.trap(
            "this app uses host collections (js_crdt_*), but the node gave the call no "
            f"CollectionsSession in CallEnv.extensions[{EXTENSION!r}]"
        )
    return session


def collection_import(name: str, signature: str) -> Callable[[Impl], HostImport]:
    """Make ``fn(call, session, *args) -> status`` a host import of §6.

    A ``CollectionError`` becomes status ``-1`` with its message in register 0.
    """

    def wrap(fn: Impl) -> HostImport:
        @wraps(fn)
        def impl(call: CallState, *args: int) -> int:
            try:
                return fn(call, session_of(call), *args)
            except CollectionError as exc:
                call.set_register(ERROR_REGISTER, str(exc).encode())
                return -1

        return host_import(name, signature)(impl)

    return wrap


def read_key(call: CallState, desc: int, what: str) -> bytes:
    """Read a collection id, key or hash argument (keys are at most ``max_key`` bytes)."""
    return call.read_buffer(desc, what=what, limit=call.limits.max_key)


def collection_kind(code: int) -> CollectionKind:
    """A collection kind argument (``CollectionKind`` values: map 0 … frozen storage 6)."""
    try:
        return CollectionKind(code)
    except ValueError:
        kinds = ", ".join(f"{kind.value} {kind.label}" for kind in CollectionKind)
        raise CollectionError(f"{code} is not a collection kind ({kinds})") from None


def read_id(call: CallState, desc: int) -> bytes:
    """Read a collection id argument."""
    return read_key(call, desc, "collection id")


def read_value(call: CallState, desc: int, what: str) -> bytes:
    """Read a value argument (at most ``max_value`` bytes)."""
    return call.read_buffer(desc, what=what, limit=call.limits.max_value)


def answer(call: CallState, reg: int, value: bytes | None) -> int:
    """Put ``value`` in ``reg`` and return 1, or clear ``reg`` and return 0 if None."""
    call.set_register(reg, b"" if value is None else value)
    return 0 if value is None else 1


def flag(value: Any) -> int:
    """Return a boolean answer as a status."""
    return 1 if value else 0


@host_import("persist_root_state", "i64 i64 i64 ->")
def persist_root_state(call: CallState, doc: int, created_at: int, updated_at: int) -> None:
    """Replace the root document (LWW by HLC) with the app's two timestamps."""
    session_of(call).persist_root_state(
        read_value(call, doc, "root document"), created_at, updated_at
    )


@collection_import("read_root_state", "i64 -> i32")
def read_root_state(call: CallState, s: CollectionsSession, reg: int) -> int:
    """1 and register ← the root document, or 0."""
    return answer(call, reg, s.read_root_state())


@collection_import("flush_delta", "-> i32")
def flush_delta(call: CallState, s: CollectionsSession) -> int:
    """1 if the call has produced actions (its delta), else 0."""
    return flag(s.flush_delta() is not None)


@host_import("apply_storage_delta", "i64 ->")
def apply_storage_delta(call: CallState, delta: int) -> None:
    """Merge a peer's encoded actions; a delta that does not decode traps."""
    data = call.read_buffer(delta, what="storage delta", limit=call.limits.max_artifact)
    try:
        session_of(call).apply_storage_delta(data)
    except CollectionError as exc:
        call.trap(f"apply_storage_delta: {exc}")


ROOT_IMPORTS = (persist_root_state, read_root_state, flush_delta, apply_storage_delta)
