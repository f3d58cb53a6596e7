"""Provides the replication engine: the I/O shell of ``SyncState`` on the core's worker thread.

Every method runs on the one thread that owns the ``NodeCore`` (``rpc/worker.py``), so the
sync core, the store and the commit listener never race. A method is one *job*: it feeds
messages or ticks to the sync core, carries out the store effects (apply deltas, install a
snapshot), and hands everything else (sends, broadcasts, feed events) to ``sink`` in order.
Local commits reach the engine through the core's commit listener, also on that thread.

What many messages of one job ask for is done once, at the job's end: the snapshot
requests of a batch get one snapshot (``_serve_snapshots``), the joiners admitted get one
member-list broadcast (``Membership.flush``), and the introductions heard get one heads
announcement. Thirty nodes joining at once then cost the member serving them a few
batches, not thirty snapshots, thirty lists and thirty announcements.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from calimero_devnet.errors import ContextNotFound, DevnetError, NodeError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.blobs.messages import BlobAnnouncement, BlobRequest, BlobResponse
from calimero_devnet.node.bus.transport import BusMessage
from calimero_devnet.node.replication.app_fetch import AppFetch
from calimero_devnet.node.replication.apply import DeltaApplier
from calimero_devnet.node.replication.feed import (
    app_event,
    authored,
    feed_event,
    pending,
    state,
)
from calimero_devnet.node.replication.join import JoinFlow
from calimero_devnet.node.replication.members import Membership
from calimero_devnet.node.replication.outbox import Outbox, Sink
from calimero_devnet.node.replication.reads import StoreReads
from calimero_devnet.node.replication.screen import Screen
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.invitation import Invitation
from calimero_devnet.node.state.results import CommitNotice
from calimero_devnet.node.sync.apps import AppRequest, AppResponse
from calimero_devnet.node.sync.dag import CausalDag
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import (
    ApplyDeltas,
    DeltaBroadcast,
    Effect,
    InstallSnapshot,
)
from calimero_devnet.node.sync.protocol import SyncConfig, SyncState

log = logging.getLogger(__name__)

MEMBER_LISTS_EVERY = 3  # announcement periods between rounds of member work
LIST_ROUNDS = 5  # rounds between re-broadcasts of member lists (each one reaches every node)


class ReplicaEngine:
    """One node's replication over all its contexts (construct it on the worker thread)."""

    def __init__(self, core: NodeCore, sink: Sink, config: SyncConfig | None = None) -> None:
        """Track every stored context and listen to the core's commits.

        Args:
            core: the node's core (this engine must only run on its worker thread).
            sink: receives each job's outgoing actions, in order.
            config: sync settings; default: named after the core, the clock's future limit.
        """
        self.config = config or SyncConfig(node=core.name)
        self.core = core
        self._store = core.store
        self._sink = sink
        self._out = Outbox()
        self.members = Membership(core.store, core.identity, self.config.node, self._out)
        self._reads = StoreReads(core, self.members, self._out)
        self.sync: SyncState[CausalDelta] = SyncState(
            self.config,
            verify=self._reads.verify,
            lookup=self._reads.lookup,
            snapshot_of=self._reads.snapshot_of,
        )
        self.applier = DeltaApplier(core, self.sync, self._out)
        self.joins = JoinFlow(core, self.sync, self.members, self._out)
        self._reads.joins = self.joins
        self.apps = AppFetch(core, self.config.node, self._out)
        self.joins.fetch = self.apps
        self.screen = Screen(
            self.config,
            (self.members, self.joins, self._reads, self.applier.backoff),
            self._out,
            self.dag_of,
            lambda now: self._run(self.sync.announce(now), "", now),
        )
        self._busy = 0
        self._introduced: int | None = None  # when a joiner introduced itself this job
        self._touched: set[bytes] = set()
        self._shown: dict[bytes, tuple[tuple[bytes, ...], bytes | None]] = {}
        self._members_at = 0
        self._member_rounds = 0
        self._broken: set[bytes] = set()
        with self._job():
            self._discover()
        core.subscribe(self._on_commit)

    # jobs
    def handle(self, messages: Iterable[BusMessage], now: int) -> None:
        """Take messages from the bus (a batch, in arrival order)."""
        with self._job():
            for message in messages:
                try:
                    self._handle_one(message, now)
                except Exception as exc:  # one bad message must not stop the others
                    log.exception("handling %s from %s failed", type(message).__name__,
                                  message.sender)  # fmt: skip
                    self._out.log(logging.ERROR, f"internal error on a message: {exc!r}")

    def tick(self, now: int) -> None:
        """Periodic work: retries, announcements, joins, new contexts, member lists."""
        with self._job():
            self._discover()
            self._pace(now)
            self._run(self.sync.tick(now), "", now)
            if now - self._members_at >= MEMBER_LISTS_EVERY * self.config.announce_every:
                self._members_at = now
                self._member_rounds += 1
                self.members.announce(lists=self._member_rounds % LIST_ROUNDS == 1)
                self.joins.introduce_again()

    def announce(self, now: int) -> None:
        """Announce heads and member lists now (on connect and when asked to sync)."""
        with self._job():
            self._run(self.sync.announce(now), "", now)
            self.members.announce()

    def join(self, context: bytes, now: int) -> str:
        """Start joining ``context``: ``started``, or ``member`` / ``joining`` (nothing to do)."""
        with self._job():
            return self.joins.start(context, now)

    def cancel_join(self, context: bytes, reason: NodeError) -> None:
        """Give up joining ``context``."""
        with self._job():
            self.joins.cancel(context, reason)

    def fetch_app(self, application: bytes, context: bytes, peer: str) -> None:
        """Ask ``peer`` for an app this node lacks (ends in an ``AppSettled``)."""
        with self._job():
            self.apps.request(application, context, peer)

    def cancel_fetch(self, application: bytes) -> None:
        """Stop waiting for an app fetch."""
        with self._job():
            self.apps.cancel(application)

    def members_changed(self, context: bytes) -> None:
        """An invitation grew a context's member list in the store: broadcast it."""
        with self._job():
            self.members.changed(context)

    def admit_invited(self, invitation: Invitation) -> None:
        """After joining by ``invitation``, make sure its invitee is a member here too.

        The inviter's own node granted it already; a snapshot served by a member that had
        not heard of that yet lacks it, and the invitation (signed by a member) proves it.
        """
        with self._job():
            members = self.members.members(invitation.context)
            if members is not None and invitation.inviter in members:
                self.members.grant(invitation.context, invitation.invitee)

    def delete(self, context: bytes) -> None:
        """Delete ``context`` from the store and forget it: its DAG, joins, topics, members.

        Raises:
            ContextNotFound: the node has no such context.
        """
        with self._job():
            self.core.delete_context(context)
            self.sync.close_context(context)
            self.members.forget(context)
            self._shown.pop(context, None)
            self._touched.discard(context)
            self._broken.discard(context)
            self._out.watch(context, on=False)

    # reads
    def pending_count(self, context: bytes) -> int:
        """Deltas of ``context`` waiting for their parents here (0 if not replicated)."""
        dag = self.dag_of(context)
        return 0 if dag is None else dag.statistics().pending

    def join_in_progress(self, context: bytes, now: int, within: int) -> bool:
        """True while a peer asked for a snapshot of ``context`` announced it within
        ``within`` ns: it is up and has the context, so its answer is worth waiting for."""
        heard = (self.screen.peers.heard_at(context, p) for p in self.sync.snapshot_asked(context))
        return any(at is not None and now - at <= within for at in heard)

    def tracks(self, context: bytes) -> bool:
        """True if the sync core follows ``context`` (stored, or being joined)."""
        try:
            self.sync.dag(context)
        except ContextNotFound:
            return False
        return True

    def dag_of(self, context: bytes) -> CausalDag[CausalDelta] | None:
        """The DAG of a replicated context (None: not tracked, or still joining)."""
        if not self.tracks(context) or self.sync.joining(context):
            return None
        return self.sync.dag(context)

    # message handling
    def _handle_one(self, message: BusMessage, now: int) -> None:
        self._reads.sender = message.sender
        if isinstance(message, BlobAnnouncement | BlobRequest | BlobResponse):
            return  # the Replicator hands these to the BlobNetwork on the event loop
        if isinstance(message, MembersUpdate):
            if self.members.on_update(message):  # a joiner: show it our heads without delay
                self._introduced = now
            return
        if isinstance(message, AppRequest):
            self.apps.on_request(message)
            return
        if isinstance(message, AppResponse):
            ended = self.apps.on_response(message)
            for held in self.joins.resume(*ended) if ended is not None else ():
                self._touched.add(held.context)
                self._run(self.sync.handle(held, now), held.sender, now)
            return
        screened = self.screen.check(message, now)
        if screened is None:
            return
        self._touched.add(message.context)
        self._run(self.sync.handle(screened, now), message.sender, now)
        if isinstance(screened, DeltaBroadcast):
            self._report_pending(screened)

    def _run(self, effects: list[Effect[CausalDelta]], sender: str, now: int) -> None:
        for effect in self._out.route(effects):
            match effect:
                case ApplyDeltas(context, deltas) if self.tracks(context):
                    self.applier.apply(context, deltas, sender, now)
                    self._touched.add(context)
                case InstallSnapshot(snapshot):
                    self.joins.install(snapshot, sender)
                    self._touched.add(snapshot.context)
                    if snapshot.context not in self.joins.joining:
                        self._run(self.sync.announce(now), "", now)

    def _report_pending(self, message: DeltaBroadcast[CausalDelta]) -> None:
        context, delta = message.context, message.delta
        if not self.tracks(context) or self.sync.joining(context):
            return
        dag = self.sync.dag(context)
        if dag.is_pending(delta.id):
            missing = [p for p in delta.parents if not dag.is_known(p)]
            self._out.feed(pending(context, message.sender, delta.id, missing))

    # local commits (worker thread, inside an RPC call or a handler run)
    def _on_commit(self, notice: CommitNotice) -> None:
        delta = notice.delta
        if self.applier.remote or delta is None:
            return
        context = delta.context_id
        with self._job():
            if not self.tracks(context):
                applied = set(self._store.applied_ids(context)) - {delta.id}
                self._open(context, applied, delta.parents)
            try:
                self._out.route(self.sync.local_delta(context, delta))
            except (ValueError, DevnetError) as exc:  # DAG and store disagree: trust the store
                self._out.log(logging.ERROR, f"local delta not tracked ({exc}); reloading")
                self.sync.close_context(context)
                self._discover()
                return
            names = self.core.collection_names(context)
            self._out.feed(authored(delta, notice.root_hash, names))
            for event in delta.events:
                self._out.feed(app_event(delta, event, "local"))
            self._shown[context] = ((delta.id,), notice.root_hash)  # ``authored`` said it

    # helpers
    def _discover(self) -> None:
        for record in self._store.contexts():
            if not self.tracks(record.id):
                self._open(record.id, self._store.applied_ids(record.id), record.heads)

    def _open(self, context: bytes, applied: Iterable[bytes], heads: Iterable[bytes]) -> None:
        if context in self._broken:
            return
        try:
            self.sync.open_context(context, applied, heads)
        except DevnetError as exc:  # logged once; the context stays local-only
            self._broken.add(context)
            self._out.log(logging.ERROR, f"context {to_b58(context)} is not replicated: {exc}")
            return
        self._out.watch(context)

    def _pace(self, now: int) -> None:
        for context in self.sync.tracked():
            self.sync.pace(context, self.screen.period(context, now))

    def _serve_snapshots(self) -> None:
        for context, requests in self.screen.take_snapshot_asks().items():
            try:
                answer = self.sync.snapshot_answer(context)
            except Exception as exc:  # e.g. a store error: the other contexts are still served
                log.exception("serving a snapshot of %s failed", to_b58(context))
                self._out.log(logging.ERROR, f"serving a snapshot failed: {exc!r}")
                continue
            if answer is None:
                continue  # not a context we replicate
            snapshot = answer.snapshot
            for request in requests:  # the very same answer: the transport encodes it once
                self._out.send(request.reply_to, answer)
                if snapshot is not None:
                    self._out.feed(feed_event(
                        "served", context, to=request.sender, entries=len(snapshot.entries),
                        applied=len(snapshot.applied),
                    ))  # fmt: skip

    def _finish_job(self) -> None:
        if self._introduced is not None:  # one announcement shows every joiner our heads
            now, self._introduced = self._introduced, None
            self._run(self.sync.announce(now), "", now)
        self._serve_snapshots()
        self.members.flush()
        self._show_states()

    @contextmanager
    def _job(self) -> Iterator[None]:
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy:
                self._finish_job()
                items = self._out.take()
                if items:
                    self._sink(items)

    def _show_states(self) -> None:
        for context in self._touched:
            record = self._store.context(context)
            if record is None:
                continue
            shown = (tuple(record.heads), record.root_hash)
            if self._shown.get(context) != shown:
                self._shown[context] = shown
                waiting = self.pending_count(context)
                self._out.feed(state(context, record.heads, record.root_hash, waiting))
        self._touched.clear()
