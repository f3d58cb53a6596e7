"""Provides the node's persistent Ed25519 identity and signature checks.

The 32-byte private seed lives in the store's node-private column family (key
``identity.ed25519``, see ``store.py``); the store directory is created with mode 0700, so
only the node's user can read it. A devnet key protects nothing of value: it only makes
delta authorship checkable.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SEED_LEN = 32
PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64


class NodeIdentity:
    """An Ed25519 key pair; the public key is the node's id in every context."""

    def __init__(self, seed: bytes) -> None:
        """Build the key pair from a 32-byte private seed."""
        if len(seed) != SEED_LEN:
            raise ValueError(f"an Ed25519 seed is {SEED_LEN} bytes, got {len(seed)}")
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.public_key: bytes = public_key_of(self._key)

    @classmethod
    def generate(cls) -> NodeIdentity:
        """Return a fresh identity drawn from the OS CSPRNG."""
        return cls(os.urandom(SEED_LEN))

    @property
    def seed(self) -> bytes:
        """The private seed, for persisting the identity (keep it node-private)."""
        return self._seed

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data``."""
        return self._key.sign(data)

    def __repr__(self) -> str:
        """Show the public key only, never the seed."""
        return f"NodeIdentity(public_key={self.public_key.hex()})"


def public_key_of(key: Ed25519PrivateKey) -> bytes:
    """Return the raw 32-byte public key of ``key``."""
    # public_bytes_raw, not public_bytes(Encoding.Raw, ...): the serialization module
    # loads every other key type and cipher (3 MiB and ~30 ms per node process).
    return key.public_key().public_bytes_raw()


def public_key_from_seed(seed: bytes) -> bytes:
    """Return the public key of the Ed25519 key whose private seed is ``seed`` (32 bytes)."""
    return public_key_of(Ed25519PrivateKey.from_private_bytes(seed))


def verify(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Return True if ``signature`` is ``public_key``'s valid signature of ``data``.

    Malformed keys or signatures count as invalid rather than raising.
    """
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
