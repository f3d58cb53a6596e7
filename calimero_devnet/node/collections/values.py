"""Provides the session operations of the value collections: LWW, counter, user, frozen."""

from __future__ import annotations

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.base import SessionBase
from calimero_devnet.node.collections.model import (
    U64_MAX,
    CollectionError,
    CollectionKind,
    Hlc,
    check_len,
    frozen_key,
)

LWW, COUNTER = CollectionKind.LWW, CollectionKind.COUNTER
USER, FROZEN = CollectionKind.USER_STORAGE, CollectionKind.FROZEN_STORAGE


class ValueOps(SessionBase):
    """``js_crdt_lww_*``, ``js_crdt_counter_*``, ``js_user_storage_*``, ``js_frozen_storage_*``."""

    # -- LWW register ---------------------------------------------------------------------

    def lww_new(self) -> bytes:
        """Create an LWW register (empty); return its 32-byte id."""
        return self._new(LWW)

    def lww_set(self, cid: bytes, value: bytes | None) -> bool:
        """Set the value (None = empty, ``has_value=0``); return True if it changed."""
        record = self.state.lww(self._open("js_crdt_lww_set", cid, LWW), b"")
        stamp = self._stamp(record.hlc if record else None)
        self._record(act.LwwSet(id=cid, hlc=stamp, value=value))
        return (record.value if record else None) != value

    def lww_get(self, cid: bytes) -> bytes | None:
        """Return the value, or None when empty."""
        record = self.state.lww(self._open("js_crdt_lww_get", cid, LWW), b"")
        return record.value if record else None

    def lww_timestamp(self, cid: bytes) -> Hlc | None:
        """Return the HLC of the current value, or None when empty (as upstream)."""
        record = self.state.lww(self._open("js_crdt_lww_timestamp", cid, LWW), b"")
        return Hlc(*record.hlc) if record and record.value is not None else None

    # -- counter: per-executor G-counter --------------------------------------------------

    def counter_new(self) -> bytes:
        """Create a counter at 0; return its 32-byte id."""
        return self._new(COUNTER)

    def counter_increment(self, cid: bytes, by: int = 1) -> None:
        """Add ``by`` (≥ 1) to this executor's count."""
        own = self.state.count(
            self._open("js_crdt_counter_increment", cid, COUNTER), self.executor_id
        )
        total = (own or 0) + by
        if by < 1 or total > U64_MAX:
            raise CollectionError(
                f"js_crdt_counter_increment: cannot add {by} to {own or 0} (u64, increments ≥ 1)"
            )
        self._record(act.CounterSet(id=cid, executor=self.executor_id, count=total))

    def counter_value(self, cid: bytes) -> int:
        """Return the sum of every executor's count."""
        return sum(
            n for _, n in self.state.counts(self._open("js_crdt_counter_value", cid, COUNTER))
        )

    def counter_get_executor_count(self, cid: bytes, executor: bytes | None = None) -> int:
        """Return ``executor``'s count (this call's executor when None)."""
        method = "js_crdt_counter_get_executor_count"
        who = self.executor_id if executor is None else check_len(method, "executor id", executor)
        return self.state.count(self._open(method, cid, COUNTER), who) or 0

    # -- user storage: one LWW slot per executor, written only by its owner ---------------

    def user_storage_new(self) -> bytes:
        """Create a user storage; return its 32-byte id."""
        return self._new(USER)

    def user_storage_insert(self, cid: bytes, value: bytes) -> bytes | None:
        """Set this executor's value; return the previous one, or None."""
        return self._user_write("js_user_storage_insert", cid, value)

    def user_storage_remove(self, cid: bytes) -> bytes | None:
        """Remove this executor's value; return it, or None (no action)."""
        return self._user_write("js_user_storage_remove", cid, None)

    def user_storage_get(self, cid: bytes) -> bytes | None:
        """Return this executor's value, or None."""
        return self.user_storage_get_for_user(cid, self.executor_id, "js_user_storage_get")

    def user_storage_get_for_user(
        self, cid: bytes, user: bytes, method: str = "js_user_storage_get_for_user"
    ) -> bytes | None:
        """Return ``user``'s value, or None."""
        record = self.state.lww(self._open(method, cid, USER), check_len(method, "user key", user))
        return record.value if record else None

    def user_storage_contains(self, cid: bytes) -> bool:
        """Return whether this executor has a value."""
        return (
            self.user_storage_get_for_user(cid, self.executor_id, "js_user_storage_contains")
            is not None
        )

    def user_storage_contains_user(self, cid: bytes, user: bytes) -> bool:
        """Return whether ``user`` has a value."""
        return (
            self.user_storage_get_for_user(cid, user, "js_user_storage_contains_user") is not None
        )

    def _user_write(self, method: str, cid: bytes, value: bytes | None) -> bytes | None:
        record = self.state.lww(self._open(method, cid, USER), self.executor_id)
        previous = record.value if record else None
        if value is None and previous is None:
            return None
        stamp = self._stamp(record.hlc if record else None)
        self._record(act.UserSet(id=cid, user=self.executor_id, hlc=stamp, value=value))
        return previous

    # -- frozen storage: content-addressed, add-only --------------------------------------

    def frozen_storage_new(self) -> bytes:
        """Create a frozen storage; return its 32-byte id."""
        return self._new(FROZEN)

    def frozen_storage_add(self, cid: bytes, value: bytes) -> bytes:
        """Store ``value``; return its key (``model.frozen_key``; no action if already stored)."""
        digest = frozen_key(value)
        if self.state.frozen(self._open("js_frozen_storage_add", cid, FROZEN), digest) is None:
            self._record(act.FrozenAdd(id=cid, value=value))
        return digest

    def frozen_storage_get(self, cid: bytes, digest: bytes) -> bytes | None:
        """Return the value stored under ``digest``, or None."""
        method = "js_frozen_storage_get"
        return self.state.frozen(self._open(method, cid, FROZEN), check_len(method, "hash", digest))

    def frozen_storage_contains(self, cid: bytes, digest: bytes) -> bool:
        """Return whether a value is stored under ``digest``."""
        method = "js_frozen_storage_contains"
        key = check_len(method, "hash", digest)
        return self.state.frozen(self._open(method, cid, FROZEN), key) is not None
