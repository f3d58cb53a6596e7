"""Provides the cluster monitor: node feeds and presence from the bus, and convergence.

``FeedListener`` subscribes to every node's ``node/<node>/feed``, retained
``node/<node>/status`` and ``node/<node>/presence`` with the bus module's self-healing
``MqttSession`` and turns them into ``FeedMessage`` / ``NodePresence`` events; the status
and presence of a node the config does not name go to ``on_remote`` (``remote_members.py``)
and its feed is passed on like any other. ``ConvergenceWatch`` polls the nodes'
status over HTTP (every 0.5 s while something changes or differs, every 5 s when idle,
and at once when a feed message arrives), reports each poll's status (``StatusPolled``,
for a UI's per-node table) and when a context converges or stays apart for a while: the
feed says what moved, the poll says where everyone ended up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection

from calimero_devnet.cluster.events import (
    ClusterEvent,
    ConvergenceChanged,
    FeedMessage,
    NodePresence,
    StatusPolled,
)
from calimero_devnet.cluster.status import ClusterStatus, judge
from calimero_devnet.node.bus.session import MqttSession, SessionConfig, broker_address
from calimero_devnet.node.bus.topics import Topics
from calimero_devnet.node.bus.transport import BusStatistics

log = logging.getLogger(__name__)
RemoteSink = Callable[[str, str, bytes], None]
BUSY_POLL_S = 0.5
IDLE_POLL_S = 5.0
DIVERGED_AFTER_S = 3.0  # apart this long (a partition, a dead link) is worth a line


class FeedListener:
    """Feeds and presence of the nodes of ``cluster_id``, as events (see the module doc)."""

    def __init__(
        self, broker_url: str, cluster_id: str, nodes: Collection[str],
        emit: Callable[[ClusterEvent], None],
    ) -> None:  # fmt: skip
        """Listen for the nodes named in ``nodes`` (others sharing the broker are ignored)."""
        self._topics = Topics(cluster_id)
        self._nodes = nodes
        self._emit = emit
        config = SessionConfig(
            broker_address(broker_url), client_id=f"devnet/{cluster_id}/manager-{os.getpid()}"
        )
        self._session = MqttSession(config, self._on_message, self._on_connect, BusStatistics())
        self.on_activity: Callable[[], None] = lambda: None
        self.on_remote: RemoteSink | None = None  # (node, kind, payload) of unknown nodes
        self.remote_names: Callable[[], Collection[str]] = frozenset  # whose feeds to pass
        self.on_link = self._session.on_link  # the manager's own link to the broker

    async def run(self) -> None:
        """Subscribe and deliver until cancelled (reconnecting as needed)."""
        await self._session.subscribe(self._topics.node("+", "feed"), 0)
        await self._session.subscribe(self._topics.node("+", "status"), 1)
        if self.on_remote is not None:
            await self._session.subscribe(self._topics.node("+", "presence"), 1)
        await self._session.run()

    async def _on_connect(self) -> None:
        log.debug("monitor connected to the broker")

    def _remote(self, node: str, kind: str, payload: bytes) -> bool:
        """Route a message of a node not in the config; True when it is dealt with."""
        if self.on_remote is not None and kind in ("status", "presence"):
            self.on_remote(node, kind, payload)
            return True
        return self.on_remote is None or node not in self.remote_names()

    def _on_message(self, topic: str, payload: bytes) -> None:
        parts = topic.removeprefix(self._topics.prefix).split("/")
        if len(parts) != 3 or parts[0] != "node":
            return
        node, kind = parts[1], parts[2]
        if node not in self._nodes and self._remote(node, kind, payload):
            return
        if kind == "presence":
            return  # our own nodes' presence: the supervisor knows them better
        if kind == "status":
            self._emit(NodePresence(node, payload.decode("utf-8", errors="replace")))
            return
        try:
            event = json.loads(payload)
        except ValueError:
            log.debug("undecodable feed message from %s", node)
            return
        if isinstance(event, dict):
            inner = event.get("events") if event.get("event") == "batch" else [event]
            events = tuple(e for e in inner or () if isinstance(e, dict))
            self._emit(FeedMessage(node, events))
            self.on_activity()


class ConvergenceWatch:
    """Reports each status poll (``StatusPolled``) and ``ConvergenceChanged`` (module doc)."""

    def __init__(
        self, status: Callable[[], Awaitable[ClusterStatus]], emit: Callable[[ClusterEvent], None]
    ) -> None:
        """Poll with ``status``; report with ``emit``."""
        self._status = status
        self._emit = emit
        self._poke = asyncio.Event()
        self._said: dict[str, tuple[bool, tuple[str, ...], str | None]] = {}
        self._apart_since: dict[str, float] = {}

    def poke(self) -> None:
        """Something moved: poll soon."""
        self._poke.set()

    async def run(self) -> None:
        """Poll until cancelled; a failing poll is logged and retried."""
        wait = BUSY_POLL_S
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), wait)
            self._poke.clear()
            wait = IDLE_POLL_S if await self.poll() else BUSY_POLL_S
            await asyncio.sleep(0.2)  # a burst of feed messages is one poll, not many

    async def poll(self) -> bool:
        """Poll once: report the status itself (``StatusPolled``) and what changed.

        Returns True when every context is converged; a failing poll is logged, reports
        nothing and counts as not settled.
        """
        try:
            status = await self._status()
            self._emit(StatusPolled(status))
            return self.observe(status)
        except Exception:
            log.exception("status poll failed")
            return False

    def observe(self, status: ClusterStatus, now: float | None = None) -> bool:
        """Report what changed since the last poll; True when every context is converged."""
        now = time.monotonic() if now is None else now
        for name in status.contexts:
            views = [v for v in status.views if v.context == name]
            converged, differences = judge(views)
            if converged:
                self._apart_since.pop(name, None)
                key = (True, views[0].heads, views[0].root)
                if self._said.get(name) != key:
                    self._said[name] = key
                    nodes = tuple(v.node for v in views)
                    self._emit(ConvergenceChanged(name, True, key[1], key[2], nodes))
                continue
            since = self._apart_since.setdefault(name, now)
            if now - since >= DIVERGED_AFTER_S and self._said.get(name, (True,))[0]:
                self._said[name] = (False, (), None)
                self._emit(ConvergenceChanged(name, False, differences=tuple(differences)))
        return all(status.converged.values())
