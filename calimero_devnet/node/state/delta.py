"""Provides causal deltas (SYNC.md): the signed, content-addressed record of one commit.

Wire format (Borsh: encoded via ``pyborsh``, read by ``delta_reader``; strict: trailing bytes,
bad tags and invalid UTF-8 are refused)::

    id            [u8; 32]   SHA-256 of the body bytes below
    context_id    [u8; 32]   \\
    author        [u8; 32]    |
    parents       Vec<[u8; 32]>
    hlc           { time: u64, node: u128 }
    kind          u8         0 = wasm-artifact, 1 = host-actions
    payload       Vec<u8>     |  the body
    events        Vec<{ kind: String, data: Vec<u8>, handler: Option<String> }>
    max_time_now  u64        /
    signature     [u8; 64]   the author's Ed25519 signature of ``id``

so ``id == sha256(wire[32:-64])``. A delta built by ``create_delta`` or ``decode`` keeps
those bytes (``CausalDelta.wire``): storing, forwarding and checking it never re-encodes.
``dataclasses.replace`` drops them (``wire`` is not an init field), so a changed copy is
encoded and hashed afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Annotated

from pyborsh import U64, U128, Borsh, BorshError, Bytes
from pydantic import BaseModel

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import sha256, to_b58
from calimero_devnet.node.borsh_codec import ReadError
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta_reader import read_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.identity import verify as verify_signature

Id32 = Annotated[bytes, Bytes(32)]


class DeltaKind(IntEnum):
    """How a receiver applies the payload."""

    WASM_ARTIFACT = 0  # an upstream Rust app's commit artifact, fed to __calimero_sync_next
    HOST_ACTIONS = 1  # host-side JS collection actions, merged by the host

    @property
    def label(self) -> str:
        """The kind as SYNC.md spells it: ``wasm-artifact`` or ``host-actions``."""
        return self.name.lower().replace("_", "-")


class _HlcWire(Borsh, BaseModel):
    time: Annotated[int, U64]
    node: Annotated[int, U128]


class _EventWire(Borsh, BaseModel):
    kind: str
    data: Annotated[bytes, Bytes()]
    handler: str | None


class _BodyWire(Borsh, BaseModel):
    context_id: Id32
    author: Id32
    parents: list[Id32]
    hlc: _HlcWire
    kind: DeltaKind
    payload: Annotated[bytes, Bytes()]
    events: list[_EventWire]
    max_time_now: Annotated[int, U64]


# The whole delta as a pyborsh model: ``delta_reader`` is tested against it.
class _DeltaWire(Borsh, BaseModel):
    id: Id32
    body: _BodyWire
    signature: Annotated[bytes, Bytes(64)]


@dataclass(frozen=True, slots=True)
class CausalDelta:
    """One commit of one context, as authored and signed by one node."""

    id: bytes
    context_id: bytes
    author: bytes
    parents: tuple[bytes, ...]
    hlc: Hlc
    kind: DeltaKind
    payload: bytes
    events: tuple[Event, ...]
    max_time_now: int
    signature: bytes
    # The exact wire bytes of these fields, when known (set only by this module).
    wire: bytes = field(default=b"", init=False, compare=False, repr=False)

    def __repr__(self) -> str:
        """Short form: ids in base58, payload by size."""
        return (
            f"CausalDelta(id={to_b58(self.id)}, context={to_b58(self.context_id)}, "
            f"author={to_b58(self.author)}, parents={[to_b58(p) for p in self.parents]}, "
            f"kind={self.kind.label}, payload={len(self.payload)} B, events={len(self.events)})"
        )


def create_delta(
    identity: NodeIdentity,
    *,
    context_id: bytes,
    parents: Sequence[bytes],
    hlc: Hlc,
    payload: bytes,
    events: Iterable[Event] = (),
    max_time_now: int = 0,
    kind: DeltaKind = DeltaKind.WASM_ARTIFACT,
) -> CausalDelta:
    """Build, address and sign a delta authored by ``identity``."""
    fields = CausalDelta(
        b"", context_id, identity.public_key, tuple(parents), hlc, kind, payload,
        tuple(events), max_time_now, b"",
    )  # fmt: skip
    body = _body_bytes(fields)
    delta_id = sha256(body)
    signature = identity.sign(delta_id)
    delta = CausalDelta(
        delta_id, context_id, identity.public_key, fields.parents, hlc, kind, payload,
        fields.events, max_time_now, signature,
    )  # fmt: skip
    return _with_wire(delta, delta_id + body + signature)


def compute_id(delta: CausalDelta) -> bytes:
    """Return the SHA-256 of the canonical Borsh body (every field but id and signature)."""
    if delta.wire:
        return sha256(delta.wire[32:-64])
    return sha256(_body_bytes(delta))


def encode(delta: CausalDelta) -> bytes:
    """Return the Borsh wire bytes of ``delta`` (the kept ones, if it has them)."""
    if delta.wire:
        return delta.wire
    body = _body_bytes(delta)
    if len(delta.id) != 32 or len(delta.signature) != 64:
        raise ValueError("a delta needs a 32-byte id and a 64-byte signature before encoding")
    return delta.id + body + delta.signature


def decode(data: bytes) -> CausalDelta:
    """Decode wire bytes strictly, or raise ``ParseError`` saying what is wrong."""
    try:
        f = read_delta(bytes(data), len(DeltaKind))
    except ReadError as exc:
        raise ParseError(f"delta ({len(data)} bytes) is not a valid Borsh delta: {exc}") from None
    delta = CausalDelta(
        f.id, f.context_id, f.author, f.parents, Hlc(f.hlc_time, f.hlc_node), DeltaKind(f.kind),
        f.payload, f.events, f.max_time_now, f.signature,
    )  # fmt: skip
    # Strict reading is canonical: these fields re-encode to exactly ``data``.
    return _with_wire(delta, bytes(data))


def verify(delta: CausalDelta, members: Iterable[bytes]) -> None:
    """Check a received delta: its id, its author's membership, its signature.

    Raises:
        ParseError: naming the delta, its context and the failed check.
    """
    if compute_id(delta) != delta.id:
        problem = "id does not match its content (corrupted or forged)"
    elif delta.author not in set(members):
        problem = f"author {to_b58(delta.author)} is not a context member"
    elif not verify_signature(delta.author, delta.signature, delta.id):
        problem = f"bad signature from {to_b58(delta.author)}"
    else:
        return  # the common case formats nothing
    where = f"delta {to_b58(delta.id)} of context {to_b58(delta.context_id)}"
    raise ParseError(f"{where}: {problem}")


def _with_wire(delta: CausalDelta, wire: bytes) -> CausalDelta:
    object.__setattr__(delta, "wire", wire)  # frozen: set once, before anyone else sees it
    return delta


def _body_bytes(delta: CausalDelta) -> bytes:
    try:
        return _body_model(delta).to_borsh()
    except BorshError as exc:
        raise ValueError(f"delta fields do not fit the wire format: {exc}") from exc


def _body_model(delta: CausalDelta) -> _BodyWire:
    # model_construct skips pydantic validation: the fields come from our own dataclass,
    # and the Borsh writer still checks widths and fixed lengths.
    return _BodyWire.model_construct(
        context_id=delta.context_id,
        author=delta.author,
        parents=list(delta.parents),
        hlc=_HlcWire.model_construct(time=delta.hlc.time, node=delta.hlc.node),
        kind=delta.kind,
        payload=delta.payload,
        events=[
            _EventWire.model_construct(kind=e.kind, data=e.data, handler=e.handler)
            for e in delta.events
        ],
        max_time_now=delta.max_time_now,
    )
