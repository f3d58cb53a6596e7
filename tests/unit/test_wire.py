"""The bus wire codec: exact round trips, strict decoding, and garbage that never crashes."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyborsh import BorshError

from calimero_devnet.errors import ParseError
from calimero_devnet.node.bus import wire
from calimero_devnet.node.bus.transport import BusMessage
from calimero_devnet.node.state import delta as delta_codec
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import DeltaBroadcast, HeadsAnnouncement, SnapshotResponse
from tests.unit.bus_samples import CTX, every_message

MESSAGES = every_message()
ENCODED = [wire.encode(m) for m in MESSAGES]
MEMBERS = next(m for m in MESSAGES if isinstance(m, MembersUpdate))


def names(messages: list[BusMessage]) -> list[str]:
    return [type(m).__name__ for m in messages]


@pytest.mark.parametrize("message", MESSAGES, ids=names(MESSAGES))
def test_every_message_round_trips(message: BusMessage) -> None:
    assert wire.decode(wire.encode(message)) == message


def test_envelope_starts_with_version_tag_and_sender() -> None:
    data = wire.encode(HeadsAnnouncement("node-1", CTX, ()))
    sender = b"\x06\x00\x00\x00node-1"
    assert data == bytes([wire.WIRE_VERSION, wire.Tag.HEADS]) + sender + CTX + bytes(4)


@pytest.mark.parametrize("data", ENCODED, ids=names(MESSAGES))
def test_trailing_bytes_and_truncation_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError, match="malformed"):
        wire.decode(data + b"\x00")
    for end in range(len(data)):
        with pytest.raises(ParseError):
            wire.decode(data[:end])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (b"\x02\x01", "wire version 2"),
        (b"\x01\x63", "unknown tag 99"),
        (b"\x01\x01\x03\x00\x00\x00a/b" + CTX + bytes(4), "sender 'a/b'"),
        (b"\x01\x01\x00\x00\x00\x00" + CTX + bytes(4), "sender ''"),
        (b"\x01\x01\x02\x00\x00\x00\xff\xfe" + CTX + bytes(4), "malformed"),
    ],
)
def test_bad_envelopes_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        wire.decode(data)


def test_invalid_option_tag_is_refused() -> None:
    data = wire.encode(SnapshotResponse("n", CTX, None))
    assert data[-1] == 0
    with pytest.raises(ParseError):
        wire.decode(data[:-1] + b"\x02")


def test_a_corrupt_embedded_delta_is_a_parse_error() -> None:
    broadcast = MESSAGES[0]
    assert isinstance(broadcast, DeltaBroadcast)
    data = bytearray(wire.encode(broadcast))
    # The delta's kind byte: after id, context, author (3 x 32), one parent (4 + 32), hlc (24).
    kind_at = data.index(delta_codec.encode(broadcast.delta)) + 3 * 32 + 36 + 24
    assert data[kind_at] == broadcast.delta.kind
    data[kind_at] = 9
    with pytest.raises(ParseError, match="not a valid Borsh delta"):
        wire.decode(bytes(data))


def test_encoding_refuses_shapes_the_wire_cannot_hold() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        wire.encode(HeadsAnnouncement("n", b"short", ()))
    with pytest.raises(ValueError, match="does not fit"):
        wire.encode(dataclasses.replace(MEMBERS, signature=b"\x00"))
    with pytest.raises(ValueError, match="node name"):
        wire.encode(HeadsAnnouncement("a/b", CTX, ()))
    with pytest.raises(TypeError, match="not a bus message"):
        wire.encode(object())  # type: ignore[arg-type]


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        wire.decode(data)


@settings(max_examples=400)
@given(st.sampled_from(list(wire.Tag)), st.binary(max_size=300))
def test_random_bodies_behind_a_valid_header_raise_only_parse_error(
    tag: wire.Tag, body: bytes
) -> None:
    with contextlib.suppress(ParseError):
        wire.decode(bytes([wire.WIRE_VERSION, tag]) + body)


@settings(max_examples=400)
@given(st.sampled_from(ENCODED), st.data())
def test_mutated_messages_decode_or_raise_parse_error(data: bytes, draw: st.DataObject) -> None:
    position = draw.draw(st.integers(0, len(data) - 1))
    mutated = bytearray(data)
    mutated[position] = draw.draw(st.integers(0, 255))
    with contextlib.suppress(ParseError):
        wire.decode(bytes(mutated))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 255)), max_size=3),
    st.integers(-3, 3),
)
def test_a_delta_envelope_is_read_as_the_pyborsh_model_reads_it(
    edits: list[tuple[int, int]], cut: int
) -> None:
    assert isinstance(MESSAGES[0], DeltaBroadcast)
    data = bytearray(ENCODED[0])  # edits land in the envelope's head and the delta's start
    for at, value in edits:
        data[2 + at % 48] = value  # never the version and tag: those are checked first
    sample = bytes(data[:cut]) if cut < 0 else bytes(data) + b"\x00" * cut
    try:
        model = wire._DeltaWire.from_borsh(sample)
        wire.check_name(model.sender, "sender")
        expected: BusMessage | None = DeltaBroadcast(
            model.sender, model.context, delta_codec.decode(model.delta)
        )
    except (BorshError, ValueError, ParseError):  # a bad name, a bad embedded delta
        expected = None
    if expected is None:
        with pytest.raises(ParseError):
            wire.decode(sample)
    else:
        assert wire.decode(sample) == expected
