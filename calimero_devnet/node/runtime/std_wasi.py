"""Provides deterministic stand-ins for leftover ``wasi_snapshot_preview1`` imports.

C and QuickJS builds keep a few WASI imports (HOST-ABI §1). Apps get no filesystem and
no network: stdout/stderr become the call's log lines, every other ``fd_*`` answers
EBADF (the linker adds those), the clock is the node's clock, randomness is the node's
CSPRNG, the environment and argument lists are empty, and ``proc_exit`` traps.
"""

from __future__ import annotations

import struct

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import host_import

WASI = "wasi_snapshot_preview1"
EBADF = 8
_IOVEC = struct.Struct("<II")
_OUT_KEY = "wasi.output"


def _flush(call: CallState) -> None:
    """Log what is left of stdout/stderr without a final newline."""
    pending = call.data.get(_OUT_KEY)
    if isinstance(pending, dict):
        for chunk in pending.values():
            if chunk:
                call.log(bytes(chunk).decode("utf-8", "replace"))
        pending.clear()


def _append_output(call: CallState, fd: int, data: bytes) -> None:
    pending = call.data.setdefault(_OUT_KEY, {})
    assert isinstance(pending, dict)
    buffer: bytearray = pending.setdefault(fd, bytearray())
    buffer += data
    *lines, rest = buffer.split(b"\n")
    limit = call.limits.max_log_line
    while len(rest) > limit:  # a newline-free flood still becomes bounded lines
        lines.append(rest[:limit])
        rest = rest[limit:]
    for line in lines:
        call.log(bytes(line).decode("utf-8", "replace"))
    pending[fd] = bytearray(rest)
    call.on_finish(_OUT_KEY, _flush)


@host_import("fd_write", "i32 i32 i32 i32 -> i32", module=WASI)
def fd_write(call: CallState, fd: int, iovs: int, count: int, written: int) -> int:
    """stdout (1) and stderr (2) become log lines; other descriptors are EBADF."""
    if fd not in (1, 2):
        return EBADF
    raw = call.read(iovs, 8 * count)
    data = b"".join(call.read(*_IOVEC.unpack_from(raw, 8 * i)) for i in range(count))
    _append_output(call, fd, data)
    call.write(written, len(data).to_bytes(4, "little"))
    return 0


@host_import("clock_time_get", "i32 i64 i32 -> i32", module=WASI)
def clock_time_get(call: CallState, clock: int, precision: int, out: int) -> int:
    """Every clock reads the node's call clock (nanoseconds)."""
    now = call.env.time_now()
    call.write(out, now.to_bytes(8, "little"))
    call.outcome.max_time_now = max(call.outcome.max_time_now, now)
    return 0


@host_import("random_get", "i32 i32 -> i32", module=WASI)
def random_get(call: CallState, buf: int, length: int) -> int:
    """Fill ``length`` bytes from the node's CSPRNG."""
    call.check_len(length, "random_get buffer", call.limits.max_register_bytes)
    call.write(buf, call.env.random_bytes(length))
    return 0


@host_import("proc_exit", "i32 ->", module=WASI)
def proc_exit(call: CallState, code: int) -> None:
    """A reactor app must not exit: trap with the code."""
    call.trap(f"the app called WASI proc_exit({code}); apps must return, not exit")


def _two_zeros(call: CallState, count_out: int, size_out: int) -> int:
    call.write(count_out, bytes(4))
    call.write(size_out, bytes(4))
    return 0


environ_sizes_get = host_import("environ_sizes_get", "i32 i32 -> i32", module=WASI)(_two_zeros)
args_sizes_get = host_import("args_sizes_get", "i32 i32 -> i32", module=WASI)(_two_zeros)


def _nothing(call: CallState, first: int, second: int) -> int:
    return 0


environ_get = host_import("environ_get", "i32 i32 -> i32", module=WASI)(_nothing)
args_get = host_import("args_get", "i32 i32 -> i32", module=WASI)(_nothing)

WASI_IMPORTS = (
    fd_write,
    clock_time_get,
    random_get,
    proc_exit,
    environ_sizes_get,
    args_sizes_get,
    environ_get,
    args_get,
)
