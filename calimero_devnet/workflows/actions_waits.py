"""Provides the waiting and checking steps: wait, wait_for_sync, assert, json_assert, and
our wait_converged and wait_value (convergence over the nodes' HTTP endpoints)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from calimero_devnet.cluster import convergence
from calimero_devnet.cluster.convergence import SAME, ConvergenceTimeout, Report
from calimero_devnet.cluster.nodeclient import http_client
from calimero_devnet.errors import ClusterError
from calimero_devnet.workflows.assertions import evaluate
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]
DEFAULT_WAIT_S = 5.0  # merobox's wait without `seconds`


async def wait(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Sleep ``seconds`` (5 without it, as merobox)."""
    if fields.get("message"):
        ctx.say(f"    … {fields['message']}")
    await asyncio.sleep(float(fields.get("seconds", DEFAULT_WAIT_S)))
    return {}


@contextlib.asynccontextmanager
async def _clients(ctx: Context, nodes: Sequence[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = []
    for name in nodes:
        ref = ctx.cluster.node(name)
        if not ref.running or ref.url is None:
            raise StepFailed(f"{name} is not running")
        clients.append(http_client(ref.url, 10, ctx.cluster.token))
    try:
        yield clients
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def member_nodes(ctx: Context, fields: Response, cid: str) -> list[str]:
    """The step's ``nodes``, or else the members of ``cid`` that run."""
    given = fields.get("nodes")
    if given:
        return [str(n) for n in (given if isinstance(given, list) else [given])]
    running = {ref.name for ref in ctx.cluster.refs() if ref.running}
    members = [n for n in ctx.members.get(cid, []) if n in running]
    if not members:
        raise StepFailed(f"no running node takes part in context {cid}")
    return members


def _named(report: Report, ctx: Context, nodes: Sequence[str]) -> str:
    text = "; ".join(report.differences) or "not converged"
    for name in nodes:
        url = ctx.cluster.node(name).url
        text = text.replace(str(url), name) if url else text
    return text


async def wait_for_sync(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Wait until ``nodes`` agree on ``context_id`` (heads, root, nothing pending)."""
    cid, nodes = str(fields["context_id"]), member_nodes(ctx, fields, str(fields["context_id"]))
    async with _clients(ctx, nodes) as clients:
        if fields.get("trigger_sync"):
            await asyncio.gather(*(c.post("/admin-api/contexts/sync", json={"contextId": cid})
                                   for c in clients), return_exceptions=True)  # fmt: skip
        try:
            report = await convergence.wait_converged(clients, cid, ctx.timeout(fields))
        except ConvergenceTimeout as exc:
            raise StepFailed(f"not in sync after {exc.report.elapsed_s:.1f} s: "
                             f"{_named(exc.report, ctx, nodes)}") from None  # fmt: skip
    roots = {view.root for view in report.views}
    return {"converged": True, "rootHash": next(iter(roots)), "seconds": report.elapsed_s}


async def wait_converged(ctx: Context, fields: Response, result: StepResult) -> Response:
    """Extension: wait until every member of ``context_id`` (default: each context) agrees."""
    cids = [str(fields["context_id"])] if fields.get("context_id") else list(ctx.members)
    if not cids:
        raise StepFailed("no context to wait for: create one first")
    for cid in cids:
        await wait_for_sync(ctx, {**fields, "context_id": cid,
                                  "nodes": member_nodes(ctx, fields, cid)}, result)  # fmt: skip
    return {"converged": True}


async def wait_value(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: wait until ``method(args)`` returns one value (or ``expected``) on the nodes."""
    cid = str(fields["context_id"])
    nodes = member_nodes(ctx, fields, cid)
    expected = fields.get("expected", SAME)
    async with _clients(ctx, nodes) as clients:
        try:
            report = await convergence.wait_value(
                clients, cid, str(fields["method"]), fields.get("args") or {},
                expected=expected, timeout=ctx.timeout(fields),
            )  # fmt: skip
        except ConvergenceTimeout as exc:
            raise StepFailed(f"no agreement after {exc.report.elapsed_s:.1f} s: "
                             f"{_named(exc.report, ctx, nodes)}") from None  # fmt: skip
        except ClusterError as exc:
            raise StepFailed(str(exc)) from exc
    return {"value": report.views[0][1] if report.views else None}


async def assert_statements(ctx: Context, fields: Response, result: StepResult) -> Response:
    """``assert`` and ``json_assert``: every statement must hold."""
    failed = []
    for item in fields["statements"]:
        text = item["statement"] if isinstance(item, dict) else item
        verdict = evaluate(str(text), ctx.values)
        if not verdict.ok:
            message = item.get("message") if isinstance(item, dict) else None
            failed.append(f"{text}: {message or verdict.detail}")
    if failed and fields.get("non_blocking"):
        result.warning = "non-blocking, failed: " + " | ".join(failed)
    elif failed:
        raise StepFailed(" | ".join(failed))
    return {}
