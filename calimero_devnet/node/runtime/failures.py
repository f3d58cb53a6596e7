"""Provides ``GuestError`` and the plain-words explanation of every way a call can fail.

Users read these messages in JSON-RPC errors (HOST-ABI §7): a panic reads
``guest panicked: <msg> at <file:line:col>``; a trap without a guest message says what
happened (out of fuel, out of memory, ``unreachable``, …); host-function misuse carries
the host's own message, never wasmtime's generic "python exception".
"""

from __future__ import annotations

from collections.abc import Sequence

from wasmtime import Trap, TrapCode, WasmtimeError

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.runtime.hostimport import HostTrap
from calimero_devnet.node.runtime.loader import PAGE

_PLAIN = {
    TrapCode.STACK_OVERFLOW: "the app overflowed its call stack (runaway recursion?)",
    TrapCode.MEMORY_OUT_OF_BOUNDS: "the app read or wrote outside its linear memory",
    TrapCode.INTEGER_DIVISION_BY_ZERO: "the app divided an integer by zero",
    TrapCode.INTEGER_OVERFLOW: "the app hit an integer overflow",
    TrapCode.BAD_CONVERSION_TO_INTEGER: "the app converted an out-of-range float to an int",
    TrapCode.INDIRECT_CALL_TO_NULL: "the app called a null function pointer",
    TrapCode.BAD_SIGNATURE: "the app called a function pointer with the wrong signature",
    TrapCode.TABLE_OUT_OF_BOUNDS: "the app called a function pointer out of table bounds",
    TrapCode.UNREACHABLE: (
        "the app executed `unreachable` (a Rust panic without a message, an abort, or "
        "input it could not decode, such as a malformed sync artifact)"
    ),
}


class GuestError(FunctionCallError):
    """A call that failed inside the app; ``logs`` holds what it logged before failing.

    ``kind`` is one of ``panic``, ``host``, ``fuel``, ``memory``, ``instantiate``,
    ``trap``.
    """

    def __init__(self, message: str, *, kind: str, logs: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.logs = list(logs)


def from_host(error: HostTrap, logs: Sequence[str]) -> GuestError:
    """A failure raised by a host function (panics included)."""
    message = str(error)
    kind = "panic" if message.startswith("guest panicked: ") else "host"
    return GuestError(message, kind=kind, logs=logs)


def _last_line(failure: Exception) -> str:
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    return lines[-1] if lines else type(failure).__name__


def _where(failure: Trap | WasmtimeError) -> str:
    frames = failure.frames if isinstance(failure, Trap) else []
    name = frames[0].func_name if frames else None
    return f" (in wasm function `{name}`)" if name else ""


def from_wasm(
    failure: Trap | WasmtimeError,
    *,
    fuel_budget: int,
    fuel_left: int,
    memory_len: int,
    memory_cap: int,
    logs: Sequence[str],
) -> GuestError:
    """A trap raised by the guest itself."""
    code = failure.trap_code if isinstance(failure, Trap) else None
    if code is TrapCode.OUT_OF_FUEL or fuel_left == 0:
        return GuestError(
            f"ran out of fuel after {fuel_budget} units: the method loops or does too much work",
            kind="fuel",
            logs=logs,
        )
    if memory_len + max(PAGE, memory_cap // 16) > memory_cap:
        # wasmtime does not report a failed memory.grow (it returns -1 to the guest), so a
        # trap with memory this close to the cap is taken as running out of memory.
        return GuestError(
            f"the app ran out of memory: its linear memory is {memory_len} bytes, at the "
            f"per-call cap of {memory_cap} bytes, so growing it failed; then it trapped "
            f"({_last_line(failure)})",
            kind="memory",
            logs=logs,
        )
    plain = _PLAIN.get(code) if code is not None else None
    message = (plain or f"the app trapped: {_last_line(failure)}") + _where(failure)
    if memory_len * 2 >= memory_cap:
        message += (
            f"; its linear memory is {memory_len} of at most {memory_cap} bytes, so it may "
            "have failed to allocate"
        )
    return GuestError(message, kind="trap", logs=logs)


def from_instantiation(failure: Exception, *, memory_min: int, memory_cap: int) -> GuestError:
    """A module that could not be instantiated for this call."""
    if memory_min > memory_cap:
        reason = (
            f"it needs {memory_min} bytes of linear memory at start, above the per-call "
            f"cap of {memory_cap} bytes"
        )
    else:
        reason = _last_line(failure)
    return GuestError(f"could not instantiate the app: {reason}", kind="instantiate")
