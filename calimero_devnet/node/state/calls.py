"""Provides the runtime seam of the node core: running one call and staging what it wrote."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.runtime.std_blobs import EXTENSION as BLOBS
from calimero_devnet.node.runtime.types import CallEnv, CallOutcome, Limits
from calimero_devnet.node.state.clock import NodeClock
from calimero_devnet.node.state.js_apps import CallCollections
from calimero_devnet.node.state.staged import StagedStore
from calimero_devnet.node.state.store import NodeStore, StoreBatch
from calimero_devnet.node.state.store_views import PrivateOverlay

log = logging.getLogger(__name__)

INIT = "init"
SYNC_NEXT = "__calimero_sync_next"
CHECK_STATE = "__calimero_check_state"

AppT = TypeVar("AppT")


class LoadedAppLike(Protocol):
    """What the core reads from a loaded application."""

    @property
    def methods(self) -> tuple[str, ...]:
        """Callable method names."""
        ...

    @property
    def has_sync_next(self) -> bool:
        """True if the module exports ``__calimero_sync_next``."""
        ...

    @property
    def has_check_state(self) -> bool:
        """True if the module exports ``__calimero_check_state`` (the TypeScript SDK's)."""
        ...


class RuntimeLike(Protocol[AppT]):
    """The shape of ``calimero_devnet.node.runtime.Runtime`` (and of the shipped fake)."""

    def load(self, wasm: bytes) -> AppT:
        """Compile and check a module; raise ``InvalidModule`` if it does not fit."""
        ...

    def call(
        self, app: AppT, method: str, input: bytes, env: CallEnv, *, limits: Limits | None = None
    ) -> CallOutcome:
        """Run one method; traps raise ``FunctionCallError``."""
        ...


@dataclass(frozen=True)
class CallSeat:
    """Who runs calls on this node, and with what clock and store."""

    runtime: RuntimeLike[Any]
    store: NodeStore | StagedStore  # staged: a run of peer deltas written as one batch
    clock: NodeClock
    executor_id: bytes
    blobs: object | None = None
    """The ``BlobHost`` the blob imports use (``blobs.host.NodeBlobHost``); None: none."""


@dataclass
class RanCall:
    """A finished call, the private-storage writes and the host-collection writes it staged."""

    outcome: CallOutcome
    private: PrivateOverlay
    collections: CallCollections


def run_call(seat: CallSeat, app: object, ctx: bytes, method: str, input: bytes) -> RanCall:
    """Run ``method`` on context ``ctx``; an app's own Err becomes ``FunctionCallError``.

    The call gets host collections (``js_apps.CallCollections``) as this node; a call that
    mixes ``commit`` with collection changes is a ``FunctionCallError`` too.
    """
    private = PrivateOverlay(seat.store, ctx)
    state = seat.store.state_reader(ctx)
    collections = CallCollections(state, seat.executor_id, seat.clock.hlc)
    env = CallEnv(
        context_id=ctx,
        executor_id=seat.executor_id,
        state=state,
        time_now=seat.clock.now,
        random_bytes=os.urandom,
        private=private,
        extensions=collections.extensions(),
        members=_members(seat, ctx),
    )
    if seat.blobs is not None:
        env.extensions[BLOBS] = seat.blobs
    outcome = seat.runtime.call(app, method, input, env)
    if outcome.app_error is not None:
        raise app_error(ctx, method, outcome.app_error)
    collections.finish(outcome, seat.clock, ctx, method)
    if not outcome.committed and outcome.writes:
        log.warning(
            "%s on context %s wrote %d key(s) but did not commit: writes dropped",
            method, to_b58(ctx), len(outcome.writes),
        )  # fmt: skip
    return RanCall(outcome, private, collections)


def _members(seat: CallSeat, ctx: bytes) -> tuple[bytes, ...]:
    record = seat.store.context(ctx)
    # No record yet: this node is creating the context (init), and is its only member.
    return (seat.executor_id,) if record is None else tuple(record.members)


def app_error(ctx: bytes, method: str, raw: bytes) -> FunctionCallError:
    """Turn an app's Err bytes into the error users see, with the JSON decoded if it is JSON."""
    data: Any
    try:
        data = json.loads(raw)
    except ValueError:
        data = raw.decode("utf-8", "replace")
    return FunctionCallError(
        f"{method} on context {to_b58(ctx)} returned an error: {raw.decode('utf-8', 'replace')}",
        data=data,
    )


def stage_call(batch: StoreBatch, ctx: bytes, ran: RanCall) -> None:
    """Add a call's state writes (if it committed) and private writes to ``batch``."""
    if ran.outcome.committed:
        for key, value in ran.outcome.writes.items():
            batch.put_state(ctx, key, value)
    ran.private.flush_into(batch)
