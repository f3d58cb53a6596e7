"""Provides snapshot export and install for nodes joining a context (HOST-ABI §5.8).

A snapshot carries the context's key→value pairs byte for byte, its root hash, heads and
every applied delta id. What a joiner needs beyond that travels in ``Snapshot.host_state``
(the host's own record of the context), Borsh-encoded::

    version       u8                 HOST_STATE_VERSION
    application   [u8; 32]           the app the context runs (must be installed here)
    members       Vec<[u8; 32]>      public keys allowed to author deltas
    head_deltas   Vec<Vec<u8>>       the heads' delta wire bytes (``delta.encode``)

Head bodies let the joiner serve its heads to later fetchers and keep its store
self-consistent; older history is recorded as applied-id markers (no body), which
``lookup`` never serves. The install is one store batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pyborsh import U8, Borsh, BorshError, Bytes
from pydantic import BaseModel

from calimero_devnet.errors import ParseError, StoreError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.delta import CausalDelta, decode, encode, verify
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.sync.messages import Snapshot

HOST_STATE_VERSION = 1
_Id = Annotated[bytes, Bytes(32)]


class _HostStateWire(Borsh, BaseModel):
    version: Annotated[int, U8]
    application: _Id
    members: list[_Id]
    head_deltas: list[Annotated[bytes, Bytes()]]


@dataclass(frozen=True, slots=True)
class JoinInfo:
    """The host's record of a context that a joiner needs next to its state."""

    application_id: bytes
    members: tuple[bytes, ...]
    head_deltas: tuple[CausalDelta, ...]


def encode_host_state(info: JoinInfo) -> bytes:
    """Return the ``host_state`` bytes of a snapshot."""
    return _HostStateWire.model_construct(
        version=HOST_STATE_VERSION,
        application=info.application_id,
        members=list(info.members),
        head_deltas=[encode(delta) for delta in info.head_deltas],
    ).to_borsh()


def export_snapshot(store: NodeStore, context: bytes) -> Snapshot | None:
    """Copy an initialized context for a joiner, or None if this node has no state for it."""
    record = store.context(context)
    if record is None or not record.initialized:
        return None
    bodies = [store.delta(context, head) for head in record.heads]
    info = JoinInfo(
        record.application_id,
        tuple(record.members),
        tuple(decode(raw) for raw in bodies if raw is not None),
    )
    return Snapshot(
        context=context,
        entries=tuple(store.state_items(context)),
        root_hash=record.root_hash,
        heads=tuple(record.heads),
        applied=tuple(store.applied_ids(context)),
        host_state=encode_host_state(info),
    )


def read_join_info(snapshot: Snapshot) -> JoinInfo:
    """Decode and check what a snapshot says beyond its state.

    Raises:
        ParseError: the host state is malformed, or a head body is missing, forged or signed
            by a non-member.
    """
    where = f"snapshot of context {to_b58(snapshot.context)}"
    try:
        wire = _HostStateWire.from_borsh(snapshot.host_state)
    except BorshError as exc:
        raise ParseError(f"{where}: host state is malformed: {exc}") from exc
    if wire.version != HOST_STATE_VERSION:
        raise ParseError(f"{where}: host state version {wire.version}, expected 1")
    heads = tuple(decode(raw) for raw in wire.head_deltas)
    if {d.id for d in heads} != set(snapshot.heads):
        raise ParseError(f"{where}: it does not carry exactly the bodies of its heads")
    for delta in heads:
        if delta.context_id != snapshot.context:
            raise ParseError(f"{where}: head {to_b58(delta.id)} belongs to another context")
        verify(delta, wire.members)
    return JoinInfo(wire.application, tuple(wire.members), heads)


def install_snapshot(
    store: NodeStore, snapshot: Snapshot, info: JoinInfo, own_key: bytes, clock_last: int
) -> ContextRecord:
    """Write the joined context in one batch: state, head bodies, markers, record, clock.

    ``clock_last`` is the node clock's value after observing the heads' timestamps.

    Raises:
        StoreError: this node already has the context.
    """
    ctx = snapshot.context
    if store.context(ctx) is not None:
        raise StoreError(f"context {to_b58(ctx)} already exists on this node: it cannot join it")
    batch = store.batch()
    for key, value in snapshot.entries:
        batch.put_state(ctx, key, value)
    bodies = {delta.id for delta in info.head_deltas}
    for delta in info.head_deltas:
        batch.put_delta(ctx, delta.id, encode(delta))
    for delta_id in snapshot.applied:
        if delta_id not in bodies:
            batch.put_applied_marker(ctx, delta_id)
    root = snapshot.root_hash if snapshot.root_hash and len(snapshot.root_hash) == 32 else None
    record = ContextRecord(
        id=ctx, application_id=info.application_id, root_hash=root,
        heads=sorted(snapshot.heads), members=sorted({*info.members, own_key}),
        initialized=True, delta_count=len(bodies),
    )  # fmt: skip
    batch.put_context(record)
    batch.put_clock(clock_last)
    store.write(batch)
    return record


def newest_time(deltas: tuple[CausalDelta, ...]) -> int:
    """The largest timestamp the deltas carry (their HLCs and their ``time_now`` values)."""
    return max((max(d.hlc.time, d.max_time_now) for d in deltas), default=0)
