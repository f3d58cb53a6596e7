"""Provides the receive side shared by every transport: echo filter, network rules, queue.

Each node judges what it receives (``net_rules.decide``), so a partition cuts both ways
without any central switch. Delayed messages wait in a per-sender FIFO, and anything that
arrives from that sender while older messages wait queues behind them: the per-link order
the broker guarantees survives a latency rule, even when the rule changes mid-flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator

from calimero_devnet.node.bus.net_rules import HEALTHY, Delay, Drop, NetRules, decide, link_rng
from calimero_devnet.node.bus.transport import BusMessage, BusStatistics

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000


class Inbox:
    """Filters, delays and queues the messages one node receives."""

    def __init__(self, node: str, stats: BusStatistics, *, limit: int = DEFAULT_LIMIT) -> None:
        """Receive for ``node``, counting into ``stats``; hold at most ``limit`` messages."""
        self.node = node
        self.rules = HEALTHY
        self._stats = stats
        self._queue: asyncio.Queue[BusMessage] = asyncio.Queue(limit)
        self._rngs: dict[str, random.Random] = {}
        self._held: dict[str, deque[tuple[float, BusMessage]]] = {}
        self._drainers: dict[str, asyncio.Task[None]] = {}

    def set_rules(self, rules: NetRules) -> None:
        """Judge messages by ``rules`` from now on; new rules restart the seeded loss draws.

        The same rules again (a retained ``ctl/net`` re-delivered after a reconnect) change
        nothing, so a reconnect does not replay the loss sequence.
        """
        if rules == self.rules:
            return
        self.rules = rules
        self._rngs.clear()

    def offer(self, message: BusMessage) -> None:
        """Judge one received message and queue, hold or drop it."""
        sender = message.sender
        if sender == self.node:
            return  # our own broadcast, echoed by the broker
        rng = self._rngs.get(sender)
        if rng is None:
            rng = self._rngs[sender] = link_rng(self.rules, sender, self.node)
        verdict = decide(self.rules, sender, self.node, rng)
        if isinstance(verdict, Drop):
            self._stats.dropped_rules += 1
            log.debug(
                "%s: dropped %s from %s (%s)", self.node, _kind(message), sender, verdict.reason
            )
            return
        delay_s = verdict.ms / 1000 if isinstance(verdict, Delay) else 0.0
        if delay_s == 0 and sender not in self._held:
            self._put(message)
            return
        self._stats.delayed += delay_s > 0
        release = asyncio.get_running_loop().time() + delay_s
        self._held.setdefault(sender, deque()).append((release, message))
        if sender not in self._drainers:
            self._drainers[sender] = asyncio.create_task(self._drain(sender))

    async def messages(self) -> AsyncIterator[BusMessage]:
        """Yield queued messages forever."""
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        """Cancel pending delayed deliveries."""
        for task in self._drainers.values():
            task.cancel()
        self._drainers.clear()
        self._held.clear()

    async def _drain(self, sender: str) -> None:
        held = self._held[sender]
        loop = asyncio.get_running_loop()
        try:
            while held:
                release, message = held[0]
                if (wait := release - loop.time()) > 0:
                    await asyncio.sleep(wait)
                held.popleft()
                self._put(message)
        finally:
            if not held:
                self._held.pop(sender, None)
            self._drainers.pop(sender, None)

    def _put(self, message: BusMessage) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._stats.dropped_queue += 1
            log.warning("%s: incoming queue full, dropped %s from %s; is the consumer stuck?",
                        self.node, _kind(message), message.sender)  # fmt: skip
            return
        self._stats.received += 1


def _kind(message: BusMessage) -> str:
    return type(message).__name__
