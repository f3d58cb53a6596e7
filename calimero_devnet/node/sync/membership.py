"""Provides the ``MembersUpdate`` message: a signed member list of one context.

A joining node's public key must reach the existing members before its signed deltas can
verify. A member that admits the joiner broadcasts the context's full member list on
``ctx/<ctx>/members``, signed by its own node key. Receivers check the signature here and
decide themselves whether ``signer`` is someone they trust (normally: a current member).

The signed bytes are canonical (Borsh)::

    domain   String         "calimero-devnet/members/v1"
    context  [u8; 32]
    members  Vec<[u8; 32]>  sorted ascending, without duplicates

so the order in which a sender lists members does not change what is signed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pyborsh import Borsh, BorshError, Bytes
from pydantic import BaseModel

from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.identity import verify as verify_signature

DOMAIN = "calimero-devnet/members/v1"

_Key32 = Annotated[bytes, Bytes(32)]


class _SignedWire(Borsh, BaseModel):
    domain: str
    context: _Key32
    members: list[_Key32]


@dataclass(frozen=True, slots=True)
class MembersUpdate:
    """The member list of ``context`` (Ed25519 public keys), as seen and signed by ``signer``."""

    sender: str
    context: bytes
    members: tuple[bytes, ...]
    signer: bytes
    signature: bytes


def signing_bytes(context: bytes, members: Iterable[bytes]) -> bytes:
    """Return the canonical bytes a members update signs.

    Raises:
        ValueError: when the context or a member key is not 32 bytes long.
    """
    model = _SignedWire.model_construct(
        domain=DOMAIN, context=context, members=sorted(set(members))
    )
    try:
        return model.to_borsh()
    except BorshError as exc:
        raise ValueError(f"members update: context and keys must be 32 bytes: {exc}") from exc


def create_members_update(
    identity: NodeIdentity, sender: str, context: bytes, members: Iterable[bytes]
) -> MembersUpdate:
    """Build and sign the update listing ``members`` (sorted, deduplicated) of ``context``."""
    canonical = tuple(sorted(set(members)))
    signature = identity.sign(signing_bytes(context, canonical))
    return MembersUpdate(sender, context, canonical, identity.public_key, signature)


def has_valid_signature(update: MembersUpdate) -> bool:
    """Return True if ``update.signature`` is ``update.signer``'s signature of its list.

    This proves who signed, not that the signer may admit members: check that separately.
    """
    try:
        data = signing_bytes(update.context, update.members)
    except ValueError:
        return False
    return verify_signature(update.signer, update.signature, data)
