"""Provides who may talk to a cluster's HTTP endpoints: web pages of loopback origins only,
and, with ``[security] token``, holders of the bearer token.

Shared by the nodes and the control endpoint (which check it) and by every client of them
(which send it). A token is a secret: it travels in the environment of the node processes
(``/proc/<pid>/environ`` is readable by its owner only, unlike the command line), in
``cluster.json`` (then written 0600) and in the ``Authorization`` header; never in a log.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

ENV_VAR = "DEVNET_TOKEN"  # how a node process (or `devnet node`) is given the token
GENERATE = "generate"
# RFC 6750's token68 characters, long enough not to be guessed, short enough for a header.
BEARER_PATTERN = r"^[A-Za-z0-9._~+/=-]{16,256}$"
BEARER_RULE = "16-256 letters, digits or . _ ~ + / = -"
_BEARER = re.compile(BEARER_PATTERN)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def loopback_origin(origin: str) -> bool:
    """True if ``origin`` is a web origin on this machine (``http://127.0.0.1:5173``,
    ``http://localhost``, ``http://[::1]:3000``; https too), and nothing more."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return False
    bare = not (parts.path or parts.query or parts.fragment or parts.username or parts.password)
    return bare and parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS


def valid_token(token: str) -> bool:
    """True if ``token`` may be used as a bearer token."""
    return _BEARER.fullmatch(token) is not None


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def auth_headers(token: str | None) -> dict[str, str]:
    """The headers that carry ``token`` (none without one)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def authorized(header: str | None, token: str) -> bool:
    """True if an ``Authorization`` header value carries ``token`` (constant-time compare)."""
    if header is None:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8"))
