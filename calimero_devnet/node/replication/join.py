"""Provides the joiner's side of a join: start, check the snapshot, install it, settle.

Joining never runs ``init`` (HOST-ABI §5.8): the joiner watches the context, introduces its
key, and asks whoever announces heads for a snapshot (``SyncState.join_context``). A
snapshot of an app that is not installed here is held while the app is fetched from the
snapshot's sender (``app_fetch``); once it is installed the snapshot goes on to the sync
core, and if the sender cannot give it the join ends with an error naming the app.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from calimero_devnet.errors import ApplicationNotFound, NodeError, ParseError, StoreError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication.app_fetch import AppFetch
from calimero_devnet.node.replication.feed import feed_event
from calimero_devnet.node.replication.members import Membership
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.replication.snapshot import (
    JoinInfo,
    install_snapshot,
    newest_time,
    read_join_info,
)
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.messages import Snapshot, SnapshotResponse
from calimero_devnet.node.sync.protocol import SyncState


class JoinFailed(NodeError):
    """A join ended without a usable snapshot."""

    type_name = "JoinFailed"
    http_status = 502


class JoinFlow:
    """The contexts this node is joining, and what their snapshots said."""

    def __init__(
        self, core: NodeCore, sync: SyncState[CausalDelta], members: Membership, out: Outbox
    ) -> None:
        """Join through ``sync``; install into ``core``'s store; report into ``out``."""
        self._core = core
        self._sync = sync
        self._members = members
        self._out = out
        self.joining: set[bytes] = set()
        self._staged: dict[bytes, JoinInfo] = {}
        self._held: dict[bytes, tuple[bytes, SnapshotResponse]] = {}  # context -> (app, msg)
        self.fetch: AppFetch | None = None  # set once the engine has one

    def start(self, context: bytes, now: int) -> str:
        """Begin joining; return ``started``, or ``member`` / ``joining`` if nothing to do."""
        if self._core.store.context(context) is not None:
            return "member"
        if context in self.joining:
            return "joining"
        self._out.route(self._sync.join_context(context, (), now))
        self.joining.add(context)
        self._out.watch(context)
        self._members.introduce(context)
        return "started"

    def cancel(self, context: bytes, error: NodeError) -> None:
        """Abandon a join (no snapshot came, or the app is missing) and say why."""
        if context not in self.joining:
            return
        self.joining.discard(context)
        self._staged.pop(context, None)
        self._held.pop(context, None)
        self._sync.close_context(context)
        self._out.watch(context, on=False)
        self._out.log(logging.WARNING, f"join of context {to_b58(context)} failed: {error}")
        self._out.feed(feed_event("joinFailed", context, reason=str(error)))
        self._out.settle(context, error)

    def introduce_again(self) -> None:
        """Repeat our introduction to every context we are still joining."""
        for context in self.joining:
            self._members.introduce(context)

    def members_staged(self, context: bytes) -> frozenset[bytes] | None:
        """The members a checked, not yet installed snapshot lists (None: none staged)."""
        info = self._staged.get(context)
        return None if info is None else frozenset(info.members)

    def screen(self, message: SnapshotResponse) -> SnapshotResponse | None:
        """Check a snapshot before the sync core sees it; None if the join ended here."""
        context, snapshot = message.context, message.snapshot
        if context not in self.joining or snapshot is None:
            return message
        try:
            info = read_join_info(snapshot)
        except ParseError as exc:
            self._out.log(logging.WARNING, f"refused a snapshot from {message.sender}: {exc}")
            return replace(message, snapshot=None)  # the sync core asks the next peer
        if self._core.store.app(info.application_id) is None:
            if self.fetch is not None:
                self._held[context] = (info.application_id, message)
                self.fetch.request(info.application_id, context, message.sender)
                return None  # ``resume`` hands it on once the app is here
            app = to_b58(info.application_id)
            self.cancel(
                context,
                ApplicationNotFound(
                    f"context {to_b58(context)} runs application {app}, which is not installed "
                    f"on node {self._core.name}: install it first, then join again"
                ),
            )
            return None
        self._staged[context] = info
        return message

    def resume(self, application: bytes, error: NodeError | None) -> list[SnapshotResponse]:
        """A fetch of ``application`` ended: the held snapshots that may go on now."""
        ready = []
        for context, (app, message) in list(self._held.items()):
            if app != application:
                continue
            del self._held[context]
            if error is not None:
                self.cancel(context, error)
                continue
            screened = self.screen(message)
            if screened is not None:
                ready.append(screened)
        return ready

    def install(self, snapshot: Snapshot, sender: str) -> None:
        """Write a screened snapshot in one batch and end the join."""
        context = snapshot.context
        info = self._staged.pop(context, None)
        if info is None:
            self.cancel(context, JoinFailed("its snapshot was not checked before install (a bug)"))
            return
        clock = self._core.clock
        clock.observe(newest_time(info.head_deltas))  # HOST-ABI §4: outrun applied stamps
        try:
            install_snapshot(self._core.store, snapshot, info, self._core.public_key, clock.last)
        except StoreError as exc:
            self.cancel(context, JoinFailed(f"cannot install the snapshot: {exc}"))
            return
        self._members.forget(context)
        self.joining.discard(context)
        event = feed_event(
            "joined", context, **{"from": sender}, entries=len(snapshot.entries),
            applied=len(snapshot.applied), heads=len(snapshot.heads),
        )  # fmt: skip
        self._out.feed(event)
        self._out.settle(context, None)
