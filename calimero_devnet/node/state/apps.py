"""Provides the node's application registry: installed WASM modules and their loaded form."""

from __future__ import annotations

from typing import Any

from calimero_devnet.errors import ApplicationNotFound, InvalidModule
from calimero_devnet.ids import sha256, to_b58
from calimero_devnet.node.state.calls import RuntimeLike
from calimero_devnet.node.state.records import AppRecord
from calimero_devnet.node.state.results import AppInfo
from calimero_devnet.node.state.store import NodeStore


class AppRegistry:
    """Installs applications into the store and keeps each one loaded once per process."""

    def __init__(self, store: NodeStore, runtime: RuntimeLike[Any], node_name: str) -> None:
        """Serve the apps of ``store``, loading them with ``runtime``."""
        self._store = store
        self._runtime = runtime
        self._node = node_name
        self._loaded: dict[bytes, Any] = {}

    def install(self, wasm: bytes, *, source: str, metadata: bytes = b"") -> bytes:
        """Install ``wasm`` (idempotent: a second install keeps the first record); return its id.

        Raises:
            InvalidModule: the bytes are not a module that fits the host ABI.
        """
        app_id = sha256(wasm)
        if self._store.app(app_id) is not None:
            return app_id
        try:
            loaded = self._runtime.load(wasm)
        except InvalidModule as exc:
            raise InvalidModule(f"cannot install {source}: {exc}") from exc
        record = AppRecord(
            id=app_id, size=len(wasm), source=source, metadata=metadata,
            methods=list(loaded.methods),
        )  # fmt: skip
        batch = self._store.batch()
        batch.put_app(record, wasm)
        self._store.write(batch)
        self._loaded[app_id] = loaded
        return app_id

    def info(self, app_id: bytes) -> AppInfo:
        """Describe an installed application, or raise ``ApplicationNotFound``."""
        record = self._store.app(app_id)
        if record is None:
            raise self.not_found(app_id)
        return AppInfo.from_record(record)

    def all(self) -> list[AppInfo]:
        """Every installed application, by id."""
        return [AppInfo.from_record(r) for r in self._store.apps()]

    def loaded(self, app_id: bytes) -> Any:
        """The runtime's loaded form of an installed app (loaded on first use)."""
        app = self._loaded.get(app_id)
        if app is None:
            wasm = self._store.app_blob(app_id)
            if wasm is None:
                raise self.not_found(app_id)
            app = self._loaded[app_id] = self._runtime.load(wasm)
        return app

    def not_found(self, app_id: bytes) -> ApplicationNotFound:
        """The error for an app this node does not have."""
        return ApplicationNotFound(
            f"application {to_b58(app_id)} is not installed on node {self._node}: install it first"
        )
