"""Provides the bus wire codec: every ``BusMessage`` as one strict Borsh envelope.

Layout (Borsh, little-endian; every message is one struct read to its last byte)::

    version  u8       WIRE_VERSION; a node refuses other versions
    tag      u8       Tag below
    sender   String   the sending node's name
    context  [u8; 32]
    ...      the body of that tag (see the ``_*Wire`` models)

Deltas travel as ``Vec<u8>`` holding ``delta.encode`` bytes, decoded strictly by
``delta.decode``. Decoding never raises anything but ``ParseError``: a garbage payload on
the bus is logged and dropped by the transport, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Annotated, Any

from pyborsh import U8, U32, U64, Borsh, BorshError, Bytes
from pydantic import BaseModel

from calimero_devnet.errors import ParseError
from calimero_devnet.node.blobs.messages import BlobAnnouncement, BlobRequest, BlobResponse
from calimero_devnet.node.borsh_codec import Reader, ReadError
from calimero_devnet.node.bus.transport import BusMessage
from calimero_devnet.node.state import delta as delta_codec
from calimero_devnet.node.sync.apps import AppRequest, AppResponse
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import (
    DeltaBroadcast,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)

WIRE_VERSION = 1
MAX_NAME_LEN = 128
_NAME_FORBIDDEN = frozenset("/+#\x00")

_Id = Annotated[bytes, Bytes(32)]
_Blob = Annotated[bytes, Bytes()]


class Tag(IntEnum):
    """Which message an envelope carries."""

    DELTA = 0
    HEADS = 1
    FETCH_REQUEST = 2
    FETCH_RESPONSE = 3
    SNAPSHOT_REQUEST = 4
    SNAPSHOT_RESPONSE = 5
    MEMBERS = 6
    BLOB_ANNOUNCE = 7
    BLOB_REQUEST = 8
    BLOB_RESPONSE = 9
    APP_REQUEST = 10  # after the blob messages (7..9)
    APP_RESPONSE = 11


class _Envelope(Borsh, BaseModel):
    version: Annotated[int, U8]
    tag: Annotated[int, U8]
    sender: str
    context: _Id


class _DeltaWire(_Envelope):
    delta: _Blob


class _HeadsWire(_Envelope):
    heads: list[_Id]


class _FetchRequestWire(_Envelope):
    ids: list[_Id]
    reply_to: str


class _FetchResponseWire(_Envelope):
    deltas: list[_Blob]
    not_found: list[_Id]


class _SnapshotRequestWire(_Envelope):
    reply_to: str


class _EntryWire(Borsh, BaseModel):
    key: _Blob
    value: _Blob


class _SnapshotWire(Borsh, BaseModel):
    context: _Id
    entries: list[_EntryWire]
    root_hash: _Blob | None
    heads: list[_Id]
    applied: list[_Id]
    host_state: _Blob


class _SnapshotResponseWire(_Envelope):
    snapshot: _SnapshotWire | None


class _MembersWire(_Envelope):
    members: list[_Id]
    signer: _Id
    signature: Annotated[bytes, Bytes(64)]


class _BlobAnnounceWire(_Envelope):
    blob_id: _Id
    size: Annotated[int, U64]


class _BlobRequestWire(_Envelope):
    blob_id: _Id
    index: Annotated[int, U32]
    reply_to: str


class _BlobResponseWire(_Envelope):
    blob_id: _Id
    index: Annotated[int, U32]
    found: bool
    size: Annotated[int, U64]
    hash: _Id
    links: list[_Id]
    data: _Blob


class _AppRequestWire(_Envelope):
    application: _Id
    reply_to: str


class _AppResponseWire(_Envelope):
    application: _Id
    wasm: _Blob


_MODELS: dict[Tag, type[_Envelope]] = {
    Tag.DELTA: _DeltaWire,
    Tag.HEADS: _HeadsWire,
    Tag.FETCH_REQUEST: _FetchRequestWire,
    Tag.FETCH_RESPONSE: _FetchResponseWire,
    Tag.SNAPSHOT_REQUEST: _SnapshotRequestWire,
    Tag.SNAPSHOT_RESPONSE: _SnapshotResponseWire,
    Tag.MEMBERS: _MembersWire,
    Tag.BLOB_ANNOUNCE: _BlobAnnounceWire,
    Tag.BLOB_REQUEST: _BlobRequestWire,
    Tag.BLOB_RESPONSE: _BlobResponseWire,
    Tag.APP_REQUEST: _AppRequestWire,
    Tag.APP_RESPONSE: _AppResponseWire,
}


def check_name(name: str, what: str = "node name") -> str:
    """Return ``name`` if it can appear in a topic and an envelope, else raise ``ValueError``."""
    if not name or len(name) > MAX_NAME_LEN or _NAME_FORBIDDEN & set(name):
        raise ValueError(
            f"{what} {name!r} must be 1..{MAX_NAME_LEN} characters without '/', '+', '#' or NUL"
        )
    return name


def encode(message: BusMessage) -> bytes:
    """Return the wire bytes of ``message``.

    Raises:
        ValueError: when a field does not fit the wire format (a bug of the caller).
    """
    tag, fields = _fields(message)
    check_name(message.sender)
    model = _MODELS[tag].model_construct(
        version=WIRE_VERSION, tag=tag, sender=message.sender, context=message.context, **fields
    )
    try:
        return model.to_borsh()
    except BorshError as exc:
        raise ValueError(f"{type(message).__name__} does not fit the wire format: {exc}") from exc


def decode(data: bytes) -> BusMessage:
    """Decode one envelope strictly.

    Raises:
        ParseError: saying what is wrong (version, tag, layout, sender or an embedded delta).
    """
    if len(data) < 2:
        raise ParseError(f"bus message of {len(data)} bytes is too short for an envelope")
    if data[0] != WIRE_VERSION:
        raise ParseError(f"bus message has wire version {data[0]}; this node speaks {WIRE_VERSION}")
    try:
        tag = Tag(data[1])
    except ValueError:
        raise ParseError(f"bus message has unknown tag {data[1]}") from None
    if tag is Tag.DELTA:
        return _decode_broadcast(data)
    try:
        wire = _MODELS[tag].from_borsh(data)
    except BorshError as exc:
        raise ParseError(f"bus message {tag.name} ({len(data)} bytes) is malformed: {exc}") from exc
    try:
        check_name(wire.sender, "sender")
    except ValueError as exc:
        raise ParseError(f"bus message {tag.name}: {exc}") from None
    return _message(tag, wire)


def _decode_broadcast(data: bytes) -> BusMessage:
    # The one message of every commit, read by hand (``_DeltaWire`` is its layout).
    reader = Reader(data)
    try:
        reader.take(2)
        sender = reader.text("sender")
        context = reader.take(32)
        delta = reader.blob("delta")
        reader.end()
    except ReadError as exc:
        raise ParseError(f"bus message DELTA ({len(data)} bytes) is malformed: {exc}") from None
    try:
        check_name(sender, "sender")
    except ValueError as exc:
        raise ParseError(f"bus message DELTA: {exc}") from None
    return DeltaBroadcast(sender, context, delta_codec.decode(delta))


def _fields(message: BusMessage) -> tuple[Tag, dict[str, Any]]:
    for cls, (tag, fields_of) in _ENCODERS.items():
        if isinstance(message, cls):
            return tag, fields_of(message)
    raise TypeError(f"not a bus message: {type(message).__name__}")


def _message(tag: Tag, wire: Any) -> BusMessage:
    return _DECODERS[tag](wire.sender, wire.context, wire)


_ENCODERS: dict[type, tuple[Tag, Callable[[Any], dict[str, Any]]]] = {
    DeltaBroadcast: (Tag.DELTA, lambda m: {"delta": delta_codec.encode(m.delta)}),
    HeadsAnnouncement: (Tag.HEADS, lambda m: {"heads": list(m.heads)}),
    FetchRequest: (Tag.FETCH_REQUEST, lambda m: {"ids": list(m.ids), "reply_to": m.reply_to}),
    FetchResponse: (
        Tag.FETCH_RESPONSE,
        lambda m: {
            "deltas": [delta_codec.encode(d) for d in m.deltas],
            "not_found": list(m.not_found),
        },
    ),
    SnapshotRequest: (Tag.SNAPSHOT_REQUEST, lambda m: {"reply_to": m.reply_to}),
    SnapshotResponse: (Tag.SNAPSHOT_RESPONSE, lambda m: {"snapshot": _snapshot_wire(m.snapshot)}),
    MembersUpdate: (
        Tag.MEMBERS,
        lambda m: {"members": list(m.members), "signer": m.signer, "signature": m.signature},
    ),
    BlobAnnouncement: (Tag.BLOB_ANNOUNCE, lambda m: {"blob_id": m.blob_id, "size": m.size}),
    BlobRequest: (
        Tag.BLOB_REQUEST,
        lambda m: {"blob_id": m.blob_id, "index": m.index, "reply_to": m.reply_to},
    ),
    BlobResponse: (
        Tag.BLOB_RESPONSE,
        lambda m: {
            "blob_id": m.blob_id,
            "index": m.index,
            "found": m.found,
            "size": m.size,
            "hash": m.hash,
            "links": list(m.links),
            "data": m.data,
        },
    ),
    AppRequest: (
        Tag.APP_REQUEST,
        lambda m: {"application": m.application, "reply_to": m.reply_to},
    ),
    AppResponse: (Tag.APP_RESPONSE, lambda m: {"application": m.application, "wasm": m.wasm}),
}

_DECODERS: dict[Tag, Callable[[str, bytes, Any], BusMessage]] = {
    Tag.DELTA: lambda s, c, w: DeltaBroadcast(s, c, delta_codec.decode(w.delta)),
    Tag.HEADS: lambda s, c, w: HeadsAnnouncement(s, c, tuple(w.heads)),
    Tag.FETCH_REQUEST: lambda s, c, w: FetchRequest(s, c, tuple(w.ids), w.reply_to),
    Tag.FETCH_RESPONSE: lambda s, c, w: FetchResponse(
        s, c, tuple(delta_codec.decode(b) for b in w.deltas), tuple(w.not_found)
    ),
    Tag.SNAPSHOT_REQUEST: lambda s, c, w: SnapshotRequest(s, c, w.reply_to),
    Tag.SNAPSHOT_RESPONSE: lambda s, c, w: SnapshotResponse(s, c, _snapshot(w.snapshot)),
    Tag.MEMBERS: lambda s, c, w: MembersUpdate(s, c, tuple(w.members), w.signer, w.signature),
    Tag.BLOB_ANNOUNCE: lambda s, c, w: BlobAnnouncement(s, c, w.blob_id, w.size),
    Tag.BLOB_REQUEST: lambda s, c, w: BlobRequest(s, c, w.blob_id, w.index, w.reply_to),
    Tag.BLOB_RESPONSE: lambda s, c, w: BlobResponse(
        s, c, w.blob_id, w.index, w.found, w.size, w.hash, tuple(w.links), w.data
    ),
    Tag.APP_REQUEST: lambda s, c, w: AppRequest(s, c, w.application, w.reply_to),
    Tag.APP_RESPONSE: lambda s, c, w: AppResponse(s, c, w.application, w.wasm),
}


def _snapshot_wire(snapshot: Snapshot | None) -> _SnapshotWire | None:
    if snapshot is None:
        return None
    return _SnapshotWire.model_construct(
        context=snapshot.context,
        entries=[_EntryWire.model_construct(key=k, value=v) for k, v in snapshot.entries],
        root_hash=snapshot.root_hash,
        heads=list(snapshot.heads),
        applied=list(snapshot.applied),
        host_state=snapshot.host_state,
    )


def _snapshot(wire: _SnapshotWire | None) -> Snapshot | None:
    if wire is None:
        return None
    entries = tuple((e.key, e.value) for e in wire.entries)
    return Snapshot(
        wire.context, entries, wire.root_hash, tuple(wire.heads), tuple(wire.applied),
        wire.host_state,
    )  # fmt: skip
