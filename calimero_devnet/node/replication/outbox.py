"""Provides the outbox: what the replication engine (worker thread) hands to the event loop.

The engine never touches the transport: it collects sends, broadcasts, topic (un)watches
and feed events here, in order, and the event loop carries them out in that order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from calimero_devnet.errors import NodeError
from calimero_devnet.node.bus.transport import Broadcast, Direct
from calimero_devnet.node.replication.feed import FeedEvent, log_line
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.messages import (
    ApplyDeltas,
    Effect,
    InstallSnapshot,
    Log,
    Publish,
    Reply,
    RequestSnapshot,
    SendFetch,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``message`` to one peer."""

    peer: str
    message: Direct


@dataclass(frozen=True, slots=True)
class Cast:
    """Broadcast ``message`` on its context's topic."""

    message: Broadcast


@dataclass(frozen=True, slots=True)
class Watch:
    """Start (or, with ``on=False``, stop) receiving a context's broadcasts."""

    context: bytes
    on: bool = True


@dataclass(frozen=True, slots=True)
class Feed:
    """Publish a feed event."""

    event: FeedEvent


@dataclass(frozen=True, slots=True)
class JoinSettled:
    """A join ended: ``error`` is None once the snapshot is installed."""

    context: bytes
    error: NodeError | None


@dataclass(frozen=True, slots=True)
class AppSettled:
    """An app fetch ended: ``error`` is None once the app is installed."""

    application: bytes
    error: NodeError | None


Outgoing: TypeAlias = Send | Cast | Watch | Feed | JoinSettled | AppSettled
Sink = Callable[[list[Outgoing]], None]
StoreEffect: TypeAlias = ApplyDeltas[CausalDelta] | InstallSnapshot


class Outbox:
    """Outgoing actions collected on the worker thread, in order."""

    def __init__(self) -> None:
        """Start empty."""
        self._items: list[Outgoing] = []

    def __len__(self) -> int:
        """Number of collected actions."""
        return len(self._items)

    def send(self, peer: str, message: Direct) -> None:
        """Queue a message to one peer."""
        self._items.append(Send(peer, message))

    def cast(self, message: Broadcast) -> None:
        """Queue a broadcast."""
        self._items.append(Cast(message))

    def watch(self, context: bytes, on: bool = True) -> None:
        """Queue a (un)subscription of a context's topics."""
        self._items.append(Watch(context, on))

    def feed(self, event: FeedEvent) -> None:
        """Queue a feed event."""
        self._items.append(Feed(event))

    def settle(self, context: bytes, error: NodeError | None) -> None:
        """Queue the end of a join."""
        self._items.append(JoinSettled(context, error))

    def settle_app(self, application: bytes, error: NodeError | None) -> None:
        """Queue the end of an app fetch."""
        self._items.append(AppSettled(application, error))

    def take(self) -> list[Outgoing]:
        """Return and forget everything collected."""
        items, self._items = self._items, []
        return items

    def route(self, effects: list[Effect[CausalDelta]]) -> list[StoreEffect]:
        """Queue the network and log effects; return those that touch the store, in order."""
        local: list[StoreEffect] = []
        for effect in effects:
            match effect:
                case SendFetch(peer, request) | RequestSnapshot(peer, request):
                    self.send(peer, request)
                case Reply(to, message):
                    self.send(to, message)
                case Publish(message):
                    self.cast(message)
                case Log(level, text):
                    self.log(level, text)
                case ApplyDeltas() | InstallSnapshot():
                    local.append(effect)
        return local

    def log(self, level: int, text: str) -> None:
        """Log ``text``; warnings and errors also go to the feed."""
        log.log(level, "%s", text)
        if level >= logging.WARNING:
            self.feed(log_line(logging.getLevelName(level).lower(), text))
