"""Provides the reads ``SyncState`` is given: delta validation, delta lookup, snapshots.

They run inside ``SyncState.handle`` on the core's worker thread. ``sender`` names the
peer whose message is being handled, so rejections say who.
"""

from __future__ import annotations

import logging

from calimero_devnet.errors import ParseError
from calimero_devnet.node.replication.feed import rejected
from calimero_devnet.node.replication.join import JoinFlow
from calimero_devnet.node.replication.members import Membership
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.replication.snapshot import export_snapshot
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta, decode, verify
from calimero_devnet.node.sync.messages import Snapshot

log = logging.getLogger(__name__)


class StoreReads:
    """``verify``, ``lookup`` and ``snapshot_of`` over one node's store."""

    def __init__(self, core: NodeCore, members: Membership, out: Outbox) -> None:
        """Read ``core``'s store (the sync core itself refuses HLCs too far ahead)."""
        self._core = core
        self._members = members
        self._out = out
        self.joins: JoinFlow | None = None  # set once the join flow exists
        self.sender = ""

    def verify(self, context: bytes, delta: CausalDelta) -> str | None:
        """Why ``delta`` is invalid for ``context`` (and a ``rejected`` feed event), or None."""
        members = self._members.members(context)
        if members is None and self.joins is not None:
            members = self.joins.members_staged(context)
        try:
            if delta.context_id != context:
                raise ParseError(f"it names context {delta.context_id.hex()[:16]}…")
            # Joining with no snapshot yet: check id and signature now, members at install.
            verify(delta, members if members is not None else (delta.author,))
        except ParseError as exc:
            self._out.feed(rejected(context, self.sender, delta, str(exc)))
            return str(exc)
        return None

    def lookup(self, context: bytes, delta_id: bytes) -> CausalDelta | None:
        """A stored delta body (applied-id markers have none, so they are never served)."""
        raw = self._core.store.delta(context, delta_id)
        try:
            return None if raw is None else decode(raw)
        except ParseError:
            log.exception("stored delta %s does not decode", delta_id.hex())
            return None

    def snapshot_of(self, context: bytes) -> Snapshot | None:
        """A snapshot of ``context`` for a joiner (the engine reports whom it served)."""
        return export_snapshot(self._core.store, context)
