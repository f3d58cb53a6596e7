"""Provides ``Inviting``: the identities and invitations part of ``NodeCore``.

Identities are created on the node (their private keys never leave its store); an
invitation makes the invitee a member of a context at once and is signed by the inviter,
who must be a member whose key this node holds. An open invitation names no invitee and
changes no member list.
"""

from __future__ import annotations

from calimero_devnet.errors import InvalidExecutor
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.identities import HeldIdentities
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.invitation import Invitation, sign_invitation
from calimero_devnet.node.state.open_invitation import OpenInvitation, sign_open_invitation
from calimero_devnet.node.state.records import ContextRecord


class Inviting:
    """What ``NodeCore`` does with identities and invitations (it provides the record I/O)."""

    name: str
    identities: HeldIdentities

    def _context_record(self, ctx_id: bytes) -> ContextRecord:
        raise NotImplementedError  # NodeCore's

    def _write_record(self, record: ContextRecord) -> None:
        raise NotImplementedError  # NodeCore's

    def generate_identity(self) -> bytes:
        """Create an identity whose private key stays on this node; return its public key."""
        return self.identities.generate().public_key

    def owned_identities(self, ctx_id: bytes) -> list[bytes]:
        """The members of a context whose private keys this node holds.

        Raises:
            ContextNotFound.
        """
        record = self._context_record(ctx_id)
        return [key for key in record.members if self.identities.get(key) is not None]

    def require_identity(self, public_key: bytes, what: str) -> None:
        """Raise ``InvalidExecutor`` unless this node holds the private key of ``public_key``."""
        self.identities.require(public_key, what)

    def invite(self, ctx_id: bytes, inviter: bytes, invitee: bytes) -> Invitation:
        """Make ``invitee`` a member of a context and return its signed invitation.

        Raises:
            ContextNotFound; InvalidExecutor: this node holds no key for ``inviter``, or
                ``inviter`` is not a member of the context.
        """
        record = self._context_record(ctx_id)
        signer = self._inviter(record, inviter)
        if invitee not in record.members:
            self._write_record(
                record.model_copy(update={"members": sorted({*record.members, invitee})})
            )
        return sign_invitation(
            signer, context=ctx_id, application=record.application_id, invitee=invitee,
            node=self.name,
        )  # fmt: skip

    def invite_open(self, ctx_id: bytes, inviter: bytes, valid_for_s: int) -> OpenInvitation:
        """An open invitation into a context, signed by ``inviter``; members do not change.

        Raises:
            ContextNotFound; InvalidExecutor: as for ``invite``.
        """
        record = self._context_record(ctx_id)
        signer = self._inviter(record, inviter)
        return sign_open_invitation(
            signer, context=ctx_id, application=record.application_id, node=self.name,
            valid_for_s=valid_for_s,
        )  # fmt: skip

    def _inviter(self, record: ContextRecord, inviter: bytes) -> NodeIdentity:
        signer = self.identities.require(inviter, "inviter")
        if inviter not in record.members:
            raise InvalidExecutor(
                f"inviter {to_b58(inviter)} is not a member of context {to_b58(record.id)} on "
                f"node {self.name}: invite as a member (memberPublicKey of create_context)"
            )
        return signer
