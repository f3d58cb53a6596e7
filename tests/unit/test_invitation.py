"""The invitation payload: signed by the inviter, read strictly, refused when altered."""

from __future__ import annotations

import dataclasses
from typing import Any

import base58
import pytest

from calimero_devnet.errors import ParseError
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.invitation import (
    MAX_PAYLOAD,
    Invitation,
    decode_invitation,
    sign_invitation,
)

INVITER = NodeIdentity(b"\x11" * 32)
INVITEE = NodeIdentity(b"\x22" * 32).public_key


def sample() -> Invitation:
    return sign_invitation(
        INVITER, context=b"\xc1" * 32, application=b"\xa1" * 32, invitee=INVITEE, node="node-1"
    )


def test_a_payload_round_trips_and_its_signature_holds() -> None:
    invitation = sample()
    assert decode_invitation(invitation.encode()) == invitation
    assert invitation.has_valid_signature()


@pytest.mark.parametrize("field", ["context", "application", "inviter", "invitee", "inviter_node"])
def test_changing_any_field_breaks_the_signature(field: str) -> None:
    invitation = sample()
    value: Any = "node-2" if field == "inviter_node" else b"\x33" * 32
    changed = dataclasses.replace(invitation, **{field: value})
    with pytest.raises(ParseError, match="does not hold"):
        decode_invitation(changed.encode())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (None, "must be the string"),
        (7, "must be the string"),
        ("", "must be the string"),
        ("1" * (MAX_PAYLOAD + 1), "must be the string"),
        ("0OIl", "is not an invitation"),
        (base58.b58encode(b"\x01\x02").decode(), "is not an invitation"),
        (sample().encode() + "2", "is not an invitation"),  # a trailing byte
    ],
)
def test_malformed_payloads_are_parse_errors(payload: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        decode_invitation(payload)


def test_bytes_of_another_signed_kind_are_not_an_invitation() -> None:
    raw = bytearray(base58.b58decode(sample().encode()))
    raw[4:33] = b"calimero-devnet/members/v1   "  # the domain string: same length, other kind
    with pytest.raises(ParseError, match="not an invitation"):
        decode_invitation(base58.b58encode(bytes(raw)).decode())
