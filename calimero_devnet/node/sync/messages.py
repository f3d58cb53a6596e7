"""Provides the values of the replication protocol: the delta shape, messages and effects.

Plain frozen values with no I/O and no wire format: the bus adapter encodes them. Every
message names its ``sender`` (a node name) and its ``context`` (a 32-byte id). Effects are
what ``SyncState`` asks its I/O shell to do, in list order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeAlias, TypeVar

from calimero_devnet.node.sync.dag import DagDelta


class HlcLike(Protocol):
    """The part of a hybrid logical clock stamp the protocol reads."""

    @property
    def time(self) -> int:
        """Unix time in ns (the author's ``time_now``)."""
        ...


class SyncDelta(DagDelta, Protocol):
    """What the protocol reads from a delta, beyond the DAG's id and parents."""

    @property
    def hlc(self) -> HlcLike:
        """When the author wrote it."""
        ...


D = TypeVar("D", bound=SyncDelta)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A context copied byte for byte, for a joiner (SYNC.md "Catch-up", HOST-ABI §5.8).

    ``applied`` lists every delta id the state includes, so the joiner never fetches and
    replays history that the copied state already holds.
    """

    context: bytes
    entries: tuple[tuple[bytes, bytes], ...]
    root_hash: bytes | None
    heads: tuple[bytes, ...]
    applied: tuple[bytes, ...]
    host_state: bytes = b""


@dataclass(frozen=True, slots=True)
class DeltaBroadcast(Generic[D]):
    """A new delta, published by its author."""

    sender: str
    context: bytes
    delta: D


@dataclass(frozen=True, slots=True)
class HeadsAnnouncement:
    """A node's current heads of one context, published periodically and on connect."""

    sender: str
    context: bytes
    heads: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """Ask one peer for deltas by id."""

    sender: str
    context: bytes
    ids: tuple[bytes, ...]
    reply_to: str


@dataclass(frozen=True, slots=True)
class FetchResponse(Generic[D]):
    """The deltas a peer found, and the ids it does not have."""

    sender: str
    context: bytes
    deltas: tuple[D, ...]
    not_found: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """Ask one peer for a snapshot of a context (to join it)."""

    sender: str
    context: bytes
    reply_to: str


@dataclass(frozen=True, slots=True)
class SnapshotResponse:
    """A peer's snapshot, or None when it has no state for that context."""

    sender: str
    context: bytes
    snapshot: Snapshot | None


Message: TypeAlias = (
    DeltaBroadcast[D]
    | HeadsAnnouncement
    | FetchRequest
    | FetchResponse[D]
    | SnapshotRequest
    | SnapshotResponse
)


@dataclass(frozen=True, slots=True)
class ApplyDeltas(Generic[D]):
    """Apply these deltas in order (see ``CausalDag`` for the store contract)."""

    context: bytes
    deltas: tuple[D, ...]


@dataclass(frozen=True, slots=True)
class SendFetch:
    """Send ``request`` to ``peer``."""

    peer: str
    request: FetchRequest


@dataclass(frozen=True, slots=True)
class RequestSnapshot:
    """Send ``request`` to ``peer``."""

    peer: str
    request: SnapshotRequest


@dataclass(frozen=True, slots=True)
class Reply(Generic[D]):
    """Answer a request at its ``reply_to`` address."""

    to: str
    message: FetchResponse[D] | SnapshotResponse


@dataclass(frozen=True, slots=True)
class Publish(Generic[D]):
    """Broadcast ``message`` on its context's topic."""

    message: DeltaBroadcast[D] | HeadsAnnouncement


@dataclass(frozen=True, slots=True)
class InstallSnapshot:
    """Replace the context's state with ``snapshot``, in one store batch, before what follows."""

    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class Log:
    """Report something (``level`` is a ``logging`` level)."""

    level: int
    text: str


Effect: TypeAlias = (
    ApplyDeltas[D] | SendFetch | RequestSnapshot | Reply[D] | Publish[D] | InstallSnapshot | Log
)
