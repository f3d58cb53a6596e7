"""Provides the context invitation: what ``POST /admin-api/contexts/invite`` answers.

Like upstream's ``ContextInvitationPayload`` it is one base58 string of Borsh bytes, which
the invitee's node hands to ``POST /admin-api/contexts/join``. Ours carries what a devnet
joiner needs and proves who invited::

    domain       String     "calimero-devnet/invitation/v1"
    context      [u8; 32]
    application  [u8; 32]   the context's app: a joiner without it fetches it
    inviter      [u8; 32]   a member of the context
    invitee      [u8; 32]   the identity that may join
    inviter_node String     the node that holds the inviter's key (and the app)
    signature    [u8; 64]   the inviter's Ed25519 signature of every field above
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import base58
from pyborsh import Borsh, BorshError, Bytes
from pydantic import BaseModel

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.identity import NodeIdentity, verify

DOMAIN = "calimero-devnet/invitation/v1"
MAX_PAYLOAD = 1024  # characters of base58; a real invitation is about 300

_Key32 = Annotated[bytes, Bytes(32)]


class _Signed(Borsh, BaseModel):
    domain: str
    context: _Key32
    application: _Key32
    inviter: _Key32
    invitee: _Key32
    inviter_node: str


class _Wire(_Signed):
    signature: Annotated[bytes, Bytes(64)]


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation of ``invitee`` into ``context``, signed by ``inviter``."""

    context: bytes
    application: bytes
    inviter: bytes
    invitee: bytes
    inviter_node: str
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """The canonical bytes the inviter signs."""
        return _Signed.model_construct(
            domain=DOMAIN, context=self.context, application=self.application,
            inviter=self.inviter, invitee=self.invitee, inviter_node=self.inviter_node,
        ).to_borsh()  # fmt: skip

    def has_valid_signature(self) -> bool:
        """True if ``signature`` is the inviter's signature of the invitation."""
        return verify(self.inviter, self.signature, self.signed_bytes())

    def encode(self) -> str:
        """The payload string (base58 of the Borsh bytes)."""
        wire = _Wire.model_construct(
            domain=DOMAIN, context=self.context, application=self.application,
            inviter=self.inviter, invitee=self.invitee, inviter_node=self.inviter_node,
            signature=self.signature,
        )  # fmt: skip
        return to_b58(wire.to_borsh())


def sign_invitation(
    inviter: NodeIdentity, *, context: bytes, application: bytes, invitee: bytes, node: str
) -> Invitation:
    """Build the invitation of ``invitee`` and sign it as ``inviter``."""
    unsigned = Invitation(context, application, inviter.public_key, invitee, node)
    signature = inviter.sign(unsigned.signed_bytes())
    return Invitation(context, application, inviter.public_key, invitee, node, signature)


def decode_invitation(payload: object) -> Invitation:
    """Read an invitation payload strictly and check its signature.

    Raises:
        ParseError: not a string, not base58, not an invitation, or a bad signature.
    """
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
        raise ParseError(
            "invitationPayload must be the string POST /admin-api/contexts/invite answered"
        )
    try:  # the length is bounded above, so base58's quadratic decoding stays cheap
        wire = _Wire.from_borsh(base58.b58decode(payload))
    except (BorshError, ValueError) as exc:
        raise ParseError(f"invitationPayload is not an invitation: {exc}") from exc
    if wire.domain != DOMAIN:
        raise ParseError(f"invitationPayload is a {wire.domain!r}, not an invitation")
    invitation = Invitation(
        wire.context, wire.application, wire.inviter, wire.invitee, wire.inviter_node,
        wire.signature,
    )  # fmt: skip
    if not invitation.has_valid_signature():
        raise ParseError(
            f"invitationPayload: the signature of inviter {to_b58(wire.inviter)} does not "
            "hold (the payload was changed or forged)"
        )
    return invitation
