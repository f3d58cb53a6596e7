"""Provides shared helpers for the runtime tests: a dict state, call envs, the probe app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import pytest
from wasmtime import wat2wasm

from calimero_devnet.node.runtime import (
    CallEnv,
    CallOutcome,
    GuestError,
    Limits,
    LoadedApp,
    PrivateStorage,
    Runtime,
)
from tests.fixtures import load_wat

CONTEXT = bytes(range(32))
EXECUTOR = bytes(range(100, 132))


class DictState(dict[bytes, bytes]):
    """A context's committed state; ``apply`` persists an outcome as a node would."""

    def apply(self, outcome: CallOutcome) -> None:
        """Persist the writes of a committed call."""
        assert outcome.committed, "only committed calls are persisted"
        for key, value in outcome.writes.items():
            if value is None:
                self.pop(key, None)
            else:
                self[key] = value


class DictPrivate(dict[bytes, bytes]):
    """Node-local private storage."""

    def put(self, key: bytes, value: bytes | None) -> None:
        """Store or (with None) remove ``key``."""
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value


def counter(start: int = 1_000, step: int = 1) -> Callable[[], int]:
    """A deterministic clock: start, start+step, ..."""
    values: Iterator[int] = iter(range(start, 10**18, step))
    return lambda: next(values)


def make_env(
    state: DictState | None = None,
    *,
    private: PrivateStorage | None = None,
    clock: Callable[[], int] | None = None,
) -> CallEnv:
    """A CallEnv with fixed ids, a counting clock and predictable "random" bytes."""
    return CallEnv(
        context_id=CONTEXT,
        executor_id=EXECUTOR,
        state=DictState() if state is None else state,
        time_now=clock or counter(),
        random_bytes=lambda n: bytes(i % 251 for i in range(n)),
        private=private,
    )


@cache
def probe() -> tuple[Runtime, LoadedApp]:
    """One runtime and the probe app, compiled once per test session."""
    runtime = Runtime(None)
    return runtime, runtime.load(load_wat("probe"))


def run(
    method: str, input: bytes = b"", env: CallEnv | None = None, limits: Limits | None = None
) -> CallOutcome:
    """Call a probe method."""
    runtime, app = probe()
    return runtime.call(app, method, input, env or make_env(), limits=limits)


def fails(
    method: str, input: bytes = b"", env: CallEnv | None = None, limits: Limits | None = None
) -> GuestError:
    """Call a probe method that must fail; return the error."""
    with pytest.raises(GuestError) as caught:
        run(method, input, env, limits)
    return caught.value


def compile_wat(text: str) -> bytes:
    """Compile an inline WebAssembly-text module."""
    return bytes(wat2wasm(text))


def module_with(body: str, imports: str = "") -> bytes:
    """A minimal app: ``imports``, an exported memory, then ``body``."""
    return compile_wat(f'(module {imports} (memory (export "memory") 1) {body})')
