"""Provides the one worker thread that owns the NodeCore, and the seam it is typed by."""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from calimero_devnet.node.state.deltalog import DeltaDetail, RecentDeltas
    from calimero_devnet.node.state.invitation import Invitation
    from calimero_devnet.node.state.open_invitation import OpenInvitation
    from calimero_devnet.node.state.results import AppInfo, CommitNotice, ContextInfo, ExecuteResult

log = logging.getLogger(__name__)
T = TypeVar("T")


class Core(Protocol):
    """The part of ``NodeCore`` the HTTP layer uses (synchronous; one thread at a time)."""

    name: str
    public_key: bytes

    def install_application(self, wasm: bytes, *, source: str, metadata: bytes = b"") -> bytes:
        """Install a WASM app and return its id."""
        ...

    def application(self, app_id: bytes) -> AppInfo:
        """Describe one installed app."""
        ...

    def applications(self) -> list[AppInfo]:
        """Describe every installed app."""
        ...

    def create_context(
        self, app_id: bytes, init_params: bytes = b"{}", seed: bytes | None = None
    ) -> ContextInfo:
        """Create a context of an app and run its ``init``."""
        ...

    def contexts(self) -> list[ContextInfo]:
        """Describe every context."""
        ...

    def context(self, ctx_id: bytes) -> ContextInfo:
        """Describe one context."""
        ...

    def execute(
        self, ctx_id: bytes, method: str, args: bytes, executor: bytes | None = None
    ) -> ExecuteResult:
        """Run one app method (as ``executor``, default the node's own key)."""
        ...

    def generate_identity(self) -> bytes:
        """Create an identity whose private key stays on this node; return its public key."""
        ...

    def owned_identities(self, ctx_id: bytes) -> list[bytes]:
        """The members of a context whose private keys this node holds."""
        ...

    def invite_open(self, ctx_id: bytes, inviter: bytes, valid_for_s: int) -> OpenInvitation:
        """An open invitation into a context, signed by ``inviter``."""
        ...

    def require_identity(self, public_key: bytes, what: str) -> None:
        """Raise ``InvalidExecutor`` unless this node holds the private key of ``public_key``."""
        ...

    def invite(self, ctx_id: bytes, inviter: bytes, invitee: bytes) -> Invitation:
        """Make ``invitee`` a member of a context; return the invitation ``inviter`` signed."""
        ...

    def subscribe(self, listener: Callable[[CommitNotice], None]) -> Callable[[], None]:
        """Register a commit listener; return the function that removes it."""
        ...

    def check_consistency(self, ctx_id: bytes) -> list[str]:
        """List disagreements between a context's state, deltas and heads."""
        ...

    def delta(self, ctx_id: bytes, delta_id: bytes) -> DeltaDetail:
        """One stored delta of a context, decoded."""
        ...

    def recent_deltas(self, ctx_id: bytes, limit: int) -> RecentDeltas:
        """The newest stored deltas of a context, children before parents."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...


class CoreWorker:
    """Runs every core call on one dedicated thread, so calls are serialized and a slow
    app (e.g. one looping until its fuel runs out) never blocks the event loop.

    What the core hands back to the event loop during a call (commit notices, replication
    messages: :meth:`post`) travels with the call's result in one wake-up of the loop. Each
    wake-up costs a thread switch and a GIL hand-over, and a ``set`` used to make three.
    """

    def __init__(self) -> None:
        # One plain thread fed by a SimpleQueue: a ThreadPoolExecutor's submit (locks, a
        # Future with its Condition) cost more than the hand-over itself.
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # A daemon, so a worker nobody closed cannot keep the process alive; the node
        # always closes it (the store's close waits for the call in flight), and a commit
        # cut short at exit is still all or nothing (one RocksDB batch).
        self._thread = threading.Thread(target=self._serve, name="node-core", daemon=True)
        self._abandoned = False  # close gave up: calls still queued are cancelled, not run
        self._core: Core | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._local = threading.local()  # ``held``: what the running call posted so far

    @property
    def core(self) -> Core:
        """The open core; only touch it through ``call`` (its attributes are immutable)."""
        if self._core is None:
            raise RuntimeError("the node core is not open")
        return self._core

    async def open(self, opener: Callable[[], Core]) -> Core:
        """Start the worker thread, open the core on it and keep it."""
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        self._core = await self._submit(opener)
        return self._core

    async def call(self, fn: Callable[[Core], T]) -> T:
        """Run ``fn(core)`` on the worker thread, after every call submitted before it."""
        return await self._submit(functools.partial(fn, self.core))

    def post(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` on the event loop, from any thread; posted during a call, it
        runs when the call ends (or sooner, once the call has held back many or for long)."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            self._wake([(fn, args)])
            return
        if not held.items:
            held.since = time.monotonic()
        held.items.append((fn, args))
        if len(held.items) >= HOLD_MAX or time.monotonic() - held.since > HOLD_S:
            self._wake(held.take())

    async def close(self, grace_s: float) -> bool:
        """Close the core once in-flight calls finish; False if they outlast ``grace_s``
        (the calls still queued are then cancelled and the store is left open)."""
        core, self._core = self._core, None
        clean = True
        if core is not None:
            closing = asyncio.ensure_future(self._submit(core.close))
            try:
                await asyncio.wait_for(asyncio.shield(closing), grace_s)
            except TimeoutError:
                log.error("the core worker is still busy after %.1f s; store not closed", grace_s)
                self._abandoned = True
                closing.cancel()
                clean = False
        if self._thread.is_alive():
            self._jobs.put(None)  # the thread ends after what is queued
        return clean

    async def _submit(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, answer, fn))
        return await answer

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, answer, fn = job
            if self._abandoned:
                self._wake([(answer.cancel, ())], loop)
            else:
                self._run(loop, answer, fn)

    def _run(
        self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future[Any], fn: Callable[[], Any]
    ) -> None:
        held = self._local.held = _Held()
        try:
            outcome: tuple[Any, BaseException | None] = (fn(), None)
        except BaseException as exc:
            outcome = (None, exc)
        finally:
            self._local.held = None
        self._wake([*held.take(), (_settle, (answer, *outcome))], loop)

    def _wake(self, items: list[_Posted], loop: asyncio.AbstractEventLoop | None = None) -> None:
        try:
            (loop or self._loop or asyncio.get_running_loop()).call_soon_threadsafe(_run_all, items)
        except RuntimeError:  # the loop already closed during shutdown: nobody to tell
            log.debug("dropped %d item(s) for the event loop after it closed", len(items))


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]
_Posted = tuple[Callable[..., object], tuple[object, ...]]
#: A call holds back at most this many posts, and for at most this long: a long call (a heal
#: applying thousands of deltas) still publishes as it goes.
HOLD_MAX = 64
HOLD_S = 0.01


class _Held:
    """What one core call has posted and not yet handed to the event loop."""

    def __init__(self) -> None:
        self.items: list[_Posted] = []
        self.since = time.monotonic()

    def take(self) -> list[_Posted]:
        items, self.items, self.since = self.items, [], time.monotonic()
        return items


def _run_all(items: list[_Posted]) -> None:
    """Run posted items in order; one that fails is logged and the rest still run."""
    for fn, args in items:
        try:
            fn(*args)
        except Exception:
            log.exception("an item posted by the core worker failed: %r", fn)


def _settle(answer: asyncio.Future[T], result: T | None, error: BaseException | None) -> None:
    if answer.done():  # the awaiting coroutine was cancelled
        return
    if error is None:
        answer.set_result(result)  # type: ignore[arg-type]
    else:
        answer.set_exception(error)


def bridge_notices(
    core: Core, worker: CoreWorker, sink: Callable[[CommitNotice], None]
) -> Callable[[], None]:
    """Subscribe ``sink`` to the core's commits; it runs on the event loop (via
    :meth:`CoreWorker.post`), not the worker thread.

    Returns:
        The function that unsubscribes (call it on the worker thread, or after the core is idle).
    """
    return core.subscribe(lambda notice: worker.post(sink, notice))
