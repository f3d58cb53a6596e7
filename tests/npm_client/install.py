"""Installs the pinned upstream client (``package-lock.json`` here) once, as the toolchain's
npm tools are: ``npm ci`` into the toolchain cache, keyed by the lock file, behind a lock.

``python -m tests.npm_client.install`` (run by ``./dev setup`` and ``./dev test``) installs
it ahead of the tests; the test installs it itself when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calimero_devnet.toolchain.cache import cache_root, file_key, locked, read_stamp, write_stamp
from calimero_devnet.toolchain.npm import npm_ci

HERE = Path(__file__).parent
DRIVER = HERE / "drive.mjs"


def client_dir(progress: Callable[[str], None] | None = None) -> Path:
    """Return the folder whose ``node_modules`` holds the client, installing it if needed.

    Raises:
        ToolchainError: npm is missing or ``npm ci`` failed.
    """
    cache = cache_root()
    target = cache / f"npm-client-{file_key(HERE / 'package.json', HERE / 'package-lock.json')}"
    if read_stamp(target) is not None:
        return target
    with locked(cache, name="npm-client.lock"):
        if read_stamp(target) is None:
            if progress is not None:
                progress("installing @calimero-network/calimero-client for the tests "
                         "(npm ci, one-time, ~30 s)")  # fmt: skip
            npm_ci(HERE, target, what="npm ci (@calimero-network/calimero-client, ws)")
            write_stamp(target, {"lock": str(HERE / "package-lock.json")})
    return target


if __name__ == "__main__":
    client_dir(print)
