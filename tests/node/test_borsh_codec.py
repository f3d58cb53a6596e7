"""The hand Borsh codecs write what their pyborsh models write and refuse what they refuse."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyborsh import BorshError
from pydantic import BaseModel, ValidationError

from calimero_devnet.errors import StoreError
from calimero_devnet.node.borsh_codec import ReadError, RecordCodec
from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.model import DeltaRejectedError
from calimero_devnet.node.state import records

ids = st.binary(min_size=32, max_size=32)
blobs = st.binary(max_size=40)
hlcs = st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**128 - 1))
u64s = st.integers(0, 2**64 - 1)

CONTEXTS = st.builds(
    records.ContextRecord,
    id=ids, application_id=ids, root_hash=st.none() | ids, heads=st.lists(ids, max_size=3),
    members=st.lists(ids, max_size=3), initialized=st.booleans(), delta_count=u64s,
)  # fmt: skip
LAYOUT_RECORDS = st.one_of(
    st.builds(lay.LwwRecord, hlc=hlcs, value=st.none() | blobs),
    st.builds(lay.SetRecord, live=st.lists(hlcs, max_size=3), removed=st.lists(hlcs, max_size=3)),
    st.builds(lay.VectorRecord, value=st.none() | blobs),
    st.builds(lay.RootRecord, hlc=hlcs, doc=blobs, created_at=u64s, updated_at=u64s),
)
ACTIONS = st.one_of(
    st.builds(act.Create, id=ids, kind=st.integers(0, 6)),
    st.builds(act.MapSet, id=ids, key=blobs, hlc=hlcs, value=st.none() | blobs),
    st.builds(act.SetAdd, id=ids, elem=blobs, tag=hlcs, retire=st.lists(hlcs, max_size=2)),
    st.builds(act.SetRemove, id=ids, elem=blobs, tags=st.lists(hlcs, max_size=2)),
    st.builds(act.VectorPush, id=ids, elem=hlcs, value=blobs),
    st.builds(act.VectorPop, id=ids, elem=hlcs),
    st.builds(act.LwwSet, id=ids, hlc=hlcs, value=st.none() | blobs),
    st.builds(act.CounterSet, id=ids, executor=ids, count=u64s),
    st.builds(act.UserSet, id=ids, user=ids, hlc=hlcs, value=st.none() | blobs),
    st.builds(act.FrozenAdd, id=ids, value=blobs),
    st.builds(act.RootSet, hlc=hlcs, doc=blobs, created_at=u64s, updated_at=u64s),
)
CODEC_OF: dict[type, RecordCodec[Any]] = {
    lay.LwwRecord: lay.LWW, lay.SetRecord: lay.SET, lay.VectorRecord: lay.VECTOR,
    lay.RootRecord: lay.ROOT, records.ContextRecord: records._CONTEXT,
}  # fmt: skip
EDITS = st.tuples(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3),
    st.integers(-3, 3),
)


def edited(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    """``data`` with a few bytes replaced, then cut short or extended by ``cut`` bytes."""
    wire = bytearray(data)
    for at, value in edits:
        if wire:
            wire[at % len(wire)] = value
    return bytes(wire[:cut]) if cut < 0 else bytes(wire) + b"\x00" * cut


def reference(model: type[BaseModel], data: bytes) -> Any:
    """pyborsh's reading of ``data`` (None: refused)."""
    try:
        return model.from_borsh(data)  # type: ignore[attr-defined]
    except (BorshError, ValidationError):
        return None


@settings(max_examples=200, deadline=None)
@given(st.one_of(CONTEXTS, LAYOUT_RECORDS), EDITS)
def test_a_record_codec_agrees_with_pyborsh(record: Any, edits: tuple[Any, int]) -> None:
    codec = CODEC_OF[type(record)]
    wire = record.to_borsh()
    assert codec.encode(record) == wire
    assert codec.decode(wire) == record
    data = edited(wire, *edits)
    expected = reference(type(record), data)
    if expected is None:
        with pytest.raises(ReadError):
            codec.decode(data)
    else:
        assert codec.decode(data) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(ACTIONS, max_size=4), EDITS)
def test_the_action_batch_codec_agrees_with_pyborsh(
    actions: list[act.AnyAction], edits: tuple[Any, int]
) -> None:
    wire = act.ActionBatch(actions=actions).to_borsh()
    assert act.encode_actions(actions) == wire
    assert act.decode_actions(wire) == actions
    data = edited(wire, *edits)
    expected = reference(act.ActionBatch, data)
    if expected is None or expected.version != act.BATCH_VERSION:
        with pytest.raises(DeltaRejectedError):
            act.decode_actions(data)
    elif any(isinstance(a, act.Create) and a.kind > 6 for a in expected.actions):
        with pytest.raises(DeltaRejectedError, match="unknown kind"):
            act.decode_actions(data)
    else:
        assert act.decode_actions(data) == expected.actions


def test_a_decoded_record_is_the_model_type_with_its_field_types() -> None:
    record = lay.LWW.decode(lay.LwwRecord(hlc=(5, 2**100), value=b"v").to_borsh())
    assert type(record) is lay.LwwRecord
    assert record.hlc == (5, 2**100)
    assert isinstance(record.hlc, tuple)
    assert record.model_dump() == {"hlc": (5, 2**100), "value": b"v"}


def test_a_bool_other_than_0_or_1_is_refused() -> None:
    wire = bytearray(records.ContextRecord(
        id=bytes(32), application_id=bytes(32), root_hash=None, heads=[], members=[],
        initialized=True, delta_count=0,
    ).to_borsh())  # fmt: skip
    wire[-9] = 2
    with pytest.raises(StoreError, match="bool"):
        records.decode_context(bytes(wire))


def test_encoding_a_field_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        act.encode_actions([act.Create.model_construct(id=b"short", kind=1)])
    with pytest.raises(ValueError, match="Borsh layout"):
        lay.LWW.encode(lay.LwwRecord.model_construct(hlc=(2**64, 0), value=None))
