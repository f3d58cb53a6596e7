"""The open invitation: upstream's JSON shape, signed by the inviter, and an expiry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.open_invitation import read_open_invitation, sign_open_invitation

INVITER = NodeIdentity(b"\x11" * 32)


def sample(valid_for_s: int = 60) -> dict[str, Any]:
    invitation = sign_open_invitation(
        INVITER, context=b"\xc1" * 32, application=b"\xa1" * 32, node="node-1",
        valid_for_s=valid_for_s,
    )  # fmt: skip
    return invitation.to_json()


def test_the_json_round_trips_through_text_and_names_its_parts() -> None:
    shown = json.loads(json.dumps(sample()))
    assert shown["invitation"]["inviter_identity"] == to_b58(INVITER.public_key)
    opened = read_open_invitation(shown)
    assert (opened.context, opened.inviter_node) == (b"\xc1" * 32, "node-1")
    assert opened.application == b"\xa1" * 32


@pytest.mark.parametrize(
    ("field", "value"),
    [("context_id", to_b58(b"\xc2" * 32)), ("expiration_timestamp", 2**40),
     ("secret_salt", "00" * 32), ("inviter_identity", to_b58(b"\x05" * 32))],
)  # fmt: skip
def test_a_changed_signed_field_breaks_the_signature(field: str, value: Any) -> None:
    shown = sample()
    shown["invitation"][field] = value
    with pytest.raises(ParseError, match="signature does not hold"):
        read_open_invitation(shown)


def test_the_unsigned_hints_may_differ_but_must_be_well_formed() -> None:
    shown = {**sample(), "inviter_node": "node-9"}
    assert read_open_invitation(shown).inviter_node == "node-9"
    with pytest.raises(ParseError, match="application_id"):
        read_open_invitation({**shown, "application_id": 7})


def test_an_expired_invitation_is_refused() -> None:
    shown = sample(valid_for_s=10)
    expires = shown["invitation"]["expiration_timestamp"]
    assert read_open_invitation(shown, now_s=expires).context == b"\xc1" * 32
    with pytest.raises(ParseError, match="expired"):
        read_open_invitation(shown, now_s=expires + 1)


@pytest.mark.parametrize("value", [None, "text", [], {"invitation": 3}, {"invitation": {}}])
def test_malformed_invitations_are_parse_errors(value: Any) -> None:
    with pytest.raises(ParseError):
        read_open_invitation(value)
