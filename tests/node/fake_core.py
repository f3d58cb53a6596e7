"""Provides a small in-memory stand-in for NodeCore, for tests of the HTTP layer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from calimero_devnet.errors import (
    ContextNotFound,
    DeltaNotFound,
    FunctionCallError,
    InvalidModule,
    MethodNotFound,
    Uninitialized,
)
from calimero_devnet.ids import sha256
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.deltalog import DeltaDetail, RecentDeltas
from calimero_devnet.node.state.invitation import Invitation
from calimero_devnet.node.state.open_invitation import OpenInvitation
from calimero_devnet.node.state.results import AppInfo, CommitNotice, ContextInfo, ExecuteResult

WASM_MAGIC = b"\0asm\x01\0\0\0"
METHODS = ("echo", "text", "none", "boom", "slow", "crash", "set", "fresh")


@dataclass
class FakeCore:
    """Answers like NodeCore; records every call and the thread it ran on."""

    name: str = "fake"
    public_key: bytes = bytes(range(32))
    calls: list[tuple[str, bytes]] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    created: list[tuple[bytes, bytes, bytes | None]] = field(default_factory=list)
    apps: dict[bytes, AppInfo] = field(default_factory=dict)
    ctxs: dict[bytes, ContextInfo] = field(default_factory=dict)
    listeners: list[Callable[[CommitNotice], None]] = field(default_factory=list)
    closed: bool = False

    def _enter(self) -> None:
        self.threads.add(threading.current_thread().name)

    def install_application(self, wasm: bytes, *, source: str, metadata: bytes = b"") -> bytes:
        self._enter()
        if not wasm.startswith(WASM_MAGIC):
            raise InvalidModule(f"{source} is not a WASM module (bad magic)")
        app_id = sha256(wasm)
        self.apps[app_id] = AppInfo(app_id, len(wasm), source, metadata, METHODS)
        return app_id

    def application(self, app_id: bytes) -> AppInfo:
        return self.apps[app_id]

    def applications(self) -> list[AppInfo]:
        self._enter()
        return list(self.apps.values())

    def create_context(
        self, app_id: bytes, init_params: bytes = b"{}", seed: bytes | None = None
    ) -> ContextInfo:
        self._enter()
        self.created.append((app_id, init_params, seed))
        ctx_id = sha256(seed or init_params + bytes([len(self.ctxs)]))
        info = ContextInfo(ctx_id, app_id, b"\1" * 32, (b"\2" * 32,), (self.public_key,), True, 1)
        self.ctxs[ctx_id] = info
        return info

    def contexts(self) -> list[ContextInfo]:
        return list(self.ctxs.values())

    def context(self, ctx_id: bytes) -> ContextInfo:
        self._enter()
        if ctx_id not in self.ctxs:
            raise ContextNotFound(f"context {ctx_id.hex()[:8]} not found")
        return self.ctxs[ctx_id]

    def generate_identity(self) -> bytes:
        raise NotImplementedError("the fake core holds no identities")

    def owned_identities(self, ctx_id: bytes) -> list[bytes]:
        raise NotImplementedError("the fake core holds no identities")

    def invite_open(self, ctx_id: bytes, inviter: bytes, valid_for_s: int) -> OpenInvitation:
        raise NotImplementedError("the fake core sends no invitations")

    def require_identity(self, public_key: bytes, what: str) -> None:
        raise NotImplementedError("the fake core holds no identities")

    def invite(self, ctx_id: bytes, inviter: bytes, invitee: bytes) -> Invitation:
        raise NotImplementedError("the fake core sends no invitations")

    def execute(
        self, ctx_id: bytes, method: str, args: bytes, executor: bytes | None = None
    ) -> ExecuteResult:
        self.context(ctx_id)
        self.calls.append((method, args))
        outputs: dict[str, Callable[[], bytes | None]] = {
            "echo": lambda: args,
            "text": lambda: b"plain \xe2\x9c\x93 text",
            "none": lambda: None,
            "boom": self._boom,
            "slow": self._slow,
            "crash": self._crash,
            "set": lambda: self._commit(ctx_id, args),
            "fresh": self._uninitialized,
        }
        if method not in outputs:
            raise MethodNotFound(f"no method {method!r}; the app has {', '.join(METHODS)}")
        return ExecuteResult(outputs[method](), (), (), None, None)

    @staticmethod
    def _slow() -> bytes:
        time.sleep(0.4)  # stands in for an app burning its fuel
        return b"1"

    @staticmethod
    def _crash() -> bytes:
        raise ZeroDivisionError("a bug in the core")

    @staticmethod
    def _uninitialized() -> bytes:
        raise Uninitialized("the context has no state yet")

    def _boom(self) -> bytes:
        raise FunctionCallError("app error", {"kind": "NotFound", "data": "zz"})

    def _commit(self, ctx_id: bytes, args: bytes) -> None:
        event = Event("ItemSet", args, None)
        for listener in list(self.listeners):
            listener(CommitNotice(ctx_id, b"\3" * 32, (event,), None))

    def subscribe(self, listener: Callable[[CommitNotice], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def check_consistency(self, ctx_id: bytes) -> list[str]:
        self.context(ctx_id)
        return []

    def delta(self, ctx_id: bytes, delta_id: bytes) -> DeltaDetail:
        self.context(ctx_id)
        raise DeltaNotFound(f"no delta {delta_id.hex()[:8]}: the fake keeps none")

    def recent_deltas(self, ctx_id: bytes, limit: int) -> RecentDeltas:
        return RecentDeltas(self.context(ctx_id).heads, (), truncated=False)

    def close(self) -> None:
        self._enter()
        self.closed = True
