"""Provides the replicated actions of host collections and their strict Borsh encoding.

A ``host-actions`` delta payload is ``ActionBatch`` in Borsh::

    u8 version (= 1) ‖ u32 count ‖ count times (u8 variant tag ‖ fields)

Variant tags follow the declaration order of :class:`Action` (``Create`` = 0 …
``RootSet`` = 10). ``[32]`` fields are fixed arrays, ``bytes`` are ``u32 len ‖ bytes``,
``Hlc`` is ``(u64 time, u128 node)`` and ``Option`` is a ``0``/``1`` byte. Every action is
a value: applying it twice, or in any order relative to the others, changes nothing more.
The pyborsh models define the format; batches are read and written with the equivalent
hand codec (``node/borsh_codec.py``), which costs a fraction of pyborsh's per record.
"""

from __future__ import annotations

import struct
from typing import Annotated, Any, Literal

from pyborsh import U8, U64, U128, Borsh, BorshEnum, Bytes
from pydantic import BaseModel, ConfigDict

from calimero_devnet.node.borsh_codec import Reader, ReadError, RecordCodec
from calimero_devnet.node.collections.model import CollectionKind, DeltaRejectedError, Hlc

BATCH_VERSION = 1

HlcWire = tuple[Annotated[int, U64], Annotated[int, U128]]
Id32 = Annotated[bytes, Bytes(32)]
_FROZEN = ConfigDict(frozen=True, strict=True)


class Action(BorshEnum):
    """Every mutation a host collection replicates; one Borsh enum."""

    class Create(Borsh, BaseModel):
        """A collection ``id`` of ``kind`` exists (travels before the actions using it)."""

        model_config = _FROZEN
        variant: Literal["Create"] = "Create"
        id: Id32
        kind: Annotated[int, U8]

    class MapSet(Borsh, BaseModel):
        """Map entry ``key`` becomes ``value`` at ``hlc``; ``None`` is a tombstone."""

        model_config = _FROZEN
        variant: Literal["MapSet"] = "MapSet"
        id: Id32
        key: bytes
        hlc: HlcWire
        value: bytes | None

    class SetAdd(Borsh, BaseModel):
        """Set element ``elem`` gains the unique ``tag``; the observed ``retire`` tags die."""

        model_config = _FROZEN
        variant: Literal["SetAdd"] = "SetAdd"
        id: Id32
        elem: bytes
        tag: HlcWire
        retire: list[HlcWire]

    class SetRemove(Borsh, BaseModel):
        """Set element ``elem`` loses the ``tags`` its remover observed."""

        model_config = _FROZEN
        variant: Literal["SetRemove"] = "SetRemove"
        id: Id32
        elem: bytes
        tags: list[HlcWire]

    class VectorPush(Borsh, BaseModel):
        """Vector element ``elem`` (its push stamp, which orders it) holds ``value``."""

        model_config = _FROZEN
        variant: Literal["VectorPush"] = "VectorPush"
        id: Id32
        elem: HlcWire
        value: bytes

    class VectorPop(Borsh, BaseModel):
        """Vector element ``elem`` is removed (a tombstone; pop of the last visible one)."""

        model_config = _FROZEN
        variant: Literal["VectorPop"] = "VectorPop"
        id: Id32
        elem: HlcWire

    class LwwSet(Borsh, BaseModel):
        """The LWW register holds ``value`` from ``hlc`` on; ``None`` means empty."""

        model_config = _FROZEN
        variant: Literal["LwwSet"] = "LwwSet"
        id: Id32
        hlc: HlcWire
        value: bytes | None

    class CounterSet(Borsh, BaseModel):
        """``executor`` has incremented the counter ``count`` times in total."""

        model_config = _FROZEN
        variant: Literal["CounterSet"] = "CounterSet"
        id: Id32
        executor: Id32
        count: Annotated[int, U64]

    class UserSet(Borsh, BaseModel):
        """``user``'s slot holds ``value`` from ``hlc`` on; only ``user`` may author it."""

        model_config = _FROZEN
        variant: Literal["UserSet"] = "UserSet"
        id: Id32
        user: Id32
        hlc: HlcWire
        value: bytes | None

    class FrozenAdd(Borsh, BaseModel):
        """``value`` is stored under ``frozen_key(value)`` (computed by every receiver)."""

        model_config = _FROZEN
        variant: Literal["FrozenAdd"] = "FrozenAdd"
        id: Id32
        value: bytes

    class RootSet(Borsh, BaseModel):
        """The root document becomes ``doc`` (with its app timestamps) at ``hlc``."""

        model_config = _FROZEN
        variant: Literal["RootSet"] = "RootSet"
        hlc: HlcWire
        doc: bytes
        created_at: Annotated[int, U64]
        updated_at: Annotated[int, U64]


Create = Action.Create
MapSet = Action.MapSet
SetAdd = Action.SetAdd
SetRemove = Action.SetRemove
VectorPush = Action.VectorPush
VectorPop = Action.VectorPop
LwwSet = Action.LwwSet
CounterSet = Action.CounterSet
UserSet = Action.UserSet
FrozenAdd = Action.FrozenAdd
RootSet = Action.RootSet

AnyAction = (
    Create
    | MapSet
    | SetAdd
    | SetRemove
    | VectorPush
    | VectorPop
    | LwwSet
    | CounterSet
    | UserSet
    | FrozenAdd
    | RootSet
)


class ActionBatch(Borsh, BaseModel):
    """The payload of one ``host-actions`` delta."""

    model_config = _FROZEN
    version: Annotated[int, U8] = BATCH_VERSION
    actions: list[AnyAction]


# Each variant's Borsh fields, in the order of its tag; ``node/borsh_codec.py`` kinds.
_VARIANTS: tuple[tuple[type[AnyAction], tuple[tuple[str, str], ...]], ...] = (
    (Create, (("id", "id"), ("kind", "u8"))),
    (MapSet, (("id", "id"), ("key", "bytes"), ("hlc", "hlc"), ("value", "opt_bytes"))),
    (SetAdd, (("id", "id"), ("elem", "bytes"), ("tag", "hlc"), ("retire", "hlcs"))),
    (SetRemove, (("id", "id"), ("elem", "bytes"), ("tags", "hlcs"))),
    (VectorPush, (("id", "id"), ("elem", "hlc"), ("value", "bytes"))),
    (VectorPop, (("id", "id"), ("elem", "hlc"))),
    (LwwSet, (("id", "id"), ("hlc", "hlc"), ("value", "opt_bytes"))),
    (CounterSet, (("id", "id"), ("executor", "id"), ("count", "u64"))),
    (UserSet, (("id", "id"), ("user", "id"), ("hlc", "hlc"), ("value", "opt_bytes"))),
    (FrozenAdd, (("id", "id"), ("value", "bytes"))),
    (RootSet, (("hlc", "hlc"), ("doc", "bytes"), ("created_at", "u64"), ("updated_at", "u64"))),
)
_CODECS: tuple[RecordCodec[Any], ...] = tuple(RecordCodec(m, f) for m, f in _VARIANTS)
_TAG_AND_CODEC = {codec.model: (bytes((tag,)), codec) for tag, codec in enumerate(_CODECS)}
_COUNT = struct.Struct("<I")


def encode_actions(actions: list[AnyAction]) -> bytes:
    """Return the Borsh bytes of ``actions`` as one batch (what ``ActionBatch`` encodes)."""
    parts = [bytes((BATCH_VERSION,)), _COUNT.pack(len(actions))]
    for action in actions:
        tag, codec = _TAG_AND_CODEC[type(action)]
        parts += (tag, codec.encode(action))
    return b"".join(parts)


def decode_actions(data: bytes) -> list[AnyAction]:
    """Decode a batch strictly (no trailing bytes, valid tags and kinds) or raise."""
    r = Reader(data)
    try:
        version = r.u8()
        count = r.count(1, "actions")
        actions: list[AnyAction] = [
            _CODECS[r.tag(len(_CODECS), "action variant")].read(r) for _ in range(count)
        ]
        r.end()
    except ReadError as exc:
        raise DeltaRejectedError(f"host-actions delta does not decode: {exc}") from exc
    if version != BATCH_VERSION:
        raise DeltaRejectedError(
            f"host-actions delta has version {version}; this node reads {BATCH_VERSION}"
        )
    for action in actions:
        if isinstance(action, Create) and action.kind not in CollectionKind._value2member_map_:
            raise DeltaRejectedError(f"host-actions delta creates unknown kind {action.kind}")
    return actions


def decode_prefix(data: bytes, limit: int) -> tuple[list[AnyAction], int]:
    """Decode only the first ``limit`` actions of a batch; return them and the batch's count.

    Describing a delta needs a few of its actions, and a batch may hold 100,000 (pyborsh
    takes ~13 µs a record): the rest is skipped by length, not decoded nor checked.

    Raises:
        DeltaRejectedError: the batch (or the decoded part of it) does not decode.
    """
    if len(data) < 5 or data[0] != BATCH_VERSION:
        return decode_actions(data), 0  # decode_actions says what is wrong
    count = struct.unpack_from("<I", data, 1)[0]
    if limit >= count:
        return decode_actions(data), count
    end = 5
    for _ in range(max(limit, 0)):
        end = _skip_action(data, end)
    head = data[:1] + struct.pack("<I", max(limit, 0)) + data[5:end]
    return decode_actions(head), count


# The field kinds of each variant, by tag, to find where an action ends without decoding
# it; tests/unit/test_collections_describe.py checks them against every variant's encoding.
_FIELDS = tuple(tuple(kind for _, kind in fields) for _, fields in _VARIANTS)
_FIXED = {"id": 32, "u8": 1, "u64": 8, "hlc": 24}
_OPTION = "opt_bytes"


def _skip_action(data: bytes, pos: int) -> int:
    """Return the offset just past the action at ``pos``."""
    if pos >= len(data) or data[pos] >= len(_FIELDS):
        raise DeltaRejectedError(f"host-actions delta has no valid action at byte {pos}")
    pos += 1
    for field in _FIELDS[data[pos - 1]]:
        pos = _skip_field(data, pos, field)
    return pos


def _skip_field(data: bytes, pos: int, field: str) -> int:
    if field in _FIXED:
        end = pos + _FIXED[field]
    elif field == _OPTION and pos < len(data) and data[pos] == 0:
        end = pos + 1
    else:
        if field == _OPTION:  # Some: a flag of 1, then the bytes
            if pos >= len(data) or data[pos] != 1:
                raise DeltaRejectedError(f"host-actions delta has a bad option at byte {pos}")
            pos += 1
        if pos + 4 > len(data):
            raise DeltaRejectedError(f"host-actions delta ends inside an action at byte {pos}")
        size = struct.unpack_from("<I", data, pos)[0]
        end = pos + 4 + size * (24 if field == "hlcs" else 1)
    if end > len(data):
        raise DeltaRejectedError(f"host-actions delta ends inside an action at byte {pos}")
    return end


def max_stamp(actions: list[AnyAction]) -> Hlc | None:
    """Return the largest HLC carried by ``actions`` (a receiver advances its clock past it)."""
    stamps = [Hlc(*s) for a in actions if (s := _stamp_of(a)) is not None]
    return max(stamps, default=None)


def _stamp_of(action: AnyAction) -> tuple[int, int] | None:
    if isinstance(action, MapSet | LwwSet | UserSet | RootSet):
        return action.hlc
    if isinstance(action, SetAdd):
        return action.tag
    if isinstance(action, VectorPush | VectorPop):
        return action.elem
    return None
