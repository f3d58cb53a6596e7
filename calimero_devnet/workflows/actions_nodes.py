"""Provides the node and network steps: stop_node, start_node, partition_peers,
heal_peers, script, and our partition, heal, kill and restart (the ``Cluster`` methods)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]
SCRIPT_TAIL = 1500  # characters of a failed script's output shown


def _names(value: Any) -> list[str]:
    return [str(name) for name in (value if isinstance(value, list) else [value])]


async def _each(nodes: Any, verb: Callable[[str], Awaitable[object]]) -> Response:
    """Run one cluster verb on each of ``nodes`` (a name or a list), in order."""
    for node in _names(nodes):
        await verb(node)
    return {}


async def stop_node(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Stop ``nodes`` politely (their data stays)."""
    return await _each(fields["nodes"], ctx.cluster.stop)


async def start_node(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Start stopped ``nodes`` on their data; each is ready when this returns."""

    async def start(node: str) -> None:
        try:
            await asyncio.wait_for(ctx.cluster.start(node), ctx.timeout(fields, "wait_timeout"))
        except TimeoutError:
            raise StepFailed(f"{node} was not ready in time") from None

    return await _each(fields["nodes"], start)


async def kill(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: SIGKILL ``nodes``, as a crash would."""
    return await _each(fields["nodes"], ctx.cluster.kill)


async def restart(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: stop and start ``nodes`` again; they catch up by deltas."""
    return await _each(fields["nodes"], ctx.cluster.restart)


async def partition(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: cut the network into ``groups`` (nodes in none form one more group)."""
    groups = [_names(group) for group in fields["groups"]]
    await ctx.cluster.partition(groups)
    return {}


async def heal(ctx: Context, _: Response, __: StepResult) -> Response:
    """Extension: remove every partition and link fault."""
    await ctx.cluster.heal()
    return {}


async def partition_peers(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Cut every message between ``node`` and each of ``peers`` (both ways)."""
    node = str(fields["node"])
    return await _each(
        fields["peers"], lambda peer: ctx.cluster.latency(node, peer, 0, loss=1.0, both=True)
    )


async def heal_peers(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Restore the links between ``node`` and each of ``peers``."""
    node = str(fields["node"])
    return await _each(
        fields["peers"], lambda peer: ctx.cluster.latency(node, peer, 0, loss=0.0, both=True)
    )


async def script(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Run a shell script on this host (``target: local``); it passes if it exits 0.

    The workflow's variables are in its environment as ``MEROBOX_<NAME>`` (upper-cased,
    ``-`` and ``.`` as ``_``), text values as they are.
    """
    env = dict(os.environ)
    for name, value in ctx.values.items():
        key = "MEROBOX_" + name.upper().replace("-", "_").replace(".", "_")
        env[key] = value if isinstance(value, str) else str(value)
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", str(ctx.cwd / str(fields["script"])), cwd=ctx.cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out = (await process.communicate())[0]
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise StepFailed(f"the script exited {process.returncode}: {text[-SCRIPT_TAIL:].strip()}")
    return {"exit_code": 0, "stdout": text}
