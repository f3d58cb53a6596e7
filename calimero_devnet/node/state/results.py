"""Provides the immutable values the node core hands to its callers and subscribers."""

from __future__ import annotations

from dataclasses import dataclass

from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.records import AppRecord, ContextRecord
from calimero_devnet.node.state.xcalls import XCallResult


@dataclass(frozen=True, slots=True)
class AppInfo:
    """An installed application."""

    id: bytes
    size: int
    source: str
    metadata: bytes
    methods: tuple[str, ...]

    @classmethod
    def from_record(cls, record: AppRecord) -> AppInfo:
        """Build from the stored record."""
        return cls(record.id, record.size, record.source, record.metadata, tuple(record.methods))


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """A context as this node sees it now."""

    id: bytes
    application_id: bytes
    root_hash: bytes | None
    heads: tuple[bytes, ...]
    members: tuple[bytes, ...]
    initialized: bool
    delta_count: int
    pending: int = 0

    @classmethod
    def from_record(cls, record: ContextRecord, pending: int = 0) -> ContextInfo:
        """Build from the stored record; ``pending`` comes from the sync layer."""
        return cls(
            id=record.id,
            application_id=record.application_id,
            root_hash=record.root_hash,
            heads=tuple(record.heads),
            members=tuple(record.members),
            initialized=record.initialized,
            delta_count=record.delta_count,
            pending=pending,
        )


@dataclass(frozen=True, slots=True)
class ExecuteResult:
    """What one ``execute`` produced; ``delta`` is None for calls that did not commit.

    ``fuel_used`` and ``duration_s`` are the runtime's measures of the call (a trace);
    ``xcalls`` how the cross-context calls it queued went (``xcalls.py``), nested ones too.
    """

    output: bytes | None
    events: tuple[Event, ...]
    logs: tuple[str, ...]
    delta: CausalDelta | None
    root_hash: bytes | None
    fuel_used: int = 0
    duration_s: float = 0.0
    xcalls: tuple[XCallResult, ...] = ()


@dataclass(frozen=True, slots=True)
class CommitNotice:
    """Sent to subscribers after a commit is persisted (a local call or an applied delta)."""

    context_id: bytes
    root_hash: bytes | None
    events: tuple[Event, ...]
    delta: CausalDelta | None
