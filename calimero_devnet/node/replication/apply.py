"""Provides the apply step of replication: peer deltas into the core, handlers, back-off.

A delta whose apply fails is forgotten by the DAG (it comes back through heads
announcements); ``Backoff`` then refuses copies of it for a growing while (1 s, 2 s, 4 s …
up to a minute), so a delta that can never apply costs a few attempts a minute, not a hot
loop. Handlers named by ``emit_with_handler`` events run here, on receivers only: the
author's commit listener never sees remote commits.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from calimero_devnet.errors import NodeError
from calimero_devnet.node.replication.feed import app_event, applied, failed, handler_ran
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.dag import SECOND
from calimero_devnet.node.sync.messages import Log
from calimero_devnet.node.sync.protocol import SyncState

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1 * SECOND
MAX_BACKOFF = 60 * SECOND
MAX_TRACKED_FAILURES = 10_000
RUN_LIMIT = 256  # peer deltas written in one store batch
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a step of a run failed (the node goes on)."""

    reason: str


class Backoff:
    """Failed delta ids and until when copies of them are refused."""

    def __init__(self, first: int = FIRST_BACKOFF, cap: int = MAX_BACKOFF) -> None:
        """Wait ``first`` ns after the first failure, doubling up to ``cap``."""
        self._first = first
        self._cap = cap
        self._failures: dict[bytes, tuple[int, int]] = {}  # id -> (attempts, refused until)

    def blocked(self, delta_id: bytes, now: int) -> bool:
        """True while copies of ``delta_id`` are refused."""
        entry = self._failures.get(delta_id)
        return entry is not None and now < entry[1]

    def record(self, delta_id: bytes, now: int) -> tuple[int, int]:
        """Note a failure; return (attempts so far, ns until the next attempt)."""
        attempts = self._failures.pop(delta_id, (0, 0))[0] + 1
        wait = min(self._cap, self._first << min(attempts - 1, 30))
        self._failures[delta_id] = (attempts, now + wait)
        if len(self._failures) > MAX_TRACKED_FAILURES:
            del self._failures[next(iter(self._failures))]
        return attempts, wait

    def clear(self, delta_id: bytes) -> None:
        """Forget ``delta_id`` (it applied)."""
        self._failures.pop(delta_id, None)


class DeltaApplier:
    """Applies ready peer deltas through the core, then runs their events' handlers."""

    def __init__(self, core: NodeCore, sync: SyncState[CausalDelta], out: Outbox) -> None:
        """Apply into ``core``, confirm to ``sync``, report into ``out``."""
        self._core = core
        self._sync = sync
        self._out = out
        self.backoff = Backoff()
        self.remote = False  # True while the core commits a peer's delta

    def apply(self, context: bytes, deltas: tuple[CausalDelta, ...], sender: str, now: int) -> None:
        """Apply ``deltas`` in order; skip those abandoned after an earlier failure.

        Each ``RUN_LIMIT`` of them is written as one store batch (a catch-up's reply is a
        few writes, not hundreds); a delta is confirmed to the DAG and fed only once its
        batch is written, and the handlers of its events run after every delta of
        ``deltas`` was, as they did when each delta was its own batch.
        """
        handlers: list[tuple[CausalDelta, Event]] = []
        for start in range(0, len(deltas), RUN_LIMIT):
            done = self._apply_run(context, deltas[start : start + RUN_LIMIT], now)
            handlers += self._confirm(context, done, sender)
        for delta, event in handlers:
            self._run_handler(delta, event)

    def _apply_run(
        self, context: bytes, deltas: tuple[CausalDelta, ...], now: int
    ) -> list[CausalDelta]:
        """Stage ``deltas`` into one batch and write it; return those now part of the state.

        A delta that fails is failed at once (the DAG abandons those built on it, which
        are then skipped). If the run cannot start or its write is refused, the deltas it
        would have written fail (the first of a chain; the DAG drops the rest with it).
        """
        run = self._attempt(lambda: self._core.remote_run(context), "starting a run")
        if isinstance(run, Refused):
            self._fail_all(context, deltas, run.reason, now)
            return []
        dag = self._sync.dag(context)
        known: set[bytes] = set()  # applied before: nothing of them to write
        staged: set[bytes] = set()
        for delta in deltas:
            if not dag.is_applying(delta.id):
                continue
            fresh = self._attempt(functools.partial(run.apply, delta), "applying delta %r", delta)
            if isinstance(fresh, Refused):
                self._failed(context, delta, fresh.reason, now)
            else:
                (staged if fresh else known).add(delta.id)
        written = self._attempt(run.commit, "writing applied deltas") if staged else None
        if isinstance(written, Refused):
            self._fail_all(context, (d for d in deltas if d.id in staged), written.reason, now)
            staged.clear()
        return [delta for delta in deltas if delta.id in known or delta.id in staged]

    def _fail_all(
        self, context: bytes, deltas: Iterable[CausalDelta], problem: str, now: int
    ) -> None:
        dag = self._sync.dag(context)
        for delta in deltas:
            if dag.is_applying(delta.id):
                self._failed(context, delta, problem, now)

    def _confirm(
        self, context: bytes, done: list[CausalDelta], sender: str
    ) -> list[tuple[CausalDelta, Event]]:
        """Tell the DAG and the feed about applied deltas; return the handlers to run."""
        handlers: list[tuple[CausalDelta, Event]] = []
        for delta in done:
            self._sync.applied(context, delta)
            self.backoff.clear(delta.id)
            for event in delta.events:
                self._out.feed(app_event(delta, event, "remote"))
                if event.handler:
                    handlers.append((delta, event))
        if done:
            self._out.feed(applied(context, sender, [delta.id for delta in done]))
        return handlers

    def _attempt(self, step: Callable[[], T], what: str, *args: object) -> T | Refused:
        """Run one step of a run as a peer's commit: its result, or why it failed.

        ``what % args`` names the step in the log if it crashes (formatted only then).
        """
        try:
            with self._as_remote():
                return step()
        except (NodeError, ValueError) as exc:
            return Refused(str(exc))
        except Exception as exc:  # a bug or a broken store: keep replicating other deltas
            log.exception(f"{what} crashed", *args)
            return Refused(f"internal error: {type(exc).__name__}: {exc} (see node.log)")

    def _failed(self, context: bytes, delta: CausalDelta, reason: str, now: int) -> None:
        for effect in self._sync.apply_failed(context, delta.id, reason):
            if isinstance(effect, Log):
                log.log(effect.level, "%s", effect.text)
        attempts, wait = self.backoff.record(delta.id, now)
        self._out.feed(failed(context, delta.id, reason, attempts, wait // 1_000_000))

    def _run_handler(self, delta: CausalDelta, event: Event) -> None:
        assert event.handler is not None
        error: str | None = None
        try:
            self._core.execute(delta.context_id, event.handler, event.data)
        except NodeError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("handler %s of delta %r crashed", event.handler, delta)
            error = f"internal error: {type(exc).__name__}: {exc} (see node.log)"
        if error is not None:
            log.warning("handler %s for delta %r failed: %s", event.handler, delta, error)
        self._out.feed(handler_ran(delta, event.handler, error))

    @contextmanager
    def _as_remote(self) -> Iterator[None]:
        self.remote = True
        try:
            yield
        finally:
            self.remote = False
