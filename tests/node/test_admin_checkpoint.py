"""``POST /admin-api/checkpoint``: a copy of the store between commits, inside the node's home."""

from __future__ import annotations

from pathlib import Path

import httpx

from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.state.store import NodeStore
from tests.fixtures import load_wat
from tests.node.test_admin_switch import admin, client, execute, install

__all__ = ["client"]  # the fixture, shared with the switch tests


async def test_a_checkpoint_holds_every_commit_before_it_and_none_after(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    app = await install(client, tmp_path / "kv.wasm", load_wat("kv_store"))
    _, created = await admin(client, "contexts", {"applicationId": app, "contextSeed": "s"})
    ctx = created["data"]["contextId"]
    await execute(client, ctx, "set", {"key": "a", "value": "1"})

    status, answer = await admin(client, "checkpoint", {"name": "first"})
    await execute(client, ctx, "set", {"key": "b", "value": "2"})

    assert status == 200, answer
    live = (await client.get(f"/admin-api/contexts/{ctx}")).json()["data"]
    folder = Path(answer["data"]["path"])
    assert folder == tmp_path / "home" / "checkpoints" / "first"
    (seen,) = answer["data"]["contexts"]
    copy = NodeStore.open(folder)
    try:
        record = copy.context(from_b58(ctx, "context id"))
        assert record is not None
        assert seen["dagHeads"] == [to_b58(h) for h in record.heads] != live["dagHeads"]
        assert record.delta_count == seen["deltaCount"] == live["deltaCount"] - 1
        assert copy.identity_seed() is not None  # the node's key travels with its store
    finally:
        copy.close()


async def test_a_checkpoint_name_stays_inside_the_home_and_is_not_reused(
    client: httpx.AsyncClient,
) -> None:
    for bad in ("../escape", ".hidden", "", "a/b", 7):
        status, answer = await admin(client, "checkpoint", {"name": bad})
        assert status == 400, (bad, answer)
        assert "name must be" in answer["error"]
    assert (await admin(client, "checkpoint", {"name": "once"}))[0] == 200
    status, answer = await admin(client, "checkpoint", {"name": "once"})
    assert status == 400
    assert "exists already" in answer["error"]
