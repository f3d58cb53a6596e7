"""Provides ``CallState``: what every host function sees of the call it serves.

One ``CallState`` lives for one ``Runtime.call``. It gives host functions bounds-checked
access to guest memory (raw and through HOST-ABI Buffer descriptors), the register map,
the storage overlay, logs, and the ``CallOutcome`` being built. Every failure raises
:class:`HostTrap` with a plain-words message, which ends the guest.
"""

from __future__ import annotations

import ctypes
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from calimero_devnet.node.runtime import _glue
from calimero_devnet.node.runtime.hostimport import HostTrap
from calimero_devnet.node.runtime.types import CallEnv, CallOutcome, Limits

U64_MAX = 0xFFFF_FFFF_FFFF_FFFF
_DESC = struct.Struct("<QQ")
_local = threading.local()


def current() -> CallState | None:
    """Return the call running on this thread, if any."""
    call: CallState | None = getattr(_local, "call", None)
    return call


@contextmanager
def activate(call: CallState) -> Iterator[CallState]:
    """Make ``call`` the one host functions on this thread serve, for the ``with`` body."""
    previous = current()
    _local.call = call
    try:
        yield call
    finally:
        _local.call = previous


class CallState:
    """Per-call state handed to every host function (see ``HostImport``)."""

    __slots__ = (
        "_caller",
        "_finishers",
        "_memory",
        "_register_bytes",
        "_write_bytes",
        "_writes",
        "abort",
        "commits",
        "data",
        "env",
        "error",
        "input",
        "limits",
        "method",
        "outcome",
        "registers",
    )

    def __init__(self, env: CallEnv, limits: Limits, method: str, input: bytes) -> None:
        self.env, self.limits, self.method, self.input = env, limits, method, input
        self.outcome = CallOutcome()
        self.registers: dict[int, bytes] = {}
        self.data: dict[str, object] = {}
        """Scratch space for host functions, fresh for every call."""
        self.error: HostTrap | None = None
        self.abort: BaseException | None = None
        self.commits = 0
        self._register_bytes = self._writes = self._write_bytes = 0
        self._caller = 0
        self._memory: _glue.Extern | None = None
        self._finishers: dict[str, Callable[[CallState], None]] = {}

    # -- failure -------------------------------------------------------------------
    def trap(self, message: str) -> NoReturn:
        """End the guest with ``message`` (what the user will read)."""
        raise HostTrap(message)

    def fail(self, error: HostTrap) -> int:
        """Record ``error`` (the first one wins) and return a trap for wasmtime."""
        if self.error is None:
            self.error = error
        return _glue.new_trap(str(error))

    def on_finish(self, key: str, hook: Callable[[CallState], None]) -> None:
        """Run ``hook`` once after the method returns without trapping."""
        self._finishers.setdefault(key, hook)

    def run_finishers(self) -> None:
        """Run the hooks registered with :meth:`on_finish` (by the runtime)."""
        for hook in self._finishers.values():
            hook(self)

    # -- memory --------------------------------------------------------------------
    def enter(self, caller: int) -> None:
        """Bind the wasmtime caller of the host call now starting (by the runtime)."""
        self._caller = caller

    def bind_memory(self, memory: _glue.Extern) -> None:
        """Tell the state which export is the guest's linear memory (by the runtime)."""
        self._memory = memory

    def _view(self) -> tuple[int, int]:
        memory = self._memory
        if memory is None:
            memory = self._memory = _glue.caller_memory(self._caller)
            if memory is None:
                self.trap("the app has no `memory` export for the host to read")
        context = _glue.caller_context(self._caller)
        return _glue.memory_base(context, memory.address) or 0, int(
            _glue.memory_size(context, memory.address)
        )

    def _out_of_bounds(self, start: int, length: int, size: int) -> NoReturn:
        self.trap(
            f"out-of-bounds memory access: {length} bytes at address {start} "
            f"(linear memory is {size} bytes)"
        )

    def read(self, ptr: int, length: int) -> bytes:
        """Copy ``length`` bytes of guest memory starting at ``ptr``."""
        if length == 0:
            return b""
        base, size = self._view()
        if ptr + length > size:
            self._out_of_bounds(ptr, length, size)
        return ctypes.string_at(base + ptr, length)

    def write(self, ptr: int, data: bytes) -> None:
        """Copy ``data`` into guest memory at ``ptr``."""
        if not data:
            return
        base, size = self._view()
        if ptr + len(data) > size:
            self._out_of_bounds(ptr, len(data), size)
        ctypes.memmove(base + ptr, data, len(data))

    def read_u64(self, ptr: int) -> int:
        """Read a little-endian u64 at ``ptr``."""
        return int.from_bytes(self.read(ptr, 8), "little")

    def buffers(self, desc: int, count: int = 1) -> list[tuple[int, int]]:
        """Read ``count`` consecutive Buffer descriptors ``(ptr, len)`` at ``desc``."""
        raw = self.read(desc, 16 * count)
        return [_DESC.unpack_from(raw, 16 * i) for i in range(count)]

    def check_len(
        self, length: int, what: str, limit: int | None = None, exact: int | None = None
    ) -> None:
        """Trap if a buffer of ``length`` bytes breaks ``limit`` or ``exact``."""
        if exact is not None and length != exact:
            self.trap(f"{what} must be exactly {exact} bytes, got {length}")
        if limit is not None and length > limit:
            self.trap(f"{what} is {length} bytes, above the limit of {limit} bytes")

    def read_buffer(
        self,
        desc: int,
        *,
        what: str = "buffer",
        limit: int | None = None,
        exact: int | None = None,
    ) -> bytes:
        """Read the bytes a Buffer descriptor at ``desc`` points to."""
        base, size = self._view()
        if desc + 16 > size:
            self._out_of_bounds(desc, 16, size)
        ptr, length = _DESC.unpack(ctypes.string_at(base + desc, 16))
        self.check_len(length, what, limit, exact)
        if length == 0:
            return b""
        if ptr + length > size:
            self._out_of_bounds(ptr, length, size)
        return ctypes.string_at(base + ptr, length)

    def read_str(self, desc: int, *, what: str, limit: int | None = None) -> str:
        """Read a Buffer as UTF-8 text; invalid UTF-8 traps."""
        raw = self.read_buffer(desc, what=what, limit=limit)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.trap(f"{what} is not valid UTF-8 ({exc.reason} at byte {exc.start})")

    def write_buffer(self, desc: int, data: bytes, *, what: str) -> None:
        """Fill the guest Buffer at ``desc``, which must be exactly ``len(data)`` long."""
        (ptr, length) = self.buffers(desc)[0]
        self.check_len(length, what, exact=len(data))
        self.write(ptr, data)

    # -- registers, storage, logs ----------------------------------------------------
    def set_register(self, reg: int, data: bytes) -> None:
        """Store ``data`` in register ``reg`` (any u64), within the register limits."""
        lim, old = self.limits, self.registers.get(reg)
        if old is None and len(self.registers) >= lim.max_registers:
            self.trap(f"too many registers: the limit is {lim.max_registers} per call")
        self.check_len(len(data), f"register {reg}", lim.max_register_bytes)
        total = self._register_bytes + len(data) - (len(old) if old is not None else 0)
        if total > lim.max_registers_total:
            self.trap(f"registers hold more than {lim.max_registers_total} bytes in total")
        self.registers[reg] = data
        self._register_bytes = total

    def storage_get(self, key: bytes) -> bytes | None:
        """Read ``key`` through this call's write overlay."""
        writes = self.outcome.writes
        if key in writes:
            return writes[key]
        return self.env.state.get(key)

    def storage_put(self, key: bytes, value: bytes | None) -> bytes | None:
        """Write (or, with None, remove) ``key`` in the overlay; return the old value."""
        old = self.storage_get(key)
        lim = self.limits
        self._writes += 1
        self._write_bytes += len(key) + (len(value) if value is not None else 0)
        if self._writes > lim.max_writes:
            self.trap(f"more than {lim.max_writes} storage writes in one call")
        if self._write_bytes > lim.max_write_bytes:
            self.trap(f"more than {lim.max_write_bytes} bytes of storage writes in one call")
        self.outcome.writes[key] = value
        return old

    def log(self, line: str) -> None:
        """Append a log line to the outcome, within the log limits."""
        lim = self.limits
        if len(self.outcome.logs) >= lim.max_log_lines:
            self.trap(f"more than {lim.max_log_lines} log lines in one call")
        self.check_len(len(line.encode()), "log line", lim.max_log_line)
        self.outcome.logs.append(line)
