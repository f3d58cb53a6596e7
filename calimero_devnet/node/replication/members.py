"""Provides context membership for replication: who may author deltas, and admitting joiners.

Rules (a devnet: joining needs no invitation, but the bus cannot add members by itself):

- a ``MembersUpdate`` whose signer is a current member adds the keys it lists (lists only
  grow);
- a joiner introduces itself with an update listing its own key, signed by itself. A member
  admits it (adds the key, broadcasts the new list signed by itself) once the same node both
  introduced itself and asked this member for a snapshot, in whichever order they arrive;
- an introduction is remembered even while this node is still joining the context itself:
  a second joiner may ask *us* for the snapshot as soon as we have it;
- every member re-broadcasts its list now and then (every 15 s, ``engine.LIST_ROUNDS``,
  and at once when a peer is back from a partition), so a node that missed an update (it
  was partitioned or offline) learns the members anyway; a node whose own key is missing
  from its list (it was served before its introduction arrived) introduces itself again
  (every 3 s).

Lists this node grew are broadcast by ``flush``, once per context at the end of an engine
job, so thirty joiners admitted in one batch cost one update, not thirty. An update that
would add nothing is dropped before its signature is checked: that is the periodic
re-broadcast of a list we already hold, which every member sends every few seconds.

Runs on the core's worker thread, like everything that reads the store.
"""

from __future__ import annotations

import logging

from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication.feed import feed_event
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.sync.membership import (
    MembersUpdate,
    create_members_update,
    has_valid_signature,
)

MAX_INTRODUCTIONS = 1024  # remembered per context; the oldest are forgotten first
MAX_INTRODUCED_CONTEXTS = 256  # contexts with remembered introductions; oldest forgotten first


class Membership:
    """Member lists of this node's contexts, kept in their context records."""

    def __init__(self, store: NodeStore, identity: NodeIdentity, node: str, out: Outbox) -> None:
        """Read and write member lists in ``store``; sign as ``identity``; queue into ``out``."""
        self._store = store
        self._identity = identity
        self._node = node
        self._out = out
        self._introduced: dict[bytes, dict[str, bytes]] = {}  # context -> node name -> key
        self._asked: dict[bytes, set[str]] = {}  # context -> nodes we served a snapshot to
        self._cache: dict[bytes, frozenset[bytes]] = {}  # only this class changes members
        self._grown: set[bytes] = set()  # contexts whose list we grew, to broadcast at flush

    def members(self, context: bytes) -> frozenset[bytes] | None:
        """The members of a context this node has, or None if it has no record of it."""
        cached = self._cache.get(context)
        if cached is not None:
            return cached
        record = self._store.context(context)
        if record is None:
            return None
        self._cache[context] = members = frozenset(record.members)
        return members

    def forget(self, context: bytes) -> None:
        """Drop what is cached about ``context`` (its record was replaced)."""
        self._cache.pop(context, None)

    def grant(self, context: bytes, key: bytes) -> None:
        """Add ``key`` to a context we are a member of, and broadcast the grown list."""
        self._add(context, {key}, self._identity.public_key)

    def changed(self, context: bytes) -> None:
        """The stored list of ``context`` grew outside this class (an invitation): tell all."""
        self.forget(context)
        record = self._store.context(context)
        if record is None:
            return
        members = [to_b58(m) for m in record.members]
        self._out.feed(
            feed_event(
                "members", context, members=members, signer=to_b58(self._identity.public_key)
            )
        )
        self._cast_list(context, record.members)

    def introduce(self, context: bytes) -> None:
        """Broadcast our own key for ``context`` (we are joining it)."""
        me = self._identity.public_key
        self._out.cast(create_members_update(self._identity, self._node, context, (me,)))

    def announce(self, lists: bool = True) -> None:
        """Broadcast our member lists (unless not ``lists``); introduce ourselves where we
        are not listed yet."""
        me = self._identity.public_key
        for record in self._store.contexts():
            if me not in record.members:
                self.introduce(record.id)
            elif lists and len(record.members) > 1:
                self._cast_list(record.id, record.members)

    def share(self, context: bytes) -> None:
        """Broadcast our list of ``context`` now (a peer is back after a partition)."""
        record = self._store.context(context)
        if record is not None and len(record.members) > 1:
            self._cast_list(context, record.members)

    def on_update(self, update: MembersUpdate) -> bool:
        """Merge a received update, or note an introduction; True if it was one."""
        current = self.members(update.context)
        if current is not None and current.issuperset(update.members):
            return False  # nothing new, whoever signed it
        where = f"members update of context {to_b58(update.context)} from {update.sender}"
        if not has_valid_signature(update):
            self._out.log(logging.WARNING, f"dropped {where}: bad signature")
            return False
        if update.members == (update.signer,) and update.signer not in (current or ()):
            self._note_introduction(update.context, update.sender, update.signer)
            return True
        if current is None:
            return False  # not our context (or still joining: the snapshot brings the members)
        if update.signer in current:
            self._add(update.context, set(update.members) - current, update.signer)
        else:
            signer = to_b58(update.signer)
            self._out.log(logging.WARNING, f"dropped {where}: signer {signer} is not a member")
        return False

    def on_snapshot_request(self, context: bytes, sender: str) -> None:
        """``sender`` asks us for a snapshot: admit it if it introduced itself."""
        if self.members(context) is None:
            return
        self._asked.setdefault(context, set()).add(sender)
        key = self._introduced.get(context, {}).get(sender)
        if key is not None:
            self._add(context, {key}, self._identity.public_key)

    def _note_introduction(self, context: bytes, sender: str, key: bytes) -> None:
        if context not in self._introduced and len(self._introduced) >= MAX_INTRODUCED_CONTEXTS:
            del self._introduced[next(iter(self._introduced))]
        known = self._introduced.setdefault(context, {})
        known.pop(sender, None)
        known[sender] = key
        if len(known) > MAX_INTRODUCTIONS:
            del known[next(iter(known))]
        if sender in self._asked.get(context, ()):
            self._add(context, {key}, self._identity.public_key)

    def _add(self, context: bytes, keys: set[bytes], signer: bytes) -> None:
        record = self._store.context(context)
        if record is None or not keys - set(record.members):
            return
        members = sorted({*record.members, *keys})
        batch = self._store.batch()
        batch.put_context(record.model_copy(update={"members": members}))
        self._store.write(batch)
        self.forget(context)
        self._out.feed(
            feed_event(
                "members", context, members=[to_b58(m) for m in members], signer=to_b58(signer)
            )
        )
        if signer == self._identity.public_key:
            self._grown.add(context)

    def flush(self) -> None:
        """Broadcast each list this node grew since the last flush (end of an engine job)."""
        for context in sorted(self._grown):
            record = self._store.context(context)
            if record is not None:
                self._cast_list(context, record.members)
        self._grown.clear()

    def _cast_list(self, context: bytes, members: list[bytes]) -> None:
        self._out.cast(create_members_update(self._identity, self._node, context, members))
