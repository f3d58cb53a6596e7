"""Provides a fake WASM runtime whose one "app" is a key-value store written in Python.

It has the shape of ``calimero_devnet.node.runtime.Runtime`` (``load`` / ``call``) and
follows the host ABI's rules that matter to the node core: writes are an overlay, a call
persists only if it commits, ``__calimero_sync_next`` replays an artifact, an app error
comes back in ``outcome.app_error`` and a trap raises ``FunctionCallError``. Its state is
deterministic (root = hash of the entries), so two nodes that apply the same deltas agree.

Methods: ``init``, ``set {key,value}``, ``get {key}``, ``remove {key}``, ``entries``,
``len``, ``now`` (returns time_now), ``fail`` (app Err), ``trap``, ``write_no_commit``,
``private_set {key,value}``, ``private_get {key}``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from calimero_devnet.errors import FunctionCallError, InvalidModule, MethodNotFound
from calimero_devnet.node.runtime.types import CallEnv, CallOutcome, Event, Limits

WASM_MAGIC = b"\x00asm\x01\x00\x00\x00"
SYNC_NEXT = "__calimero_sync_next"
INDEX_KEY = b"kv-index"
METHODS = (
    "set", "get", "remove", "entries", "len", "now", "fail", "trap", "write_no_commit",
    "private_set", "private_get",
)  # fmt: skip


def fake_wasm(name: str = "kv", *, with_init: bool = True, with_sync_next: bool = True) -> bytes:
    """Return module bytes the fake runtime loads; ``name`` makes distinct app ids."""
    spec = {"name": name, "init": with_init, "sync_next": with_sync_next}
    return WASM_MAGIC + json.dumps(spec).encode()


@dataclass(frozen=True)
class FakeApp:
    """What ``FakeRuntime.load`` returns (the LoadedApp shape)."""

    app_id: bytes
    methods: tuple[str, ...]
    has_sync_next: bool = True
    has_check_state: bool = False
    has_register_merge: bool = False
    abi: bytes | None = None


@dataclass
class FakeRuntime:
    """Records every call in ``calls`` as (method, input) and runs the fake kv app."""

    calls: list[tuple[str, bytes]] = field(default_factory=list)
    loads: int = 0

    def load(self, wasm: bytes) -> FakeApp:
        """Accept ``fake_wasm`` bytes; anything else is an ``InvalidModule``."""
        self.loads += 1
        if not wasm.startswith(WASM_MAGIC):
            raise InvalidModule("not a WASM module: missing the \\0asm header")
        spec = json.loads(wasm[len(WASM_MAGIC) :] or b"{}")
        methods = (("init",) if spec.get("init", True) else ()) + METHODS
        return FakeApp(hashlib.sha256(wasm).digest(), methods, spec.get("sync_next", True))

    def call(
        self, app: FakeApp, method: str, input: bytes, env: CallEnv, *, limits: Limits | None = None
    ) -> CallOutcome:
        """Run ``method`` of the fake app over ``env``'s state."""
        if method not in app.methods and not (method == SYNC_NEXT and app.has_sync_next):
            raise MethodNotFound(f"method {method!r} not found; the app has: {app.methods}")
        self.calls.append((method, input))
        return _FakeCall(env).run(method, input)


class _FakeCall:
    def __init__(self, env: CallEnv) -> None:
        self.env = env
        self.out = CallOutcome()
        self.actions: list[list[str]] = []

    def read(self, key: bytes) -> bytes | None:
        if key in self.out.writes:
            return self.out.writes[key]
        return self.env.state.get(key)

    def keys(self) -> list[str]:
        raw = self.read(INDEX_KEY)
        return [] if raw is None else list(json.loads(raw))

    def run(self, method: str, input: bytes) -> CallOutcome:
        args: dict[str, Any] = json.loads(input) if input and method != SYNC_NEXT else {}
        result = getattr(self, "m_" + method.lstrip("_"))(input if method == SYNC_NEXT else args)
        if result is not None:
            self.out.returned = json.dumps(result).encode()
        return self.out

    def now(self) -> int:
        value = self.env.time_now()
        self.out.max_time_now = max(self.out.max_time_now, value)
        return value

    def apply(self, op: str, key: str, value: str | None = None) -> None:
        keys = set(self.keys())
        if op == "set":
            self.out.writes[b"kv:" + key.encode()] = (value or "").encode()
            keys.add(key)
        else:
            self.out.writes[b"kv:" + key.encode()] = None
            keys.discard(key)
        self.out.writes[INDEX_KEY] = json.dumps(sorted(keys)).encode()
        self.actions.append([op, key] + ([] if value is None else [value]))

    def commit(self) -> None:
        entries = {k: self.read(b"kv:" + k.encode()) for k in self.keys()}
        digest = json.dumps({k: (v or b"").decode() for k, v in entries.items()}, sort_keys=True)
        self.out.root_hash = hashlib.sha256(digest.encode()).digest()
        self.out.artifact = json.dumps(self.actions).encode()

    def m_init(self, args: dict[str, Any]) -> None:
        self.out.writes[INDEX_KEY] = b"[]"
        self.commit()

    def m_set(self, args: dict[str, Any]) -> None:
        self.now()
        self.apply("set", args["key"], args["value"])
        self.out.events.append(Event("ItemSet", json.dumps({"key": args["key"]}).encode()))
        self.commit()

    def m_remove(self, args: dict[str, Any]) -> str | None:
        old = self.read(b"kv:" + args["key"].encode())
        self.apply("remove", args["key"])
        self.out.events.append(Event("ItemRemoved", b"null", "on_removed"))
        self.commit()
        return None if old is None else old.decode()

    def m_get(self, args: dict[str, Any]) -> str | None:
        value = self.read(b"kv:" + args["key"].encode())
        return None if value is None else value.decode()

    def m_entries(self, args: dict[str, Any]) -> dict[str, str]:
        return {k: (self.read(b"kv:" + k.encode()) or b"").decode() for k in self.keys()}

    def m_len(self, args: dict[str, Any]) -> int:
        return len(self.keys())

    def m_now(self, args: dict[str, Any]) -> int:
        return self.now()

    def m_fail(self, args: dict[str, Any]) -> None:
        self.out.writes[b"kv:never"] = b"x"
        self.out.app_error = json.dumps({"kind": "NotFound", "data": "zz"}).encode()

    def m_trap(self, args: dict[str, Any]) -> None:
        raise FunctionCallError("guest panicked: boom at src/lib.rs:1:1")

    def m_write_no_commit(self, args: dict[str, Any]) -> None:
        self.out.writes[b"kv:lost"] = b"x"

    def m_private_set(self, args: dict[str, Any]) -> None:
        assert self.env.private is not None
        self.env.private.put(args["key"].encode(), args["value"].encode())

    def m_private_get(self, args: dict[str, Any]) -> str | None:
        assert self.env.private is not None
        value = self.env.private.get(args["key"].encode())
        return None if value is None else value.decode()

    def m_calimero_sync_next(self, artifact: bytes) -> None:
        if not artifact:
            return
        for action in json.loads(artifact):
            self.apply(*action)
        self.commit()
