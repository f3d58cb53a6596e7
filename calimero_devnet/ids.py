"""Provides the 32-byte ids of the devnet and their base58 text form."""

from __future__ import annotations

import hashlib

import base58

from calimero_devnet.errors import ParseError

ID_LEN = 32


def sha256(data: bytes) -> bytes:
    """Return the SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def to_b58(raw: bytes) -> str:
    """Encode an id as base58 text, as the upstream node prints ids."""
    return base58.b58encode(raw).decode("ascii")


def from_b58(text: str, what: str = "id") -> bytes:
    """Decode a base58 id of exactly 32 bytes, or raise ``ParseError`` naming ``what``."""
    try:
        raw = base58.b58decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ParseError(f"{what} {text!r} is not base58: {exc}") from exc
    if len(raw) != ID_LEN:
        raise ParseError(f"{what} {text!r} decodes to {len(raw)} bytes, expected {ID_LEN}")
    return raw
