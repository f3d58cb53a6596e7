"""Provides our ``redeploy`` step: rebuild an app and hot-switch every node to it, keeping state.

The same machinery as ``devnet up``'s watch (``cluster/deploy/install.py``): build, compile
into the shared module cache, install on every running node, then switch each context of
the old app on each of its members (``switch_everywhere``). Each build goes to a folder of
its own, so the file an earlier version was installed from never changes under it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.deploy import install as deploy
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.cluster.processes.supervisor import module_cache_dir
from calimero_devnet.config.model import AppSettings
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]
POLL_S = 0.05


async def redeploy(ctx: Context, fields: Response, result: StepResult) -> Response:
    """Extension: rebuild ``path`` and switch every context of the app it replaces to it."""
    path = (ctx.cwd / str(fields["path"]).strip()).resolve()
    old = str(fields.get("application_id") or _installed_from(ctx, path))
    targets = await _targets(ctx, old)
    wasm = await _build(ctx, path, f"redeploy-{result.where.replace('#', '-')}")
    new = await deploy.install([client for client, _ in targets], wasm)
    ctx.wasm_of[new], ctx.builds[path] = wasm, wasm
    contexts = sorted({cid for _, cids in targets for cid in cids})
    if new == old:
        result.warning = "the new build is byte-identical to the running one: nothing switched"
        return {"applicationId": new, "previousApplicationId": old, "contexts": contexts}
    _, failed = await deploy.switch_everywhere(targets, new)
    if failed:
        why = "; ".join(f"{f.node}, context {f.context[:8]}: {f.reason}" for f in failed)
        raise StepFailed(f"not switched to {new[:8]}: {why}")
    try:
        async with asyncio.timeout(ctx.timeout(fields)):
            await _wait_switched(targets, new)
    except TimeoutError:
        raise StepFailed(f"not every node runs {new[:8]} after {ctx.timeout(fields):g} s") from None
    return {"applicationId": new, "previousApplicationId": old, "contexts": contexts}


def _installed_from(ctx: Context, path: Path) -> str:
    """The app an earlier step installed (or redeployed) from ``path``."""
    built = ctx.builds.get(path)
    for app_id, wasm in reversed(ctx.wasm_of.items()):
        if built is not None and wasm == built:
            return app_id
    raise StepFailed(
        f"no earlier step installed {path}: give application_id, the app this build replaces"
    )


async def _targets(ctx: Context, old: str) -> list[tuple[NodeClient, list[str]]]:
    """Every running node, with the contexts it runs on ``old``.

    Raises:
        StepFailed: a member of one of those contexts is not running (it would keep the
            old version), or no context runs ``old``.
    """
    clients = ctx.cluster.clients()
    targets: dict[str, list[str]] = {name: [] for name in clients}
    for cid, members in ctx.members.items():
        for node in members:
            client = clients.get(node)
            if client is None:
                raise StepFailed(f"{node} is not running: start it before a redeploy")
            record = await client.context(cid)
            if record is not None and record.get("applicationId") == old:
                targets[node].append(cid)
    if not any(targets.values()):
        raise StepFailed(f"no context runs the app {old}")
    return [(clients[name], cids) for name, cids in targets.items()]


async def _build(ctx: Context, path: Path, folder: str) -> Path:
    """Build ``path`` afresh (a ``.wasm`` is taken as it is) and compile it into the cache."""
    if await asyncio.to_thread(path.is_dir):
        app = AppSettings(path.name, path, "typescript", watch=False)
        wasm, _ = await deploy.build(app, ctx.cluster.data_dir / "apps" / folder, ctx.say)
    elif path.suffix == ".wasm" and await asyncio.to_thread(path.is_file):
        wasm = path
    else:
        raise StepFailed(f"path {path}: give an app folder or a .wasm file")
    data = await asyncio.to_thread(wasm.read_bytes)
    await deploy.precompile(data, module_cache_dir(ctx.cluster.data_dir))
    return wasm.resolve()


async def _wait_switched(targets: list[tuple[NodeClient, list[str]]], app_id: str) -> None:
    """Wait until every node reports ``app_id`` for each of its contexts."""

    async def runs_it(client: NodeClient, cid: str) -> bool:
        record = await client.context(cid)
        return record is not None and record.get("applicationId") == app_id

    pending = [(client, cid) for client, cids in targets for cid in cids]
    while pending:
        done = await asyncio.gather(*(runs_it(client, cid) for client, cid in pending))
        pending = [item for item, ok in zip(pending, done, strict=True) if not ok]
        if pending:
            await asyncio.sleep(POLL_S)
