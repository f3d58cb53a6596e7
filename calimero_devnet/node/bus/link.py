"""Provides the state of one bus connection, in values and words, and the reconnect back-off.

A session is ``connecting`` before its first connection, ``connected`` while it serves,
``disconnected`` the moment it loses the broker, and ``reconnecting`` (attempt N) while it
tries again. ``since`` is when the current state began; while reconnecting it stays the
moment the connection was lost, so "down since" survives the retries. Pure: no I/O.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Literal

LinkName = Literal["connecting", "connected", "disconnected", "reconnecting"]
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 2.0


def now_ms() -> int:
    """Wall-clock milliseconds (the feed's ``ts`` unit)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class LinkState:
    """Where one connection stands; ``error`` says why it was lost (None while fine)."""

    state: LinkName
    since_ms: int
    attempt: int = 0
    error: str | None = None

    @property
    def up(self) -> bool:
        """Whether the connection serves now."""
        return self.state == "connected"

    def to_json(self) -> dict[str, Any]:
        """The JSON form of the admin API and the feed."""
        return {"state": self.state, "since": self.since_ms, "attempt": self.attempt,
                "error": self.error}  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> LinkState | None:
        """Parse ``to_json``'s form; None when it is not of that shape."""
        if not isinstance(data, dict) or data.get("state") not in _NAMES:
            return None
        since, attempt, error = data.get("since"), data.get("attempt", 0), data.get("error")
        if not isinstance(since, int) or not isinstance(attempt, int):
            return None
        return cls(data["state"], since, attempt, error if isinstance(error, str) else None)


_NAMES = ("connecting", "connected", "disconnected", "reconnecting")


def connecting(at_ms: int) -> LinkState:
    """Not connected yet: the first attempt is under way."""
    return LinkState("connecting", at_ms, 1)


def connected(at_ms: int) -> LinkState:
    """Serving since ``at_ms``."""
    return LinkState("connected", at_ms)


def lost(link: LinkState, at_ms: int, error: str) -> LinkState:
    """The connection failed: a serving link is down from now; a retrying one keeps counting."""
    if link.state == "connected":
        return LinkState("disconnected", at_ms, 0, error)
    return replace(link, error=error)


def retrying(link: LinkState) -> LinkState:
    """One more attempt at reconnecting (``since`` stays when the connection was lost)."""
    if link.state == "connecting":
        return replace(link, attempt=link.attempt + 1)
    return LinkState("reconnecting", link.since_ms, link.attempt + 1, link.error)


def describe(link: LinkState, now_ms_: int | None = None) -> str:
    """The state in words: ``connected``, ``disconnected for 3 s``, ``reconnecting (attempt
    4, down 3 s)``."""
    if link.state == "connected":
        return "connected"
    now = now_ms() if now_ms_ is None else now_ms_
    down = f"{max(0, now - link.since_ms) / 1000:.0f} s"
    if link.state == "connecting":
        return f"connecting (attempt {link.attempt})"
    if link.state == "disconnected":
        return f"disconnected for {down}"
    return f"reconnecting (attempt {link.attempt}, down {down})"


class Backoff:
    """Delays between reconnect attempts: ``first_s``, doubling each time, at most ``max_s``."""

    def __init__(self, first_s: float = FIRST_DELAY_S, max_s: float = MAX_DELAY_S) -> None:
        """Start at the first delay."""
        self.first_s = first_s
        self.max_s = max_s
        self._next = first_s

    def next(self) -> float:
        """The delay before the next attempt (then double it, capped)."""
        delay = self._next
        self._next = min(self._next * 2, self.max_s)
        return delay

    def reset(self) -> None:
        """A connection succeeded: the next loss starts at the first delay again."""
        self._next = self.first_s
