"""Provides ``Runtime``: load WASM apps and run one method call in a fresh instance."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from wasmtime import Config, Engine, Store, Trap, WasmtimeError

from calimero_devnet.errors import InvalidModule, MethodNotFound, NodeError
from calimero_devnet.node.runtime import failures
from calimero_devnet.node.runtime._glue import EXTERN_FUNC, EXTERN_MEMORY, InstanceHandle
from calimero_devnet.node.runtime.cache import ModuleCache, engine_tag
from calimero_devnet.node.runtime.callstate import CallState, activate
from calimero_devnet.node.runtime.hostimport import HostImport, HostTrap
from calimero_devnet.node.runtime.linking import ImportTable
from calimero_devnet.node.runtime.loader import (
    ABI_SECTION,
    CHECK_STATE,
    REGISTER_MERGE,
    SYNC_NEXT,
    LoadedApp,
    check_header,
    custom_sections,
    inspect_module,
    method_names,
)
from calimero_devnet.node.runtime.std_blobs import BLOB_IMPORTS
from calimero_devnet.node.runtime.std_context import CONTEXT_IMPORTS
from calimero_devnet.node.runtime.std_core import CORE_IMPORTS
from calimero_devnet.node.runtime.std_misc import MISC_IMPORTS
from calimero_devnet.node.runtime.std_storage import STORAGE_IMPORTS
from calimero_devnet.node.runtime.std_wasi import WASI_IMPORTS
from calimero_devnet.node.runtime.types import CallEnv, CallOutcome, Limits

log = logging.getLogger(__name__)

STANDARD_IMPORTS: tuple[HostImport, ...] = (
    CORE_IMPORTS + STORAGE_IMPORTS + MISC_IMPORTS + BLOB_IMPORTS + CONTEXT_IMPORTS + WASI_IMPORTS
)
_DEFAULT_LIMITS = Limits()
_ENGINE_CONFIG = "consume_fuel=1"  # part of the disk-cache key: keep in step with __init__


class Runtime:
    """Runs app methods, each call in a fresh wasmtime Store and Instance (HOST-ABI §5).

    Calls on one runtime are meant to run one at a time; each thread keeps its own
    current-call slot, so concurrent calls from several threads do not mix state.
    """

    def __init__(
        self,
        cache_dir: Path | None,
        limits: Limits = _DEFAULT_LIMITS,
        extra_imports: Sequence[HostImport] = (),
    ) -> None:
        self._engine = _new_engine()
        self.limits = limits
        self._imports = ImportTable((*STANDARD_IMPORTS, *extra_imports))
        self.cache = ModuleCache(self._engine, cache_dir, engine_tag(_ENGINE_CONFIG))
        self._apps: dict[bytes, LoadedApp] = {}
        self._lock = threading.Lock()

    def load(self, wasm: bytes) -> LoadedApp:
        """Compile (or fetch from a cache) and link an app.

        Raises:
            InvalidModule: not WASM, imports a memory, exports ``_start``, no ``memory``…
        """
        wasm = bytes(wasm)
        check_header(wasm)
        app_id = hashlib.sha256(wasm).digest()
        with self._lock:
            app = self._apps.get(app_id)
            if app is None:
                app = self._apps[app_id] = self._build(wasm, app_id)
        return app

    def _build(self, wasm: bytes, app_id: bytes) -> LoadedApp:
        module = self.cache.module(wasm, app_id)  # validates the bytes first
        abi = custom_sections(wasm).get(ABI_SECTION)
        functions, memory_min = inspect_module(module)
        linker, keep = self._imports.link(self._engine, module)
        try:
            pre = linker.instantiate_pre(module)
        except WasmtimeError as exc:
            raise InvalidModule(f"cannot link the module: {str(exc).strip()}") from exc
        return LoadedApp(
            app_id=app_id,
            methods=method_names(functions),
            has_sync_next=functions.get(SYNC_NEXT) == "->",
            has_check_state=functions.get(CHECK_STATE) == "->",
            has_register_merge=functions.get(REGISTER_MERGE) == "->",
            abi=abi,
            module=module,
            exports=functions,
            memory_min=memory_min,
            pre=pre,
            keep=(linker, *keep),
        )

    def call(
        self,
        app: LoadedApp,
        method: str,
        input: bytes,
        env: CallEnv,
        *,
        limits: Limits | None = None,
    ) -> CallOutcome:
        """Run ``method`` with ``input`` (passed verbatim to the ``input`` import).

        ``outcome.writes`` is the call's overlay: persist it only if ``outcome.committed``
        (a call may write and return Ok without committing). An app's own error
        (``value_return`` Err) is ``outcome.app_error``, not an exception.

        Raises:
            MethodNotFound: the app has no such method.
            FunctionCallError: a ``GuestError``: the call trapped, panicked, ran out of
                fuel or memory, misused a host function, or could not be instantiated.
        """
        _check_method(app, method)
        call = CallState(env, limits or self.limits, method, bytes(input))
        started = time.perf_counter()
        try:
            with activate(call):
                self._execute(app, call)
        except NodeError:
            raise
        except Exception as exc:  # never let a host bug escape as a bare exception
            raise failures.GuestError(
                f"internal error in the devnet host while running `{method}`: {exc!r}",
                kind="host",
                logs=call.outcome.logs,
            ) from exc
        finally:
            if call.abort is not None:
                raise call.abort
        call.outcome.duration_s = time.perf_counter() - started
        return call.outcome

    def _execute(self, app: LoadedApp, call: CallState) -> None:
        lim = call.limits
        store = Store(self._engine)
        store.set_limits(memory_size=lim.memory_bytes)
        store.set_fuel(lim.fuel)
        try:
            instance = app.pre.instantiate(store)
        except (Trap, WasmtimeError) as exc:
            if call.error is not None:  # a start function misused a host function
                raise failures.from_host(call.error, call.outcome.logs) from exc
            raise failures.from_instantiation(
                exc, memory_min=app.memory_min, memory_cap=lim.memory_bytes
            ) from exc
        handle = InstanceHandle(store, instance)
        memory = handle.export("memory", EXTERN_MEMORY)
        assert memory is not None  # inspect_module checked the export
        call.bind_memory(memory)
        merge_fuel = self._register_merge(handle, call, store) if app.has_register_merge else 0
        func = handle.export(call.method, EXTERN_FUNC)
        assert func is not None  # _check_method checked the export
        failure = handle.call(func)
        left = store.get_fuel()
        call.outcome.fuel_used = merge_fuel + lim.fuel - left
        try:
            if call.error is not None:
                raise call.error
            if failure is not None:
                raise failures.from_wasm(
                    failure,
                    fuel_budget=lim.fuel,
                    fuel_left=left,
                    memory_len=handle.memory_len(memory),
                    memory_cap=lim.memory_bytes,
                    logs=call.outcome.logs,
                )
            call.run_finishers()
        except HostTrap as exc:
            raise failures.from_host(exc, call.outcome.logs) from None

    def _register_merge(self, handle: InstanceHandle, call: CallState, store: Store) -> int:
        """Run the merge-registration hook; ignore its failure; return the fuel it used.

        The method then gets a full budget of its own, so a hook that loops cannot
        starve it; the fuel of both is reported in ``fuel_used``.
        """
        hook = handle.export(REGISTER_MERGE, EXTERN_FUNC)
        failure = handle.call(hook) if hook is not None else None
        budget = call.limits.fuel
        used = budget - store.get_fuel()
        if failure is not None or call.error is not None:
            reason = call.error or failure
            log.warning("%s failed and is ignored: %s", REGISTER_MERGE, reason)
            call.error = None
        store.set_fuel(budget)
        return used


def _check_method(app: LoadedApp, method: str) -> None:
    if method in app.methods or (method == SYNC_NEXT and app.has_sync_next):
        return
    if method == CHECK_STATE and app.has_check_state:
        return
    signature = app.exports.get(method)
    if signature is not None and signature != "->":
        hint = (
            f" `{method}` is exported with type ({signature}), but methods take no "
            "parameters and return nothing."
        )
    elif signature is not None:
        hint = f" `{method}` is reserved for the host."
    else:
        hint = ""
    methods = ", ".join(app.methods) or "(none)"
    raise MethodNotFound(f"the app has no method `{method}`.{hint} Its methods are: {methods}")


def _new_engine() -> Engine:
    config = Config()
    config.consume_fuel = True
    return Engine(config)


def precompile(wasm: bytes, cache_dir: Path) -> bool:
    """Compile ``wasm`` into the module cache ``cache_dir`` unless it is there already.

    A cluster's nodes share one cache directory, so the manager compiles a new build once
    and every node then loads it in about a millisecond instead of compiling it again.

    Returns:
        True if it compiled, False if the cache already held the module.

    Raises:
        InvalidModule: wasmtime rejects the bytes.
    """
    check_header(wasm)
    cache = ModuleCache(_new_engine(), cache_dir, engine_tag(_ENGINE_CONFIG))
    cache.module(wasm, hashlib.sha256(wasm).digest())
    return cache.last_source == "compiled"
