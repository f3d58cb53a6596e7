"""Provides the core ``env`` imports of HOST-ABI §3-4: registers, I/O, panics, ids, time.

Every parameter is i64 (Buffer descriptors and registers by address/id); the runtime
hands them over as unsigned ints, so register ids are arbitrary u64 keys.
"""

from __future__ import annotations

import struct

from calimero_devnet.node.runtime.callstate import U64_MAX, CallState
from calimero_devnet.node.runtime.hostimport import host_import

_LOCATION_TAIL = struct.Struct("<II")
_VALUE_RETURN = struct.Struct("<QQQ")


@host_import("input", "i64 ->")
def input_(call: CallState, reg: int) -> None:
    """Register ← the call's input bytes (set even when empty)."""
    call.set_register(reg, call.input)


@host_import("register_len", "i64 -> i64")
def register_len(call: CallState, reg: int) -> int:
    """Length of a register, or u64::MAX if it was never set."""
    value = call.registers.get(reg)
    return U64_MAX if value is None else len(value)


@host_import("read_register", "i64 i64 -> i32")
def read_register(call: CallState, reg: int, desc: int) -> int:
    """Copy a register into a buffer of exactly its length (1), or do nothing (0)."""
    value = call.registers.get(reg)
    if value is None:
        call.trap(f"read_register: register {reg} was never set")
    ptr, length = call.buffers(desc)[0]
    if length != len(value):
        return 0
    call.write(ptr, value)
    return 1


@host_import("value_return", "i64 ->")
def value_return(call: CallState, ptr: int) -> None:
    """Record the call's Ok (tag 0) or Err (tag 1) bytes; the last call wins."""
    tag, buf_ptr, length = _VALUE_RETURN.unpack(call.read(ptr, 24))
    if tag not in (0, 1):
        call.trap(f"value_return: the tag must be 0 (Ok) or 1 (Err), got {tag}")
    call.check_len(length, "value_return value", call.limits.max_value_return)
    value = call.read(buf_ptr, length)
    outcome = call.outcome
    outcome.returned, outcome.app_error = (value, None) if tag == 0 else (None, value)


@host_import("log_utf8", "i64 ->")
def log_utf8(call: CallState, desc: int) -> None:
    """Append a UTF-8 log line (invalid UTF-8 traps)."""
    call.log(call.read_str(desc, what="log line", limit=call.limits.max_log_line))


def _location(call: CallState, ptr: int) -> str:
    """Render a Location struct as ``file:line:col``."""
    raw = call.read(ptr, 24)
    file_ptr, file_len = struct.unpack_from("<QQ", raw)
    line, column = _LOCATION_TAIL.unpack_from(raw, 16)
    name = call.read(file_ptr, min(file_len, 4096)).decode("utf-8", "replace")
    return f"{name}:{line}:{column}"


@host_import("panic", "i64 ->")
def panic(call: CallState, location: int) -> None:
    """Trap: the guest panicked without a message."""
    call.trap(f"guest panicked: explicit panic at {_location(call, location)}")


@host_import("panic_utf8", "i64 i64 ->")
def panic_utf8(call: CallState, message: int, location: int) -> None:
    """Trap with the guest's panic message and location."""
    ptr, length = call.buffers(message)[0]
    text = call.read(ptr, min(length, call.limits.max_log_line))  # a long panic still panics
    where = _location(call, location)
    call.trap(f"guest panicked: {text.decode('utf-8', 'replace')} at {where}")


@host_import("context_id", "i64 ->")
def context_id(call: CallState, reg: int) -> None:
    """Register ← the 32-byte context id."""
    call.set_register(reg, call.env.context_id)


@host_import("executor_id", "i64 ->")
def executor_id(call: CallState, reg: int) -> None:
    """Register ← this node's 32-byte identity in the context."""
    call.set_register(reg, call.env.executor_id)


@host_import("account_id", "i64 ->")
def account_id(call: CallState, reg: int) -> None:
    """Register ← the executing account (the node's identity in a devnet)."""
    call.set_register(reg, call.env.executor_id)


@host_import("device_id", "i64 ->")
def device_id(call: CallState, reg: int) -> None:
    """Register ← the executing device (the node's identity in a devnet)."""
    call.set_register(reg, call.env.executor_id)


@host_import("time_now", "i64 ->")
def time_now(call: CallState, desc: int) -> None:
    """Write the node's unique nanosecond clock into an exactly-8-byte buffer."""
    ptr, length = call.buffers(desc)[0]
    call.check_len(length, "time_now buffer", exact=8)
    now = call.env.time_now()
    call.write(ptr, now.to_bytes(8, "little"))
    call.outcome.max_time_now = max(call.outcome.max_time_now, now)


@host_import("random_bytes", "i64 ->")
def random_bytes(call: CallState, desc: int) -> None:
    """Fill a buffer with bytes from the node's CSPRNG."""
    ptr, length = call.buffers(desc)[0]
    call.check_len(length, "random_bytes buffer", call.limits.max_register_bytes)
    data = call.env.random_bytes(length)
    if len(data) != length:
        call.trap(f"random_bytes: the node produced {len(data)} bytes instead of {length}")
    call.write(ptr, data)


CORE_IMPORTS = (
    input_,
    register_len,
    read_register,
    value_return,
    log_utf8,
    panic,
    panic_utf8,
    context_id,
    executor_id,
    account_id,
    device_id,
    time_now,
    random_bytes,
)
