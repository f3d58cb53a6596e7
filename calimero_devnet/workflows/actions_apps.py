"""Provides the app and context steps: install_application, create_context, create_mesh,
join_context and call, over the node admin API and JSON-RPC (``NodeClient``).

Before a join without an invitation the run installs the ``.wasm`` it installed earlier on
the joiner, from the file (a node lacking it would fetch it from the member it joins from).
Joining by invitation (``invitation``) leaves the app to the node, which fetches it from
the inviter's node.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.deploy import install as deploy
from calimero_devnet.cluster.processes.supervisor import module_cache_dir
from calimero_devnet.errors import NodeError
from calimero_devnet.workflows.actions_identity import join_by_invitation
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.prebuild import build_folder
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]


async def install_application(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Install a ``.wasm`` (or an app folder, built first) on ``node``: ``applicationId``."""
    wasm = await _wasm(ctx, (ctx.cwd / str(fields["path"])).resolve())
    app_id = await ctx.client(str(fields["node"])).install(str(wasm))
    ctx.wasm_of[app_id] = wasm
    ctx.values[f"install.{fields['node']}"] = app_id
    return {"applicationId": app_id}


async def _wasm(ctx: Context, path: Path) -> Path:
    """The ``.wasm`` of ``path`` (an app folder is built, or its build started with the
    cluster awaited), compiled once into the module cache the nodes share."""
    if path not in ctx.builds:
        data_dir = ctx.cluster.data_dir
        if path in ctx.prebuilt:
            wasm = await ctx.prebuilt[path]
        elif await asyncio.to_thread(path.is_dir):
            wasm = await build_folder(path, data_dir / "apps", data_dir, ctx.say)
        else:
            wasm = path  # resolved by the caller
            await deploy.precompile(await asyncio.to_thread(wasm.read_bytes),
                                    module_cache_dir(data_dir))  # fmt: skip
        ctx.builds[path] = wasm
    return ctx.builds[path]


def _init(fields: Response) -> dict[str, Any]:
    params = fields.get("params")
    if params is None or params == "":
        return {}
    try:
        value = json.loads(params) if isinstance(params, str) else params
    except ValueError as exc:
        raise StepFailed(f"params: not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise StepFailed("params: give a JSON object of init arguments")
    return value


async def create_context(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Create a context of ``application_id`` on ``node`` (in ``group_id`` when given):
    ``contextId``, ``memberPublicKey``."""
    node = str(fields["node"])
    body = {"applicationId": fields["application_id"], "initializationParams": _init(fields)}
    if fields.get("group_id"):
        body["groupId"] = fields["group_id"]  # a namespace or group of create_namespace
    data: Response = await ctx.client(node).admin("POST", "contexts", body)
    ctx.add_member(str(data["contextId"]), node)
    ctx.values[f"context.{node}"] = data["contextId"]
    return data


async def join_context(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Have ``node`` join ``context_id`` from a member's snapshot: ``memberIdentity``; with
    ``invitation``, join by it (``actions_identity.join_by_invitation``)."""
    if fields.get("invitation") is not None:
        return await join_by_invitation(ctx, fields)
    node, cid = str(fields["node"]), str(fields["context_id"])
    await _join(ctx, node, cid)
    return {"contextId": cid, "memberIdentity": await _public_key(ctx, node)}


async def _join(ctx: Context, node: str, cid: str) -> None:
    client = ctx.client(node)
    app_id = await _app_of(ctx, cid)
    if app_id in ctx.wasm_of:
        await client.install(str(ctx.wasm_of[app_id]))
    await client.join(cid)
    ctx.add_member(cid, node)


async def _app_of(ctx: Context, cid: str) -> str | None:
    for member in ctx.members.get(cid, []):
        client = ctx.cluster.clients().get(member)
        record = await client.context(cid) if client is not None else None
        if record is not None:
            return str(record.get("applicationId"))
    return None


async def _public_key(ctx: Context, node: str) -> str:
    data = await ctx.client(node).admin("GET", "identity")
    return str(data["publicKey"])


async def create_mesh(ctx: Context, fields: Response, result: StepResult) -> Response:
    """Create a context on ``context_node`` and join every node of ``nodes`` to it."""
    creator = str(fields["context_node"])
    data = await create_context(ctx, {**fields, "node": creator}, result)
    nodes = fields["nodes"] if isinstance(fields["nodes"], list) else [fields["nodes"]]
    for node in [creator, *(str(n) for n in nodes if n != creator)]:
        if node != creator:
            await _join(ctx, node, str(data["contextId"]))
        key = await _public_key(ctx, node)
        ctx.values[f"public_key_{node}"] = ctx.values[f"member_identity_{node}"] = key
    return data


async def call(ctx: Context, fields: Response, result: StepResult) -> Response:
    """Run ``method(args)`` on ``node`` in ``context_id``: ``result`` is ``{"output": ...}``."""
    client = ctx.client(str(fields["node"]))
    try:
        executor = fields.get("executor_public_key")
        output = await client.execute(
            str(fields["context_id"]), str(fields["method"]), fields.get("args") or {},
            executor=None if executor is None else str(executor),
        )  # fmt: skip
    except NodeError as exc:
        error = {"type": exc.type_name, "data": exc.data if exc.data is not None else str(exc)}
        if fields.get("allow_failure"):
            result.warning = f"failed (allow_failure): {exc.type_name}: {exc}"
            return {"error": error}
        raise StepFailed(f"{exc.type_name}: {exc}", {"error": error}) from exc
    return {"result": {"output": output}, "error": None}
