"""Provides the toolchain cache: its location, content keys, ready stamps and a file lock.

Layout under the root (``$CALIMERO_DEVNET_CACHE`` or ``~/.cache/calimero-devnet/toolchain``)::

    .lock                         held while a one-time step runs (two builds never race)
    downloads/                    the quickjs-ng sdist from PyPI
    quickjs-ng-<version>/         its extracted ``upstream-quickjs/`` sources
    zig/                          zig's own cache (wasi-libc is built there once)
    engine-<key>/                 libquickjs.a, calimero-qjsc, wasi libs, ready.json
    engine-<key>/glue-<key>/      the C glue objects, ready.json
    npm-<key>/node_modules/       esbuild + typescript from toolchain/package-lock.json

A directory is usable once its ``ready.json`` exists; it is written last, atomically.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from calimero_devnet.errors import ToolchainError

CACHE_ENV = "CALIMERO_DEVNET_CACHE"
STAMP = "ready.json"


def cache_root() -> Path:
    """Return the cache root, honouring ``$CALIMERO_DEVNET_CACHE``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path.home() / ".cache" / "calimero-devnet" / "toolchain"


def content_key(*parts: str | bytes) -> str:
    """Return a short stable hash of ``parts`` (order matters)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:16]


def file_key(*paths: Path) -> str:
    """Return a content key over the bytes of ``paths``."""
    return content_key(*(p.read_bytes() for p in paths))


def read_stamp(directory: Path) -> dict[str, Any] | None:
    """Return the ready stamp of ``directory``, or None if it is not ready."""
    try:
        data = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_stamp(directory: Path, data: dict[str, Any]) -> None:
    """Mark ``directory`` ready with ``data`` (atomic: a crash leaves it not ready)."""
    tmp = directory / f".{STAMP}.{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, directory / STAMP)


@contextmanager
def locked(directory: Path, *, timeout: float = 900.0, name: str = ".lock") -> Iterator[None]:
    """Hold an exclusive lock on ``directory/name`` across processes.

    Raises:
        ToolchainError: another process held the lock for ``timeout`` seconds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    with path.open("a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ToolchainError(
                        f"{path} stayed locked for {timeout:.0f} s: another build is stuck; "
                        "stop it or delete the lock file"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
