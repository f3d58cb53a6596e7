"""Provides the per-node replication state machine as pure reducers (SYNC.md).

``SyncState`` takes messages, confirmations and clock ticks (``now``: unix time in ns) and
returns effects for its I/O shell to carry out in list order. It routes each message to
its context's ``ContextSync`` and answers requests itself. Reading the store is injected
(``lookup``, ``snapshot_of``), as is delta validation (``verify``), so no I/O happens here.

A shell's loop, in short::

    for effect in sync.handle(message, now):      # also: tick(now), announce(now)
        match effect:
            case ApplyDeltas(context, deltas):
                dag = sync.dag(context)
                for delta in deltas:
                    if not dag.is_applying(delta.id):
                        continue                   # abandoned after an earlier failure
                    try:
                        writes = runtime.apply(delta)
                    except AppError as exc:
                        run(sync.apply_failed(context, delta.id, str(exc)))
                        continue
                    store.write(writes, delta, heads=dag.heads_after(delta))  # one batch
                    sync.applied(context, delta)
            case SendFetch(peer, request): bus.send(peer, request)
            case RequestSnapshot(peer, request): bus.send(peer, request)
            case Reply(to, message): bus.send(to, message)
            case Publish(message): bus.publish(message)
            case InstallSnapshot(snapshot): store.install(snapshot)  # one batch
            case Log(level, text): log.log(level, text)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from logging import DEBUG, ERROR
from typing import Generic

from calimero_devnet.errors import ContextNotFound
from calimero_devnet.ids import to_b58
from calimero_devnet.node.sync.context import ContextSync, SyncConfig
from calimero_devnet.node.sync.dag import CausalDag
from calimero_devnet.node.sync.messages import (
    D,
    DeltaBroadcast,
    Effect,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    Log,
    Message,
    Publish,
    Reply,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)

__all__ = ["SyncConfig", "SyncState"]


class SyncState(Generic[D]):
    """One node's replication state over all its contexts."""

    def __init__(
        self,
        config: SyncConfig,
        *,
        verify: Callable[[bytes, D], str | None],
        lookup: Callable[[bytes, bytes], D | None],
        snapshot_of: Callable[[bytes], Snapshot | None],
    ) -> None:
        """Create the state with its injected reads.

        Args:
            config: the node's settings.
            verify: ``(context, delta)`` → why the delta is invalid (bad id, bad signature,
                author not a member, wrong context), or None if it is valid.
            lookup: ``(context, delta id)`` → the applied delta from the store, or None.
            snapshot_of: ``context`` → a snapshot of its stored state, or None.
        """
        self._config = config
        self._verify = verify
        self._lookup = lookup
        self._snapshot_of = snapshot_of
        self._contexts: dict[bytes, ContextSync[D]] = {}

    # contexts
    def open_context(
        self, context: bytes, applied: Iterable[bytes] = (), heads: Iterable[bytes] = ()
    ) -> None:
        """Track a context this node has state for (restored from the store, or new)."""
        self._contexts[context] = ContextSync(
            context, self._config, self._verify, applied=applied, heads=heads
        )

    def join_context(self, context: bytes, peers: Iterable[str], now: int) -> list[Effect[D]]:
        """Start joining a context with history: ask ``peers`` for a snapshot, in turn.

        More peers are learned from heads announcements. Deltas heard before the snapshot
        are kept and applied after it.
        """
        state: ContextSync[D] = ContextSync(context, self._config, self._verify, joining=True)
        assert state.joining is not None
        for peer in peers:
            state.joining.add_peer(peer)
        self._contexts[context] = state
        return state.joining.ask(now)

    def close_context(self, context: bytes) -> None:
        """Stop tracking a context (it was deleted or left)."""
        self._contexts.pop(context, None)

    def dag(self, context: bytes) -> CausalDag[D]:
        """The DAG of a tracked context (``heads_after``, ``is_applying``, statistics).

        Raises:
            ContextNotFound: the context is not tracked.
        """
        return self._context(context).dag

    def joining(self, context: bytes) -> bool:
        """True while the context waits for its snapshot."""
        return self._context(context).joining is not None

    def tracked(self) -> list[bytes]:
        """Every context tracked (stored or being joined)."""
        return list(self._contexts)

    def pace(self, context: bytes, period: int) -> None:
        """Announce the heads of ``context`` every ``period`` ns (``announce_period``)."""
        state = self._contexts.get(context)
        if state is not None:
            state.announce_period = period

    def snapshot_asked(self, context: bytes) -> frozenset[str]:
        """The peers asked for a snapshot of ``context`` that have not answered yet."""
        state = self._contexts.get(context)
        joining = None if state is None else state.joining
        return frozenset() if joining is None else joining.waiting_for

    # confirmations from the shell
    def local_delta(self, context: bytes, delta: D) -> list[Effect[D]]:
        """A local write is persisted with ``heads_after(delta)``: record and publish it."""
        self.dag(context).mark_applied(delta)
        return [Publish(DeltaBroadcast(self._config.node, context, delta))]

    def applied(self, context: bytes, delta: D) -> None:
        """A ready delta is persisted (state, delta and ``heads_after`` in one batch)."""
        self.dag(context).mark_applied(delta)

    def apply_failed(self, context: bytes, delta_id: bytes, reason: str) -> list[Effect[D]]:
        """Applying a ready delta failed before its batch was written: forget it for now."""
        dropped = self.dag(context).abandon(delta_id)
        text = (
            f"could not apply delta {to_b58(delta_id)} of context {to_b58(context)}: {reason}; "
            f"it and {max(len(dropped) - 1, 0)} delta(s) built on it will be fetched again"
        )
        return [Log(ERROR, text)]

    # inputs
    def handle(self, message: Message[D], now: int) -> list[Effect[D]]:
        """React to one message from the bus."""
        if message.sender == self._config.node:
            return []  # our own publication, echoed back by the broker
        state = self._contexts.get(message.context)
        if state is None:
            name, where = type(message).__name__, to_b58(message.context)
            return [Log(DEBUG, f"ignored {name} from {message.sender} for unknown context {where}")]
        return self._dispatch(state, message, now) + state.fetches(now)

    def tick(self, now: int) -> list[Effect[D]]:
        """Periodic work of every context; call it at least every announce period."""
        return [effect for state in self._contexts.values() for effect in state.tick(now)]

    def announce(self, now: int) -> list[Effect[D]]:
        """Announce the heads of every context now (on connect and reconnect)."""
        return [effect for state in self._contexts.values() for effect in state.announce(now)]

    # reducers
    def _dispatch(self, state: ContextSync[D], message: Message[D], now: int) -> list[Effect[D]]:
        match message:
            case DeltaBroadcast():
                return state.take(message.sender, (message.delta,), now)
            case FetchResponse():
                for delta_id in message.not_found:
                    state.fetch.not_found(delta_id, message.sender)
                return state.take(message.sender, message.deltas, now)
            case HeadsAnnouncement():
                return state.on_heads(message, now)
            case SnapshotResponse():
                return state.on_snapshot(message, now)
            case FetchRequest():
                return [self._serve_fetch(message)]
            case SnapshotRequest():
                return [Reply(message.reply_to, self._snapshot_answer(state))]

    def snapshot_answer(self, context: bytes) -> SnapshotResponse | None:
        """The answer to a snapshot request for ``context`` (None: not tracked here).

        It is the same for every asker, so a shell may build it once for many requests.
        """
        state = self._contexts.get(context)
        return None if state is None else self._snapshot_answer(state)

    def _snapshot_answer(self, state: ContextSync[D]) -> SnapshotResponse:
        snapshot = None if state.joining else self._snapshot_of(state.context)
        return SnapshotResponse(self._config.node, state.context, snapshot)

    def _serve_fetch(self, request: FetchRequest) -> Reply[D]:
        found: list[D] = []
        not_found: list[bytes] = []
        for delta_id in request.ids[: self._config.max_ids_per_request]:
            delta = self._lookup(request.context, delta_id)
            if delta is None:
                not_found.append(delta_id)
            else:
                found.append(delta)
        answer = FetchResponse(self._config.node, request.context, tuple(found), tuple(not_found))
        return Reply(request.reply_to, answer)

    def _context(self, context: bytes) -> ContextSync[D]:
        state = self._contexts.get(context)
        if state is None:
            raise ContextNotFound(f"sync tracks no context {to_b58(context)}: open or join it")
        return state
