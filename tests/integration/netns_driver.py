"""Provides the driver of ``test_multihost.py``: one process inside host A's namespace.

It reads one JSON request a line, ``[operation, args, kwargs]``, runs that ``RemoteCluster``
operation on the cluster of the data dir it was given (attached afresh each time, so nodes
that joined since are known), and writes one JSON answer a line: ``{"ok": result}`` or
``{"error": message, "kind": error class}``. One interpreter for the whole test instead of
a ``devnet`` process per step.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.errors import DevnetError


def _plain(value: Any) -> Any:
    return value.to_json() if hasattr(value, "to_json") else str(value)


async def _answer(data_dir: Path, request: str) -> str:
    operation, args, kwargs = json.loads(request)
    cluster = RemoteCluster.attach(data_dir)
    try:
        result = await getattr(cluster, operation)(*args, **kwargs)
    except DevnetError as exc:
        return json.dumps({"error": str(exc), "kind": type(exc).__name__})
    return json.dumps({"ok": result}, default=_plain)


async def main(data_dir: Path) -> None:
    """Answer requests from stdin until it closes."""
    while line := await asyncio.to_thread(sys.stdin.readline):
        print(await _answer(data_dir, line), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
