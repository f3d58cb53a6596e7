"""Causal deltas: canonical Borsh wire format, content address, signature, strict decoding."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyborsh import BorshError

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import sha256
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state import delta as delta_module
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import (
    CausalDelta,
    DeltaKind,
    compute_id,
    create_delta,
    decode,
    encode,
    verify,
)
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.identity import verify as verify_signature

AUTHOR = NodeIdentity(b"\x01" * 32)
CTX = b"\xcc" * 32
PARENT = b"\xaa" * 32


def sample(**changes: object) -> CausalDelta:
    fields: dict[str, object] = {
        "context_id": CTX,
        "parents": [PARENT],
        "hlc": Hlc(1_700_000_000_000_000_005, 42),
        "payload": b"\x00\x01\x00\x00\x00xyz",
        "events": [Event("ItemSet", b'{"k":1}'), Event("Done", b"null", "on_done")],
        "max_time_now": 1_700_000_000_000_000_001,
    }
    fields.update(changes)
    return create_delta(AUTHOR, **fields)  # type: ignore[arg-type]


def test_the_wire_layout_is_id_then_borsh_body_then_signature() -> None:
    delta = sample(events=[], parents=[], payload=b"P", max_time_now=7, hlc=Hlc(3, 2**100))
    wire = encode(delta)
    expected_body = (
        CTX
        + AUTHOR.public_key
        + struct.pack("<I", 0)  # parents: empty Vec
        + struct.pack("<Q", 3)
        + (2**100).to_bytes(16, "little")  # hlc: u64 time, u128 node
        + b"\x00"  # kind: wasm-artifact
        + struct.pack("<I", 1)
        + b"P"  # payload: Vec<u8>
        + struct.pack("<I", 0)  # events: empty Vec
        + struct.pack("<Q", 7)  # max_time_now
    )
    assert wire == delta.id + expected_body + delta.signature
    assert delta.id == sha256(expected_body)


def test_round_trip_keeps_every_field() -> None:
    delta = sample(kind=DeltaKind.HOST_ACTIONS)
    assert decode(encode(delta)) == delta
    assert decode(encode(delta)).kind.label == "host-actions"
    assert DeltaKind.WASM_ARTIFACT.label == "wasm-artifact"


def test_event_encoding_has_an_optional_handler() -> None:
    tail = encode(sample(events=[Event("K", b"d", "h")], max_time_now=0))[32:-64]
    event = struct.pack("<I", 1) + b"K" + struct.pack("<I", 1) + b"d" + b"\x01"
    assert tail.endswith(struct.pack("<I", 1) + event + struct.pack("<I", 1) + b"h" + bytes(8))


def test_the_id_covers_every_field() -> None:
    base = sample()
    variants = [
        dataclasses.replace(base, context_id=b"\x00" * 32),
        dataclasses.replace(base, author=b"\x00" * 32),
        dataclasses.replace(base, parents=()),
        dataclasses.replace(base, hlc=Hlc(base.hlc.time + 1, base.hlc.node)),
        dataclasses.replace(base, kind=DeltaKind.HOST_ACTIONS),
        dataclasses.replace(base, payload=b""),
        dataclasses.replace(base, events=()),
        dataclasses.replace(base, max_time_now=0),
    ]
    ids = {compute_id(v) for v in variants}
    assert base.id not in ids
    assert len(ids) == len(variants)


def test_the_author_signs_the_id() -> None:
    delta = sample()
    assert delta.author == AUTHOR.public_key
    assert verify_signature(AUTHOR.public_key, delta.signature, delta.id)
    verify(delta, [AUTHOR.public_key])


def test_verify_rejects_a_tampered_payload() -> None:
    forged = dataclasses.replace(sample(), payload=b"evil")
    with pytest.raises(ParseError, match="id does not match"):
        verify(forged, [AUTHOR.public_key])


def test_a_received_delta_is_checked_and_stored_from_its_own_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wire = encode(sample())
    received = decode(wire)

    def no_reencoding(_: CausalDelta) -> None:
        raise AssertionError("re-encoded a delta whose bytes it holds")

    monkeypatch.setattr(delta_module, "_body_model", no_reencoding)
    verify(received, [AUTHOR.public_key])
    assert compute_id(received) == received.id
    assert encode(received) == wire


def test_a_changed_copy_of_a_received_delta_is_hashed_afresh() -> None:
    received = decode(encode(sample()))
    forged = dataclasses.replace(received, payload=b"evil")
    assert forged.wire == b""
    with pytest.raises(ParseError, match="id does not match"):
        verify(forged, [AUTHOR.public_key])
    assert decode(encode(forged)).payload == b"evil"


def test_a_tampered_byte_in_received_wire_is_refused() -> None:
    wire = bytearray(encode(sample()))
    wire[-64 - 9] ^= 0x01  # a byte of max_time_now, inside the hashed body
    with pytest.raises(ParseError, match="id does not match"):
        verify(decode(bytes(wire)), [AUTHOR.public_key])


def test_verify_rejects_a_non_member_author() -> None:
    with pytest.raises(ParseError, match="not a context member"):
        verify(sample(), [b"\x02" * 32])


def test_verify_rejects_a_signature_by_someone_else() -> None:
    other = NodeIdentity(b"\x02" * 32)
    forged = dataclasses.replace(sample(), signature=other.sign(sample().id))
    with pytest.raises(ParseError, match="bad signature"):
        verify(forged, [AUTHOR.public_key])


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda w: w + b"\x00", "trailing"),
        (lambda w: w[:-1], "end of data"),
        (lambda w: b"", "end of data"),
        (lambda w: b"not a delta at all", "end of data"),
    ],
)
def test_decode_is_strict(mutate: object, reason: str) -> None:
    wire = encode(sample())
    with pytest.raises(ParseError, match=reason):
        decode(mutate(wire))  # type: ignore[operator]


def _with_byte(wire: bytes, offset: int, value: int) -> bytes:
    return wire[:offset] + bytes([value]) + wire[offset + 1 :]


def test_decode_rejects_an_unknown_kind_tag() -> None:
    delta = sample(parents=[])
    wire = encode(delta)
    kind_at = 32 + 32 + 32 + 4 + 8 + 16
    assert wire[kind_at] == 0
    with pytest.raises(ParseError, match="discriminant"):
        decode(_with_byte(wire, kind_at, 7))


def test_decode_rejects_an_invalid_option_tag() -> None:
    wire = encode(sample(events=[Event("K", b"d", None)], max_time_now=0))
    option_at = len(wire) - 64 - 8 - 1
    assert wire[option_at] == 0
    with pytest.raises(ParseError, match="Option"):
        decode(_with_byte(wire, option_at, 2))


def test_decode_rejects_invalid_utf8_in_an_event_kind() -> None:
    wire = encode(sample(events=[Event("K", b"", None)], max_time_now=0))
    kind_at = len(wire) - 64 - 8 - 1 - 4 - 1
    assert wire[kind_at : kind_at + 1] == b"K"
    with pytest.raises(ParseError, match="UTF-8"):
        decode(_with_byte(wire, kind_at, 0xFF))


def test_decode_rejects_a_vec_length_beyond_the_data() -> None:
    wire = encode(sample(parents=[]))
    parents_at = 32 + 32 + 32
    huge = wire[:parents_at] + struct.pack("<I", 2**31) + wire[parents_at + 4 :]
    with pytest.raises(ParseError, match="exceeds"):
        decode(huge)


def test_encode_refuses_fields_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="wire format"):
        encode(dataclasses.replace(sample(), context_id=b"short"))
    with pytest.raises(ValueError, match="wire format"):
        encode(dataclasses.replace(sample(), max_time_now=2**64))


blobs = st.binary(min_size=32, max_size=32)


@settings(max_examples=50, deadline=None)
@given(
    parents=st.lists(blobs, max_size=4),
    payload=st.binary(max_size=200),
    events=st.lists(
        st.builds(Event, st.text(max_size=20), st.binary(max_size=40), st.none() | st.text()),
        max_size=3,
    ),
    time=st.integers(0, 2**64 - 1),
    node=st.integers(0, 2**128 - 1),
)
def test_any_delta_round_trips_and_verifies(
    parents: list[bytes], payload: bytes, events: list[Event], time: int, node: int
) -> None:
    delta = sample(parents=parents, payload=payload, events=events, hlc=Hlc(time, node))
    again = decode(encode(delta))
    assert again == delta
    verify(again, [AUTHOR.public_key])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.binary(min_size=205, max_size=260).map(lambda b: bytes(len(b))))
def test_decoding_is_canonical_or_a_parse_error(data: bytes) -> None:
    # Strictness means a byte string decodes to at most one delta, which re-encodes to it.
    try:
        delta = decode(data)
    except ParseError:
        return
    assert encode(delta) == data


def _reference_decode(data: bytes) -> CausalDelta | None:
    """The pyborsh model's reading of ``data`` (None: refused), for comparison."""
    try:
        wire = delta_module._DeltaWire.from_borsh(data)
    except BorshError:
        return None
    body = wire.body
    return CausalDelta(
        wire.id, body.context_id, body.author, tuple(body.parents),
        Hlc(body.hlc.time, body.hlc.node), body.kind, body.payload,
        tuple(Event(e.kind, e.data, e.handler) for e in body.events), body.max_time_now,
        wire.signature,
    )  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    st.integers(-3, 3),
)
def test_the_hand_reader_refuses_and_accepts_what_pyborsh_does(
    edits: list[tuple[int, int]], cut: int
) -> None:
    wire = bytearray(encode(sample(events=[Event("K", b"d", None), Event("é", b"", "h")])))
    for at, value in edits:
        wire[at % len(wire)] = value
    data = bytes(wire[:cut]) if cut < 0 else bytes(wire) + b"\x00" * cut
    expected = _reference_decode(data)
    if expected is None:
        with pytest.raises(ParseError):
            decode(data)
    else:
        assert decode(data) == expected
