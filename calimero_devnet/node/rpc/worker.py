"""Provides the one worker thread that owns the NodeCore, and the seam it is typed by."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol, TypeVar

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
    app (e.g. one looping until its fuel runs out) never blocks the event loop."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="node-core")
        self._core: Core | None = None

    @property
    def core(self) -> Core:
        """The open core; only touch it through ``call`` (its attributes are immutable)."""
        if self._core is None:
            raise RuntimeError("the node core is not open")
        return self._core

    async def open(self, opener: Callable[[], Core]) -> Core:
        """Open the core on the worker thread and keep it."""
        self._core = await self._submit(opener)
        return self._core

    async def call(self, fn: Callable[[Core], T]) -> T:
        """Run ``fn(core)`` on the worker thread, after every call submitted before it."""
        return await self._submit(functools.partial(fn, self.core))

    async def close(self, grace_s: float) -> bool:
        """Close the core once in-flight calls finish; False if they outlast ``grace_s``."""
        core, self._core = self._core, None
        clean = True
        if core is not None:
            closing = asyncio.get_running_loop().run_in_executor(self._pool, core.close)
            try:
                await asyncio.wait_for(asyncio.shield(closing), grace_s)
            except TimeoutError:
                log.error("the core worker is still busy after %.1f s; store not closed", grace_s)
                clean = False
        self._pool.shutdown(wait=False, cancel_futures=True)
        return clean

    async def _submit(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)


def bridge_notices(
    core: Core, loop: asyncio.AbstractEventLoop, sink: Callable[[CommitNotice], None]
) -> Callable[[], None]:
    """Subscribe ``sink`` to the core's commits; it runs on ``loop``, not the worker thread.

    Returns:
        The function that unsubscribes (call it on the worker thread, or after the core is idle).
    """

    def hand_over(notice: CommitNotice) -> None:
        try:
            loop.call_soon_threadsafe(sink, notice)
        except RuntimeError:  # the loop already closed during shutdown: nobody to tell
            log.debug("dropped a commit notice after the event loop closed")

    return core.subscribe(hand_over)
