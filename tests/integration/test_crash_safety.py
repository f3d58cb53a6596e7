"""SIGKILL a node in the middle of a burst of writes: every acknowledged write survives whole."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.integration.node_process import admin, deploy_kv_store, execute, start_node

pytestmark = pytest.mark.integration

WRITERS = 6
KILL_AFTER_ACKS = 80
MAX_WRITES_PER_WRITER = 5_000


async def write_until_refused(
    client: httpx.AsyncClient, ctx: str, writer: int, acked: dict[str, str], enough: asyncio.Event
) -> None:
    """Set fresh keys one after another; record each write the node acknowledged."""
    for n in range(MAX_WRITES_PER_WRITER):
        key, value = f"w{writer}-{n}", f"v{writer}-{n}"
        params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": value}}
        body = {"jsonrpc": "2.0", "id": n, "method": "execute", "params": params}
        try:
            answer = (await client.post("/jsonrpc", json=body)).json()
        except httpx.TransportError:
            return  # the node died: this write may or may not have landed
        assert "result" in answer, answer
        acked[key] = value
        if len(acked) >= KILL_AFTER_ACKS:
            enough.set()


async def burst_then_kill(proc: subprocess.Popen[bytes], url: str, ctx: str) -> dict[str, str]:
    """Run concurrent writers; SIGKILL the node once enough writes were acknowledged."""
    acked: dict[str, str] = {}
    enough = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client, asyncio.timeout(40):
        writers = [write_until_refused(client, ctx, w, acked, enough) for w in range(WRITERS)]
        tasks = [asyncio.create_task(writer) for writer in writers]
        await enough.wait()
        proc.kill()
        await asyncio.gather(*tasks)
    return acked


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    home = tmp_path / "node"
    node = start_node(home, "--index", "3")
    with httpx.Client(base_url=node.url) as client:
        ctx = deploy_kv_store(client, tmp_path)
        deltas_after_init = admin(client, "GET", f"contexts/{ctx}")["deltaCount"]
    acked = await burst_then_kill(node.proc, node.url, ctx)
    assert node.stop(signal.SIGKILL) == -signal.SIGKILL

    again = start_node(home, "--index", "3")
    try:
        with httpx.Client(base_url=again.url) as client:
            for key, value in acked.items():
                assert execute(client, ctx, "get", {"key": key}) == value
            applied = execute(client, ctx, "len")
            context = admin(client, "GET", f"contexts/{ctx}")
            problems = admin(client, "GET", f"contexts/{ctx}/consistency")["problems"]
    finally:
        assert again.stop() == 0
    assert len(acked) <= applied <= len(acked) + WRITERS  # at most one unacknowledged per writer
    assert context["deltaCount"] == deltas_after_init + applied  # no write half-applied
    assert problems == []
