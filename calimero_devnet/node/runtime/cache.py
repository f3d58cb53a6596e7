"""Provides ``ModuleCache``: compiled modules serialized on disk, one file per app.

Compiling a module takes 150-330 ms; loading a serialized one well under 1 ms. A disk
entry is named by sha256(wasm) and a tag of the wasmtime version and engine
configuration (a module serialized by another configuration does not load). Each file
ends with a sha256 of its payload: wasmtime trusts serialized code, so a damaged file must
be caught before it is deserialized. A damaged or stale file is recompiled and replaced.

A file is mapped, not read: its code pages are the page cache's, shared by every node of a
cluster, instead of ~6 MiB of private copies per node and app. The checksum goes last so
the payload starts the file, as wasmtime maps it (it ignores the bytes after the object);
it is checked through the same open file that is mapped, so a file replaced in between
cannot slip past it. Files are only ever replaced by a rename, never rewritten in place (a
mapped file cut short would fault).
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO, Literal

from wasmtime import Engine, Module, WasmtimeError

from calimero_devnet.errors import InvalidModule

log = logging.getLogger(__name__)

_MAGIC = b"CDVNMOD2"  # MOD1 (checksum first) files no longer match and are recompiled
_TRAILER = len(_MAGIC) + 32
_CHUNK = 1 << 20
Source = Literal["disk", "compiled"]


def engine_tag(config: str) -> str:
    """A short tag naming the wasmtime build and engine configuration."""
    text = f"wasmtime {version('wasmtime')}; {platform.machine()}; {config}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ModuleCache:
    """Compiled modules for one engine, by app id."""

    def __init__(self, engine: Engine, cache_dir: Path | None, tag: str) -> None:
        self._engine, self._dir, self._tag = engine, cache_dir, tag
        self.last_source: Source | None = None
        """Where the last :meth:`module` call found its module (for tests and stats)."""

    def path(self, app_id: bytes) -> Path | None:
        """The disk file for ``app_id``, or None without a cache directory."""
        return None if self._dir is None else self._dir / f"{app_id.hex()}-{self._tag}.cwasm"

    def module(self, wasm: bytes, app_id: bytes) -> Module:
        """Return the compiled module for ``wasm`` (whose sha256 is ``app_id``).

        Raises:
            InvalidModule: wasmtime rejects the bytes.
        """
        module: Module | None = self._from_disk(app_id)
        source: Source = "disk"
        if module is None:
            module, source = self._compile(wasm), "compiled"
            self._to_disk(app_id, module)
        self.last_source = source
        return module

    def _compile(self, wasm: bytes) -> Module:
        try:
            return Module(self._engine, wasm)
        except WasmtimeError as exc:
            reason = str(exc).strip().splitlines()
            raise InvalidModule(f"invalid WebAssembly module: {' '.join(reason)}") from exc

    def _from_disk(self, app_id: bytes) -> Module | None:
        path = self.path(app_id)
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as file:
                _check_trailer(file)
                return Module.deserialize_file(self._engine, _fd_path(file.fileno(), path))
        except (OSError, ValueError, WasmtimeError) as exc:
            log.warning("module cache file %s is unusable (%s); recompiling", path, exc)
            return None

    def _to_disk(self, app_id: bytes, module: Module) -> None:
        path = self.path(app_id)
        if path is None:
            return
        tmp: str | None = None
        try:
            payload = bytes(module.serialize())
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(payload + _MAGIC + hashlib.sha256(payload).digest())
            os.replace(tmp, path)  # atomic: readers never see half a file
        except (OSError, WasmtimeError) as exc:
            log.warning("cannot write module cache file %s (%s); continuing", path, exc)
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def _check_trailer(file: BinaryIO) -> None:
    """Raise ``ValueError`` unless ``file`` ends with the magic and the sha256 of the rest."""
    size = os.fstat(file.fileno()).st_size - _TRAILER
    if size <= 0:
        raise ValueError("too short")
    digest, left = hashlib.sha256(), size
    while left > 0:
        chunk = file.read(min(_CHUNK, left))
        if not chunk:
            raise ValueError("cut short while read")
        digest.update(chunk)
        left -= len(chunk)
    trailer = file.read(_TRAILER)
    if trailer[: len(_MAGIC)] != _MAGIC or trailer[len(_MAGIC) :] != digest.digest():
        raise ValueError("checksum mismatch")


def _fd_path(fd: int, path: Path) -> str:
    """A path naming the open file ``fd`` itself (Linux), else ``path``."""
    own = f"/proc/self/fd/{fd}"
    return own if os.path.exists(own) else str(path)
