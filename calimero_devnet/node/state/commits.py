"""Provides the commit path: one finished call → one atomic store batch → one notice.

Three kinds of commit, each written as a single batch (state writes, private writes,
delta, context record, clock) so a crash leaves nothing half-done:

- ``local``: a method call of this node; a committed call (or a JS call that changed host
  collections, see ``js_apps``) becomes a signed delta whose parents are the current heads,
  and the heads collapse to that delta.
- ``applied``: a local ``__calimero_sync_next`` call; its writes and root are kept, but its
  artifact never becomes a delta (HOST-ABI §5.7).
- ``RemoteRun``: peers' deltas replayed through ``__calimero_sync_next``
  (``wasm-artifact``) or merged by the host (``host-actions``), and filed in the DAG; a
  run of them (a catch-up's batch) is one store batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.calls import SYNC_NEXT, CallSeat, RanCall, run_call, stage_call
from calimero_devnet.node.state.delta import CausalDelta, DeltaKind, create_delta, encode
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.js_apps import commit_of, merge_host_actions
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.results import CommitNotice
from calimero_devnet.node.state.staged import StagedStore
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.state.store_batch import StoreBatch

log = logging.getLogger(__name__)

Listener = Callable[[CommitNotice], None]


class CommitWriter:
    """Persists commits for one node and tells its listeners about them."""

    def __init__(self, seat: CallSeat, identity: NodeIdentity, store: NodeStore) -> None:
        """Write into ``store`` (the one ``seat`` reads); sign deltas as ``identity``."""
        self.seat = seat
        self.store = store
        self.identity = identity
        self.listeners: list[Listener] = []

    def local(
        self,
        record: ContextRecord,
        ran: RanCall,
        *,
        new: bool = False,
        signer: NodeIdentity | None = None,
    ) -> tuple[ContextRecord, CausalDelta | None]:
        """Persist a local call; return the context record after it and its delta, if any.

        ``new`` means the record is not stored yet (context creation): store it either way.
        ``signer`` authors the delta (default: the node's identity).
        """
        out = ran.outcome
        batch = self.store.batch()
        stage_call(batch, record.id, ran)
        ran.collections.stage(batch, record.id)
        commit = commit_of(out, ran.collections)
        delta = None
        if commit is not None:
            delta = create_delta(
                signer or self.identity, context_id=record.id, parents=record.heads,
                hlc=self.seat.clock.hlc(), payload=commit.payload, events=out.events,
                max_time_now=out.max_time_now, kind=commit.kind,
            )  # fmt: skip
            record = record.model_copy(
                update={"heads": [delta.id], "root_hash": commit.root_hash,
                        "delta_count": record.delta_count + 1}
            )  # fmt: skip
            batch.put_delta(record.id, delta.id, encode(delta))
        if delta is not None or new:
            batch.put_context(record)
        self.write(batch)
        if delta is not None:
            self.notify(CommitNotice(record.id, record.root_hash, delta.events, delta))
        return record, delta

    def applied(self, record: ContextRecord, ran: RanCall) -> ContextRecord:
        """Persist a local ``__calimero_sync_next`` call: writes and root, no delta."""
        out = ran.outcome
        batch = self.store.batch()
        stage_call(batch, record.id, ran)
        if out.committed:
            record = record.model_copy(update={"root_hash": out.root_hash, "initialized": True})
            batch.put_context(record)
        self.write(batch)
        if out.committed:
            self.notify(CommitNotice(record.id, record.root_hash, tuple(out.events), None))
        return record

    def notify(self, notice: CommitNotice) -> None:
        """Tell every listener; a failing listener is logged and never breaks the node."""
        for listener in list(self.listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("commit listener %r failed", listener)

    def write(self, batch: StoreBatch) -> None:
        """Write ``batch`` with the clock's last value (nothing if it is empty)."""
        if len(batch) == 0:
            return
        batch.put_clock(self.seat.clock.last)
        self.store.write(batch)


class RemoteRun:
    """Peer deltas of one context applied one after another and written as one batch.

    Each delta is replayed through ``__calimero_sync_next`` (``wasm-artifact``) or merged in
    the host (``host-actions``, see ``js_apps``) over the state the ones before it staged;
    ``commit`` writes their writes, the deltas and the context record after the last of them
    (heads, root, count) in one atomic batch, then tells the listeners, in order. Event
    handlers are not run here: that is the sync layer's decision. A wasm-artifact delta
    whose replay fails stages nothing, but the clock has observed its HLC (as it has for
    one applied alone): the replay may read ``time_now``.
    """

    def __init__(self, writer: CommitWriter, record: ContextRecord, app: Any) -> None:
        """Apply over ``record``'s context in ``writer``'s store, with its loaded ``app``."""
        self._writer = writer
        self._staged = StagedStore(writer.store)
        self._seat = replace(writer.seat, store=self._staged)
        self._record = record
        self._after: dict[str, Any] = {}  # the record's updates by the staged deltas
        self._heads = set(record.heads)
        self._app = app
        self.notices: list[CommitNotice] = []

    def apply(self, delta: CausalDelta) -> bool:
        """Stage a verified delta whose parents are applied; False if it is already known.

        Raises:
            ValueError: a parent of the delta has not been applied (the caller keeps it
                pending until its parents arrive).
            FunctionCallError: the app cannot apply it (nothing of it is staged).
            ParseError: a ``host-actions`` payload is malformed or forged (nothing staged).
        """
        store, ctx = self._staged, self._record.id
        if store.has_applied(ctx, delta.id):
            return False
        missing = [p for p in delta.parents if not store.has_applied(ctx, p)]
        if missing:
            raise ValueError(
                f"delta {to_b58(delta.id)} of context {to_b58(ctx)} has unapplied parents "
                f"{[to_b58(p) for p in missing]}: apply those first"
            )
        batch = store.batch()
        update = self._stage_payload(delta, batch)
        batch.put_delta(ctx, delta.id, encode(delta))
        store.stage(batch)
        # Only now: a delta that failed leaves the run's record as it was.
        self._heads.difference_update(delta.parents)
        self._heads.add(delta.id)
        self._after |= update
        root = self._after.get("root_hash", self._record.root_hash)
        self.notices.append(CommitNotice(ctx, root, delta.events, delta))
        return True

    def commit(self) -> list[CommitNotice]:
        """Write the staged deltas in one batch, then notify; return their notices.

        Raises:
            StoreUnavailable: the store refused the batch (none of the deltas is stored).
        """
        if self.notices:
            batch = self._staged.staged
            count = self._record.delta_count + len(self.notices)
            update = self._after | {"heads": sorted(self._heads), "delta_count": count}
            batch.put_context(self._record.model_copy(update=update))  # once, after the last
            self._writer.write(batch)
            for notice in self.notices:
                self._writer.notify(notice)
        return self.notices

    def _stage_payload(self, delta: CausalDelta, batch: StoreBatch) -> dict[str, Any]:
        """Stage the state changes of a peer's delta; return the context record's updates."""
        clock, ctx = self._seat.clock, self._record.id
        if delta.kind is DeltaKind.HOST_ACTIONS:
            merged = merge_host_actions(self._staged.state_reader(ctx), delta)
            clock.observe(max(delta.hlc.time, delta.max_time_now))  # only once it is accepted
            merged.stage(batch, ctx)
            return {"root_hash": merged.root_hash, "initialized": True}
        clock.observe(max(delta.hlc.time, delta.max_time_now))
        ran = self._replay(delta)
        if ran is None:
            return {}
        stage_call(batch, ctx, ran)
        if not ran.outcome.committed:
            return {}
        return {"root_hash": ran.outcome.root_hash, "initialized": True}

    def _replay(self, delta: CausalDelta) -> RanCall | None:
        if not delta.payload:
            return None  # an empty artifact applies nothing (HOST-ABI §5.7)
        if not self._app.has_sync_next:
            raise FunctionCallError(
                f"cannot apply delta {to_b58(delta.id)} to context {to_b58(self._record.id)}: "
                f"its app exports no {SYNC_NEXT}"
            )
        return run_call(self._seat, self._app, self._record.id, SYNC_NEXT, delta.payload)
