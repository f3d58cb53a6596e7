"""Provides the 32-byte ids of the devnet and their base58 text form."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import base58

from calimero_devnet.errors import ParseError

ID_LEN = 32
MAX_B58_LEN = 44  # the longest base58 text of 32 bytes (0xff * 32); 32 zero bytes take 32
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def sha256(data: bytes) -> bytes:
    """Return the SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def to_b58(raw: bytes) -> str:
    """Encode an id as base58 text, as the upstream node prints ids."""
    if type(raw) is bytes:
        return _b58_cached(raw)
    return base58.b58encode(raw).decode("ascii")


@lru_cache(maxsize=1024)
def _b58_cached(raw: bytes) -> str:
    # Context and node ids are named in every event and push (~10 µs each in pure Python);
    # delta ids pass through once and age out.
    return base58.b58encode(raw).decode("ascii")


def from_b58(text: str, what: str = "id") -> bytes:
    """Decode a base58 id of exactly 32 bytes, or raise ``ParseError`` naming ``what``."""
    # Checked before decoding: base58 decoding is quadratic in the length (a 200 KB "id"
    # took the node's event loop ~50 s), and the text is echoed in the error.
    if len(text) > MAX_B58_LEN:
        raise ParseError(
            f"{what} {text[:16]!r}… is {len(text)} characters long: a 32-byte base58 id has "
            f"at most {MAX_B58_LEN}"
        )
    bad = next((char for char in text if char not in B58_ALPHABET), None)
    if bad is not None:
        raise ParseError(
            f"{what} {text!r} is not base58: {bad!r} is not one of its characters "
            "(letters and digits but 0, O, I and l)"
        )
    raw = base58.b58decode(text.encode("ascii"))
    if len(raw) != ID_LEN:
        raise ParseError(f"{what} {text!r} decodes to {len(raw)} bytes, expected {ID_LEN}")
    return raw
