"""Provides a node's presence: the retained JSON on ``node/<name>/presence``, and its loop.

Every node on a broker says where it serves (its HTTP URL as others reach it), who it is
(name, public key) and where it runs (machine, pid), and says it again every
``PRESENCE_EVERY_S``: a manager that hears nothing for a few periods, or reads the
``offline`` last will on ``node/<name>/status``, counts the node gone. A node started by
``devnet node --join`` on another machine is found this way (``cluster/remotes.py``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from calimero_devnet.errors import ParseError

PRESENCE_EVERY_S = 2.0
VERSION = 1


@dataclass(frozen=True, slots=True)
class Presence:
    """What one node announces about itself."""

    name: str
    url: str  # http://HOST:PORT as the other machines reach it
    public_key: str  # base58
    machine: str  # the host name it runs on
    pid: int  # on that machine: not a process of ours to signal

    def to_json(self) -> dict[str, Any]:
        """The wire form (JSON object)."""
        return {
            "version": VERSION, "name": self.name, "url": self.url,
            "publicKey": self.public_key, "machine": self.machine, "pid": self.pid,
        }  # fmt: skip


def parse_presence(payload: bytes) -> Presence | None:
    """The presence in ``payload``; None for the empty message that clears it.

    Raises:
        ParseError: not a presence document of this version.
    """
    if not payload:
        return None
    try:
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ParseError(f"not a version-{VERSION} presence document")
        fields = (data["name"], data["url"], data["publicKey"], data["machine"])
        if not all(isinstance(field, str) and field for field in fields):
            raise ParseError("presence fields name, url, publicKey, machine must be text")
        if not data["url"].startswith(("http://", "https://")):
            raise ParseError(f"presence url {data['url']!r} is not http(s)://HOST:PORT")
        pid = data["pid"]
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise ParseError("presence pid must be an integer")
    except (ValueError, KeyError) as exc:
        raise ParseError(f"bad presence document: {type(exc).__name__} {exc}") from exc
    return Presence(*fields, pid=pid)


async def announce(
    publish: Callable[[Mapping[str, Any]], Awaitable[None]],
    presence: Presence,
    every_s: float = PRESENCE_EVERY_S,
) -> None:
    """Publish ``presence`` now and every ``every_s`` until cancelled."""
    document = presence.to_json()
    while True:
        await publish(document)
        await asyncio.sleep(every_s)
