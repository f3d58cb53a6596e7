"""Provides ``POST /admin-api/checkpoint`` (devnet extension): a consistent copy of the store.

``{"name": "snap-1"}`` writes a RocksDB checkpoint to ``<home>/checkpoints/<name>`` and
answers ``{"path", "publicKey", "contexts": [context...]}``. It runs on the core's one
thread, like every commit, so the copy falls between two commits and the contexts it
answers (heads, root) are the ones the copy holds. The manager moves the folder into a
cluster snapshot (``cluster/snapshots/``); the node only ever writes inside its own home.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.rpc.admin_switch import real_core
from calimero_devnet.node.rpc.replies import context_json, json_kind, ok, read_json_object
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.results import ContextInfo

CHECKPOINT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def checkpoint_name(value: Any) -> str:
    """``value`` as a checkpoint folder name (letters, digits, ``.``, ``_``, ``-``)."""
    if not isinstance(value, str) or not CHECKPOINT_NAME.fullmatch(value):
        got = repr(value) if isinstance(value, str) else json_kind(value)
        raise ParseError(
            f"name must be 1-100 letters, digits, '.', '_' or '-' (not starting with '.'): {got}"
        )
    return value


def take_checkpoint(any_core: Any, name: str) -> tuple[Path, list[ContextInfo]]:
    """Checkpoint the store of ``any_core`` (a ``NodeCore``) as ``name``; return the folder
    and the contexts it holds. Call on the core's thread, so no commit is halfway."""
    core = real_core(any_core)
    folder = core.store.path.parent / "checkpoints" / name
    if folder.exists():
        raise ParseError(f"checkpoint {name} exists already in {folder.parent}")
    folder.parent.mkdir(mode=0o700, exist_ok=True)
    core.store.checkpoint(folder)
    return folder, core.contexts()


def checkpoint_route(worker: CoreWorker) -> web.RouteDef:
    """``POST /admin-api/checkpoint {"name"}``; answers the folder and the contexts in it."""

    async def handle(request: web.Request) -> web.Response:
        name = checkpoint_name((await read_json_object(request)).get("name"))
        folder, contexts = await worker.call(lambda core: take_checkpoint(core, name))
        return ok({"path": str(folder), "publicKey": to_b58(worker.core.public_key),
                   "contexts": [context_json(info) for info in contexts]})  # fmt: skip

    return web.post("/admin-api/checkpoint", handle)
