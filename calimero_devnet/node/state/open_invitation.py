"""Provides the open invitation: one any holder of it may use to join, as a key of its own.

Upstream's ``SignedOpenInvitation`` as JSON: the signed part (who invites, into which
context, until when, a random salt), the inviter's Ed25519 signature in hex, and unsigned
hints the joiner uses to get the app (the application id, the inviter's node)::

    {"invitation": {"inviter_identity", "context_id", "expiration_timestamp",
                    "secret_salt"},
     "inviter_signature": "<hex>", "application_id": "<b58>", "inviter_node": "<name>"}

Signed bytes (Borsh): domain ``"calimero-devnet/open-invitation/v1"``, context, inviter,
``expiration_timestamp`` (u64 unix seconds), ``secret_salt`` ([u8; 32]). The hints are not
signed: a joiner checks the app's bytes against its id, and the snapshot names the app.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Annotated, Any

from pyborsh import U64, Borsh, Bytes
from pydantic import BaseModel

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.state.identity import NodeIdentity, verify

DOMAIN = "calimero-devnet/open-invitation/v1"

_Key32 = Annotated[bytes, Bytes(32)]


class _Signed(Borsh, BaseModel):
    domain: str
    context: _Key32
    inviter: _Key32
    expires_at: Annotated[int, U64]
    salt: _Key32


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    """A signed open invitation into ``context`` and the hints that come with it."""

    context: bytes
    inviter: bytes
    expires_at: int  # unix seconds
    salt: bytes
    signature: bytes
    application: bytes
    inviter_node: str

    def signed_bytes(self) -> bytes:
        """The canonical bytes the inviter signs."""
        return _signed(self.context, self.inviter, self.expires_at, self.salt)

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``POST …/invite_by_open_invitation`` answers."""
        return {
            "invitation": {
                "inviter_identity": to_b58(self.inviter),
                "context_id": to_b58(self.context),
                "expiration_timestamp": self.expires_at,
                "secret_salt": self.salt.hex(),
            },
            "inviter_signature": self.signature.hex(),
            "application_id": to_b58(self.application),
            "inviter_node": self.inviter_node,
        }


def _signed(context: bytes, inviter: bytes, expires_at: int, salt: bytes) -> bytes:
    return _Signed.model_construct(
        domain=DOMAIN, context=context, inviter=inviter, expires_at=expires_at, salt=salt
    ).to_borsh()


def sign_open_invitation(
    inviter: NodeIdentity, *, context: bytes, application: bytes, node: str, valid_for_s: int
) -> OpenInvitation:
    """Build an open invitation valid for ``valid_for_s`` seconds, signed by ``inviter``."""
    expires_at, salt = int(time.time()) + valid_for_s, os.urandom(32)
    signature = inviter.sign(_signed(context, inviter.public_key, expires_at, salt))
    return OpenInvitation(
        context, inviter.public_key, expires_at, salt, signature, application, node
    )


def read_open_invitation(value: Any, now_s: float | None = None) -> OpenInvitation:
    """Read an open invitation (the JSON object, or its text), checking signature and expiry.

    Raises:
        ParseError: malformed, forged, or expired.
    """
    body = value.get("invitation") if isinstance(value, dict) else None
    if not isinstance(body, dict):
        raise ParseError(
            "invitation must be the object POST /admin-api/contexts/invite_by_open_invitation "
            "answered"
        )
    invitation = OpenInvitation(
        from_b58(_text(body, "context_id"), "invitation.context_id"),
        from_b58(_text(body, "inviter_identity"), "invitation.inviter_identity"),
        _count(body.get("expiration_timestamp")),
        _hex(_text(body, "secret_salt"), "invitation.secret_salt", 32),
        _hex(_text(value, "inviter_signature"), "inviter_signature", 64),
        from_b58(_text(value, "application_id"), "application_id"),
        _text(value, "inviter_node"),
    )
    if not verify(invitation.inviter, invitation.signature, invitation.signed_bytes()):
        raise ParseError("the open invitation's signature does not hold (changed or forged)")
    if (time.time() if now_s is None else now_s) > invitation.expires_at:
        raise ParseError(f"the open invitation expired at {invitation.expires_at} (unix s)")
    return invitation


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ParseError(f"invitation: {key} must be a non-empty string")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise ParseError("invitation: expiration_timestamp must be unix seconds")
    return value


def _hex(text: str, what: str, size: int) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ParseError(f"{what} must be hex") from None
    if len(raw) != size:
        raise ParseError(f"{what} must be {size} bytes of hex, got {len(raw)}")
    return raw
