"""Provides the values that cross the runtime seam: limits, call environment, outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-call resource limits (HOST-ABI §3 to §5); defaults follow the upstream runtime."""

    fuel: int = 2_000_000_000
    memory_bytes: int = 64 * MiB
    max_registers: int = 100
    max_register_bytes: int = 100 * MiB
    max_registers_total: int = 1024 * MiB
    max_value_return: int = 16 * MiB
    max_log_lines: int = 1024
    max_log_line: int = 16 * 1024
    max_key: int = 1 * MiB
    max_value: int = 10 * MiB
    max_writes: int = 100_000
    max_write_bytes: int = 128 * MiB
    max_artifact: int = 16 * MiB
    max_event_kind: int = 100
    max_event_data: int = 16 * 1024
    max_events: int = 100
    max_xcalls: int = 8
    max_blob_handles: int = 100
    max_blob_chunk: int = 10 * MiB


@dataclass(frozen=True, slots=True)
class Event:
    """An event the app emitted; ``handler`` names a method receivers run (or None)."""

    kind: str
    data: bytes
    handler: str | None = None


@dataclass(frozen=True, slots=True)
class XCall:
    """A call queued by ``xcall`` on another context of this node."""

    context_id: bytes
    function: str
    params: bytes


class StateReader(Protocol):
    """Read access to a context's committed key→value state."""

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        ...


class PrivateStorage(Protocol):
    """Node-local, never-replicated storage (``private_storage_*`` imports)."""

    def get(self, key: bytes) -> bytes | None:
        """Return the value under ``key``, or None."""
        ...

    def put(self, key: bytes, value: bytes | None) -> None:
        """Store ``value`` under ``key``; None removes it."""
        ...


@dataclass(slots=True)
class CallEnv:
    """Everything a call may read from its node, chosen by the caller of the runtime."""

    context_id: bytes
    executor_id: bytes
    state: StateReader
    time_now: Callable[[], int]
    random_bytes: Callable[[int], bytes]
    private: PrivateStorage | None = None
    extensions: dict[str, object] = field(default_factory=dict)
    members: tuple[bytes, ...] = ()
    """The running context's members as this node stores them (``context_*`` reads)."""


@dataclass(slots=True)
class CallOutcome:
    """What one call produced. Writes are an overlay: persist them only if ``committed``."""

    returned: bytes | None = None
    app_error: bytes | None = None
    logs: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    writes: dict[bytes, bytes | None] = field(default_factory=dict)
    root_hash: bytes | None = None
    artifact: bytes | None = None
    xcalls: list[XCall] = field(default_factory=list)
    max_time_now: int = 0
    fuel_used: int = 0
    duration_s: float = 0.0

    @property
    def committed(self) -> bool:
        """True if the guest called ``commit`` and returned no error."""
        return self.root_hash is not None and self.app_error is None
