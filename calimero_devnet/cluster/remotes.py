"""Provides the nodes of a cluster that run on other machines, as their presence tells.

A node started with ``devnet node --join`` is no process of ours: the manager knows it only
from the bus. ``RemoteNodes`` folds what the bus says into one state per such node:

* it is **ready** while its last presence document (``node/<name>/presence``) names a URL,
  its retained status (``node/<name>/status``) says ``online`` and the presence was heard
  in the last ``stale_after_s``; a new URL, public key or pid means it restarted
  (``RemoteChanged.fresh``: adopt it again);
* else it is **gone**: ``offline`` (its last will, or said on a clean exit), an empty
  presence, or silence (kept in the list, no longer asked). Retained messages of different
  topics come in any order, so a node is ready only once both say so.

Names of the manager's own nodes are never remote, whatever they publish. Pure: the
caller passes the time and turns the returned changes into events and work.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from calimero_devnet.errors import ParseError
from calimero_devnet.node.bus.presence import PRESENCE_EVERY_S, Presence, parse_presence

log = logging.getLogger(__name__)
READY, GONE = "ready", "gone"
STALE_AFTER_S = 3 * PRESENCE_EVERY_S + 1.0  # three missed announcements, plus slack


@dataclass(frozen=True, slots=True)
class RemoteNode:
    """One node on another machine, as last heard."""

    name: str
    state: str  # READY or GONE
    presence: Presence
    heard_at: float  # when its presence last came (the caller's monotonic seconds)

    @property
    def url(self) -> str | None:
        """Where to reach it now (None while gone)."""
        return self.presence.url if self.state == READY else None


@dataclass(frozen=True, slots=True)
class RemoteChanged:
    """A remote node's state changed; ``fresh``: new, or restarted (adopt it again)."""

    node: str
    state: str
    url: str
    machine: str
    fresh: bool = False
    why: str = ""

    def __str__(self) -> str:
        if self.state == READY:
            return f"{self.node} (remote, on {self.machine}) is ready at {self.url}"
        return f"{self.node} (remote, on {self.machine}) is gone: {self.why}"


@dataclass(slots=True)
class _Heard:
    presence: Presence | None = None
    status: str | None = None
    heard_at: float = 0.0
    stale: bool = False
    adopted: Presence | None = None  # the presence it had when last ready
    was_gone: bool = False  # gone since it was last ready


class RemoteNodes:
    """The remote nodes of one cluster (see the module docstring)."""

    def __init__(self, local: Collection[str], stale_after_s: float = STALE_AFTER_S) -> None:
        """Never count the names in ``local`` (the manager's own nodes) as remote."""
        self._local = frozenset(local)
        self._stale_after_s = stale_after_s
        self._heard: dict[str, _Heard] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._heard and self._heard[name].adopted is not None

    def names(self) -> list[str]:
        """The names of every remote node that was ever ready."""
        return [name for name, heard in self._heard.items() if heard.adopted is not None]

    def nodes(self) -> list[RemoteNode]:
        """Every remote node that was ever ready, in the order they first were."""
        return [node for name in self._heard if (node := self.get(name)) is not None]

    def get(self, name: str) -> RemoteNode | None:
        """The remote node ``name``, or None if it never was ready."""
        heard = self._heard.get(name)
        if heard is None or heard.adopted is None:
            return None
        state = READY if _ready(heard) else GONE
        return RemoteNode(name, state, heard.presence or heard.adopted, heard.heard_at)

    def on_presence(self, name: str, payload: bytes, now: float) -> RemoteChanged | None:
        """Fold one presence message of ``name``; return the change it makes, if any."""
        if name in self._local:
            return None
        try:
            presence = parse_presence(payload)
        except ParseError as exc:
            log.warning("ignored the presence of %s: %s", name, exc)
            return None
        if presence is not None and presence.name != name:
            log.warning("ignored a presence on %s's topic naming %s", name, presence.name)
            return None
        heard = self._heard.setdefault(name, _Heard())
        heard.presence, heard.heard_at, heard.stale = presence, now, False
        return self._change(name, heard, "its presence was withdrawn")

    def on_status(self, name: str, status: str) -> RemoteChanged | None:
        """Fold ``name``'s retained status (``online``, or ``offline``: gone)."""
        if name in self._local:
            return None
        heard = self._heard.setdefault(name, _Heard())
        heard.status = status
        return self._change(name, heard, f"it is {status} on the bus")

    def expire(self, now: float) -> list[RemoteChanged]:
        """Count gone every ready node whose presence was not heard for ``stale_after_s``."""
        changes = []
        for name, heard in self._heard.items():
            if _ready(heard) and now - heard.heard_at > self._stale_after_s:
                heard.stale = True
                change = self._change(name, heard, f"no presence for {self._stale_after_s:g} s")
                changes += [change] if change is not None else []
        return changes

    def _change(self, name: str, heard: _Heard, why: str) -> RemoteChanged | None:
        """What the last fold changed: ``heard.adopted`` is the presence when last ready."""
        if _ready(heard):
            assert heard.presence is not None  # _ready says so
            before, heard.adopted = heard.adopted, heard.presence
            if before == heard.presence and not heard.was_gone:
                return None
            fresh = before is None or heard.was_gone or _restarted(before, heard.presence)
            heard.was_gone = False
            return RemoteChanged(name, READY, heard.presence.url, heard.presence.machine, fresh)
        if heard.adopted is None or heard.was_gone:
            return None
        heard.was_gone = True
        return RemoteChanged(name, GONE, heard.adopted.url, heard.adopted.machine, why=why)


def _ready(heard: _Heard) -> bool:
    return heard.presence is not None and heard.status == "online" and not heard.stale


def _restarted(before: Presence, now: Presence) -> bool:
    return (before.url, before.public_key, before.pid) != (now.url, now.public_key, now.pid)
