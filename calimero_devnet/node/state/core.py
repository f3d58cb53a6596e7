"""Provides NodeCore: a node's applications, contexts, calls and commits, synchronously.

No asyncio, HTTP or MQTT here: the RPC and sync layers call ``NodeCore`` from one worker
thread. Every commit (a local call, or a run of applied peer deltas) is persisted in one
store batch, then announced to subscribers as a ``CommitNotice``.

A seeded context id is the Ed25519 public key whose private seed is ``sha256(seed)``, so
every node given the same seed derives the same id; without a seed the private seed is
random. Either way a context id looks like upstream's (a public key).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from calimero_devnet.errors import (
    ContextNotFound,
    FunctionCallError,
    NodeError,
    StateIncompatible,
    Uninitialized,
)
from calimero_devnet.ids import sha256, to_b58
from calimero_devnet.node.blobs.host import NodeBlobHost
from calimero_devnet.node.blobs.store import BlobStore
from calimero_devnet.node.state import deltalog
from calimero_devnet.node.state.apps import AppRegistry
from calimero_devnet.node.state.argcheck import check_args, manifest_methods
from calimero_devnet.node.state.calls import (
    CHECK_STATE,
    INIT,
    SYNC_NEXT,
    CallSeat,
    RanCall,
    RuntimeLike,
    run_call,
)
from calimero_devnet.node.state.clock import NodeClock, WallClock, index_from_public_key
from calimero_devnet.node.state.commits import CommitWriter, Listener, RemoteRun
from calimero_devnet.node.state.consistency import check_context
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.deltalog import DeltaDetail, RecentDeltas
from calimero_devnet.node.state.identities import HeldIdentities
from calimero_devnet.node.state.identity import NodeIdentity, public_key_from_seed
from calimero_devnet.node.state.inviting import Inviting
from calimero_devnet.node.state.namespaces import Namespaces
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.results import AppInfo, CommitNotice, ContextInfo, ExecuteResult
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.state.xcalls import XCallResult, run_xcalls

log = logging.getLogger(__name__)


class ContextAlreadyExists(NodeError):
    """A context with that id (that seed) already exists on this node."""

    type_name = "ContextAlreadyExists"
    http_status = 409


def _check_call_args(app: Any, method: str, data: bytes) -> None:
    """Refuse arguments the ABI manifest's types rule out, before the app runs: here in the
    core, so every client (JSON-RPC, admin init, event handlers) gets the same check, and
    apps built before the check existed are covered too (the manifest is in their wasm).

    Raises:
        InvalidArgs: see ``argcheck.check_args``.
    """
    abi = getattr(app, "abi", None)  # the shipped fake runtime's apps carry no manifest
    methods = manifest_methods(bytes(abi)) if abi else None
    params = methods.get(method) if methods else None
    if params is None:
        return
    try:
        parsed = json.loads(data)
    except ValueError:
        return  # not JSON: the SDK answers that with its own message
    check_args(method, params, parsed)


def context_id_for_seed(seed: bytes) -> bytes:
    """Return the context id every node derives from ``seed``."""
    return public_key_from_seed(sha256(seed))


class NodeCore(Inviting):
    """One node's synchronous core over its store, identity, clock and WASM runtime."""

    def __init__(self, name: str, store: NodeStore, identity: NodeIdentity, seat: CallSeat) -> None:
        """Assemble a core from open parts (use ``NodeCore.open``)."""
        self.name = name
        self.store = store
        self.identity = identity
        self.public_key = identity.public_key
        self.clock = seat.clock
        self.runtime = seat.runtime
        self._seat = seat
        self.blobs = seat.blobs if isinstance(seat.blobs, NodeBlobHost) else None
        """The node's blobs (store and network), shared with the event loop: thread-safe."""
        self._commits = CommitWriter(seat, identity, store)
        self._apps = AppRegistry(store, seat.runtime, name)
        self._names = deltalog.CollectionNames()
        self.identities = HeldIdentities(store, identity, name)
        self.namespaces = Namespaces(store, name)

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        name: str = "node",
        index: int | None = None,
        runtime: RuntimeLike[Any] | None = None,
        module_cache: Path | None = None,
        wall_clock: WallClock = time.time_ns,
    ) -> NodeCore:
        """Open the node whose data lives in ``home`` (created on first start).

        Args:
            home: the node's directory; the store is ``home/store``, blobs ``home/blobs``.
            name: the node's name in messages and logs.
            index: the node's devnet index 0..1023 (low bits of every timestamp); when
                None it is derived from the identity, which may collide between nodes.
            runtime: the WASM runtime; default: the real one, caching compiled modules in
                ``module_cache`` (default ``home/wasm-cache``; a cluster's nodes share one).
            wall_clock: unix time in ns.
        """
        store = NodeStore.open(home / "store")
        try:
            identity = _load_identity(store)
            if index is None:
                index = index_from_public_key(identity.public_key)
            clock = NodeClock(
                index, public_key=identity.public_key, wall_clock=wall_clock,
                last=store.clock_last(),
            )  # fmt: skip
            if runtime is None:
                runtime = _default_runtime(module_cache or home / "wasm-cache")
            blobs = NodeBlobHost(BlobStore(home / "blobs"))
        except BaseException:
            store.close()
            raise
        seat = CallSeat(runtime, store, clock, identity.public_key, blobs)
        return cls(name, store, identity, seat)

    def close(self) -> None:
        """Persist the clock and close the store."""
        batch = self.store.batch()
        batch.put_clock(self.clock.last)
        self.store.write(batch)
        self.store.close()

    def __enter__(self) -> NodeCore:
        """Use the core as a context manager that closes it."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the core."""
        self.close()

    # applications
    def install_application(self, wasm: bytes, *, source: str, metadata: bytes = b"") -> bytes:
        """Install ``wasm`` (idempotent) and return its id, ``sha256(wasm)``.

        Raises:
            InvalidModule: the bytes are not a module that fits the host ABI.
        """
        return self._apps.install(wasm, source=source, metadata=metadata)

    def application(self, app_id: bytes) -> AppInfo:
        """Return an installed application, or raise ``ApplicationNotFound``."""
        return self._apps.info(app_id)

    def applications(self) -> list[AppInfo]:
        """Every installed application, by id."""
        return self._apps.all()

    # contexts
    def create_context(
        self, app_id: bytes, init_params: bytes = b"{}", seed: bytes | None = None
    ) -> ContextInfo:
        """Create a context of ``app_id`` with this node as its member and run ``init``.

        Raises:
            ApplicationNotFound: the app is not installed here.
            ContextAlreadyExists: ``seed`` names a context this node already has.
            FunctionCallError: ``init`` trapped or returned an error (nothing is stored).
        """
        app = self._apps.loaded(app_id)
        ctx_id = context_id_for_seed(os.urandom(32) if seed is None else seed)
        if self.store.context(ctx_id) is not None:
            raise ContextAlreadyExists(
                f"context {to_b58(ctx_id)} already exists on node {self.name}: "
                "use another seed, or call it as it is"
            )
        record = ContextRecord(
            id=ctx_id, application_id=app_id, root_hash=None, heads=[],
            members=[self.public_key], initialized=INIT not in app.methods, delta_count=0,
        )  # fmt: skip
        if record.initialized:
            self._write_record(record)
            return ContextInfo.from_record(record)
        _check_call_args(app, INIT, init_params or b"{}")
        ran = run_call(self._seat, app, ctx_id, INIT, init_params or b"{}")
        record, _ = self._commits.local(
            record.model_copy(update={"initialized": True}), ran, new=True
        )
        return ContextInfo.from_record(record)

    def context(self, ctx_id: bytes) -> ContextInfo:
        """Return a context of this node, or raise ``ContextNotFound``."""
        return ContextInfo.from_record(self._context_record(ctx_id))

    def contexts(self) -> list[ContextInfo]:
        """Every context of this node, by id."""
        return [ContextInfo.from_record(r) for r in self.store.contexts()]

    def delete_context(self, ctx_id: bytes) -> None:
        """Delete a context and everything this node holds of it, in one batch.

        Raises:
            ContextNotFound: the node has no such context.
        """
        self._context_record(ctx_id)
        batch = self.store.batch()
        batch.delete_context(ctx_id)
        self.store.write(batch)

    def check_state(self, ctx_id: bytes, app_id: bytes) -> None:
        """Have app ``app_id`` read the state of ``ctx_id`` without changing it.

        Only apps exporting ``__calimero_check_state`` (the TypeScript SDK's) can say;
        others pass. Nothing the check does is stored.

        Raises:
            StateIncompatible: the app cannot read the state (its message says why).
            ApplicationNotFound, ContextNotFound.
        """
        app = self._apps.loaded(app_id)
        record = self._context_record(ctx_id)
        if not (app.has_check_state and record.initialized):
            return
        try:
            run_call(self._seat, app, ctx_id, CHECK_STATE, b"")
        except FunctionCallError as exc:
            why = exc.data if isinstance(exc.data, str) else str(exc)
            raise StateIncompatible(
                f"application {to_b58(app_id)} cannot read the state of context "
                f"{to_b58(ctx_id)} on node {self.name}: {why}"
            ) from exc

    def check_consistency(self, ctx_id: bytes) -> list[str]:
        """Return every inconsistency between a context's record and its deltas (none: [])."""
        return check_context(self.store, self._context_record(ctx_id))

    # deltas (read-only views)
    def delta(self, ctx_id: bytes, delta_id: bytes) -> DeltaDetail:
        """One stored delta of a context, decoded, its signature re-checked.

        Raises:
            ContextNotFound; DeltaNotFound: no body of it is stored here.
        """
        record = self._context_record(ctx_id)
        names = self.collection_names(ctx_id)
        return deltalog.detail(self.store, record, delta_id, names, self.name)

    def recent_deltas(self, ctx_id: bytes, limit: int = deltalog.DEFAULT_RECENT) -> RecentDeltas:
        """The newest ``limit`` (1..512) stored deltas from the heads, children first.

        Raises:
            ContextNotFound; ParseError: ``limit`` is out of range.
        """
        record = self._context_record(ctx_id)
        return deltalog.recent(self.store, record, limit, self.collection_names(ctx_id))

    def collection_names(self, ctx_id: bytes) -> Mapping[bytes, str]:
        """Collection id → the field name the context's root document gives it."""
        return self._names.of(self.store, ctx_id)

    # calls
    def execute(
        self, ctx_id: bytes, method: str, args: bytes, executor: bytes | None = None
    ) -> ExecuteResult:
        """Run ``method`` on a context; persist and announce it if it committed.

        A JS app's call commits when it changes host collections (``js_apps``). The call
        runs as ``executor`` (default: the node's own key) and its delta is signed by it.
        The cross-context calls it queued run after it, as the same executor (``xcalls``);
        how they went is in the result's ``xcalls``, and their failures never fail this call.

        Raises:
            ContextNotFound, MethodNotFound, Uninitialized, FunctionCallError;
            InvalidExecutor: the node holds no key for ``executor`` or it is no member.
        """
        return self._execute(ctx_id, method, args, 0, executor=executor)

    def _execute(
        self, ctx_id: bytes, method: str, args: bytes, depth: int, *, executor: bytes | None
    ) -> ExecuteResult:
        record = self._context_record(ctx_id)
        signer = self.identities.signer_for(record, executor)
        app = self._apps.loaded(record.application_id)
        if not record.initialized and method != SYNC_NEXT and method in app.methods:
            raise Uninitialized(
                f"context {to_b58(ctx_id)} on node {self.name} has no state yet, so {method} "
                "cannot run: create it with init or wait for its snapshot"
            )
        # __calimero_sync_next takes an artifact, where empty means "nothing to apply".
        data = args if method == SYNC_NEXT else (args or b"{}")
        if method != SYNC_NEXT:
            _check_call_args(app, method, data)
        seat = self._seat
        if signer is not self.identity:
            seat = replace(seat, executor_id=signer.public_key)
        ran = run_call(seat, app, ctx_id, method, data)
        if method == SYNC_NEXT:
            after = self._commits.applied(record, ran)
            return self._result(ran, None, after.root_hash)
        after, delta = self._commits.local(record, ran, signer=signer)
        xcalls = run_xcalls(ran.outcome.xcalls, depth, functools.partial(self._execute,
                            executor=executor), log.warning)  # fmt: skip
        return self._result(ran, delta, after.root_hash, xcalls)

    def apply_delta(self, delta: CausalDelta) -> CommitNotice | None:
        """Apply one peer delta in its own batch (see ``remote_run``); None if already known."""
        run = self.remote_run(delta.context_id)
        run.apply(delta)
        return next(iter(run.commit()), None)

    def remote_run(self, ctx_id: bytes) -> RemoteRun:
        """Start applying peer deltas of a context that the sync layer verified, parents
        first, into one store batch (``RemoteRun``: its ``commit`` makes them durable)."""
        record = self._context_record(ctx_id)
        return RemoteRun(self._commits, record, self._apps.loaded(record.application_id))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after each persisted commit; return the unsubscribe function."""
        listeners = self._commits.listeners
        listeners.append(listener)

        def unsubscribe() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return unsubscribe

    # helpers
    def _result(
        self, ran: RanCall, delta: CausalDelta | None, root: bytes | None,
        xcalls: tuple[XCallResult, ...] = (),
    ) -> ExecuteResult:  # fmt: skip
        out = ran.outcome
        return ExecuteResult(
            out.returned, tuple(out.events), tuple(out.logs), delta, root,
            fuel_used=out.fuel_used, duration_s=out.duration_s, xcalls=xcalls,
        )  # fmt: skip

    def _context_record(self, ctx_id: bytes) -> ContextRecord:
        record = self.store.context(ctx_id)
        if record is None:
            raise ContextNotFound(
                f"context {to_b58(ctx_id)} not found on node {self.name}: create or join it first"
            )
        return record

    def _write_record(self, record: ContextRecord) -> None:
        batch = self.store.batch()
        batch.put_context(record)
        self.store.write(batch)


def _load_identity(store: NodeStore) -> NodeIdentity:
    seed = store.identity_seed()
    if seed is not None:
        return NodeIdentity(seed)
    identity = NodeIdentity.generate()
    batch = store.batch()
    batch.put_identity_seed(identity.seed)
    store.write(batch)
    return identity


def _default_runtime(cache_dir: Path) -> RuntimeLike[Any]:
    # Always with the JS collection family: Rust apps simply never import it.
    from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS  # noqa: PLC0415
    from calimero_devnet.node.runtime import Runtime  # noqa: PLC0415  (wasmtime loads lazily)

    return Runtime(cache_dir, extra_imports=COLLECTION_IMPORTS)
