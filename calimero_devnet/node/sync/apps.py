"""Provides the messages a joiner uses to fetch a context's application from a peer.

A node joining a context whose app it lacks asks a peer (the inviter's node) for the app
by id; the peer answers with the WASM bytes, or empty bytes when it does not have them.
The joiner installs the bytes only if their sha256 is the application id it asked for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AppRequest:
    """Ask one peer for the WASM of ``application`` (needed to join ``context``)."""

    sender: str
    context: bytes
    application: bytes
    reply_to: str


@dataclass(frozen=True, slots=True)
class AppResponse:
    """A peer's WASM of ``application``; empty when the peer does not have it."""

    sender: str
    context: bytes
    application: bytes
    wasm: bytes
