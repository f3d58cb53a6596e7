"""Provides the broker's supervision: notice it died, say so, bring it back, say so.

A broker devnet started is watched through its process (polled every ``POLL_S``): when
it exits on its own, ``BrokerDown`` is said at once and it is started again on the same
port, with back-off while that fails, then ``BrokerBack``. An external broker is watched
through the manager's own bus session (``note_link``): losing it is ``BrokerDown``,
reaching it again ``BrokerBack``; it is never restarted by us. Either way the nodes
reconnect by themselves and catch up by heads exchange; ``on_back`` lets the manager
republish what a memory-only broker forgot (the retained network rules).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from calimero_devnet.cluster.events import BrokerBack, BrokerDown, ClusterEvent, Problem
from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.cluster.processes.node_events import signal_name
from calimero_devnet.errors import ClusterError
from calimero_devnet.node.bus.link import Backoff, LinkState

log = logging.getLogger(__name__)
POLL_S = 0.1  # how soon a dead broker process is noticed (a waitpid per poll: cheap)


@dataclass(frozen=True, slots=True)
class BrokerHealth:
    """Whether the broker serves, since when (unix seconds) and, when down, why."""

    kind: str
    url: str
    managed: bool
    up: bool = True
    since: float = 0.0
    reason: str | None = None
    restarts: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form (the control endpoint's ``broker``)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> BrokerHealth | None:
        """Parse ``to_json``'s form; None when it is not of that shape (an older manager)."""
        try:
            return cls(str(data["kind"]), str(data["url"]), bool(data["managed"]),
                       bool(data["up"]), float(data["since"]), data.get("reason"),
                       int(data.get("restarts", 0)))  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def death_reason(returncode: int) -> str:
    """How a broker process ended, in words: ``killed by SIGKILL``, ``exited with code 1``."""
    name = signal_name(returncode)
    return f"killed by {name}" if name is not None else f"exited with code {returncode}"


class BrokerWatch:
    """Supervises the broker of one cluster (see the module docstring)."""

    def __init__(
        self, handle: BrokerHandle | None, url: str, emit: Callable[[ClusterEvent], None],
        on_back: Callable[[], Awaitable[None]],
    ) -> None:  # fmt: skip
        """Watch ``handle`` (None: the external broker at ``url``); report with ``emit``."""
        kind = handle.kind if handle is not None else "external"
        self.health = BrokerHealth(kind, url, handle is not None, since=time.time())
        self._handle = handle
        self._emit = emit
        self._on_back = on_back
        self._halted = False
        self._tasks: set[asyncio.Task[None]] = set()

    def halt(self) -> None:
        """Restart nothing from now on (the broker is being killed on purpose)."""
        self._halted = True

    async def run(self) -> None:
        """Watch (and restart a managed broker) until cancelled or halted."""
        handle = self._handle
        if handle is None:
            await asyncio.Event().wait()  # the external broker is watched by note_link
            return
        while (code := await self._exited(handle)) is not None:
            self._went_down(death_reason(code))
            await self._restart(handle)
            if self._halted:
                return
            self._came_back(restarted=True)
            await self._republish()

    async def _exited(self, handle: BrokerHandle) -> int | None:
        """The broker's exit code once it dies; None once halted."""
        while not self._halted:
            code = handle.exit_code()
            if code is not None:
                return code
            await asyncio.sleep(POLL_S)
        return None

    def note_link(self, link: LinkState) -> None:
        """The manager's bus session changed state: for an external broker, that is the news."""
        if self._handle is not None or self._halted:
            return
        # An attempt that failed counts, the first one too: the manager may lose the broker
        # before its own session ever connected.
        if self.health.up and not link.up and link.error is not None:
            self._went_down(f"is unreachable ({link.error or 'connection lost'})")
        elif not self.health.up and link.up:
            self._came_back(restarted=False)
            task = asyncio.get_running_loop().create_task(self._republish())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _went_down(self, reason: str) -> None:
        log.warning("broker %s %s", self.health.url, reason)
        self.health = replace(self.health, up=False, since=time.time(), reason=reason)
        self._emit(BrokerDown(self.health.kind, self.health.url, reason, self.health.managed))

    def _came_back(self, restarted: bool) -> None:
        down_s = time.time() - self.health.since
        restarts = self.health.restarts + int(restarted)
        self.health = replace(self.health, up=True, since=time.time(), reason=None,
                              restarts=restarts)  # fmt: skip
        self._emit(BrokerBack(self.health.kind, self.health.url, down_s, restarted))

    async def _restart(self, handle: BrokerHandle) -> None:
        backoff = Backoff()
        while not self._halted:
            try:
                await _finish_even_if_cancelled(asyncio.to_thread(handle.start))
                return
            except (ClusterError, OSError) as exc:  # OSError: the binary went away
                delay = backoff.next()
                if delay == backoff.first_s:  # said once an outage; the log has every try
                    self._emit(Problem(f"could not restart the broker: {exc}; retrying"))
                log.warning("broker restart failed (retrying in %.1f s): %s", delay, exc)
                await asyncio.sleep(delay)

    async def _republish(self) -> None:
        try:
            await self._on_back()
        except Exception as exc:
            log.exception("after the broker came back")
            self._emit(Problem(f"broker back, but republishing the network rules failed: {exc}"))


async def _finish_even_if_cancelled(work: Awaitable[None]) -> None:
    """Await ``work``; on cancel, let it finish first (a broker half started by a thread
    must be known to its handle before the manager stops it)."""
    future = asyncio.ensure_future(work)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await future
        raise
