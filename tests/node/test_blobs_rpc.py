"""Blobs through the admin API of real nodes: upload, announce, fetch on demand, info, delete."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.blobs.store import CHUNK_SIZE
from tests.node.test_replication_rpc import admin, http_nodes, install, wasm

__all__ = ["wasm"]  # the fixture, re-used

DATA = bytes(i % 241 for i in range(CHUNK_SIZE + 4321))  # two chunks


async def _shared_context(a: httpx.AsyncClient, b: httpx.AsyncClient, wasm: Path) -> str:
    app = await install(a, wasm)
    ctx = str((await admin(a, "POST", "contexts", {"applicationId": app}))["contextId"])
    await install(b, wasm)
    await admin(b, "POST", f"contexts/{ctx}/join")
    return ctx


async def test_a_blob_uploaded_on_one_node_downloads_from_another(
    tmp_path: Path, wasm: Path
) -> None:
    async with http_nodes(tmp_path, 2) as (_, (a, b)):
        ctx = await _shared_context(a, b, wasm)
        uploaded = await a.put(f"/admin-api/blobs?context_id={ctx}", content=DATA)
        assert uploaded.status_code == 200, uploaded.text
        info = uploaded.json()["data"]
        assert info["size"] == len(DATA)
        blob = info["blob_id"]
        assert len(from_b58(blob)) == 32

        local_only = await b.get(f"/admin-api/blobs/{blob}")
        assert local_only.status_code == 404
        assert "not found locally or in network" in local_only.json()["error"]

        fetched = await b.get(f"/admin-api/blobs/{blob}?context_id={ctx}")
        assert fetched.status_code == 200
        assert fetched.content == DATA
        assert fetched.headers["X-Blob-Hash"] == hashlib.sha256(DATA).hexdigest()
        assert fetched.headers["X-Blob-ID"] == blob

        head = await b.head(f"/admin-api/blobs/{blob}")
        assert head.status_code == 200
        assert head.headers["Content-Length"] == str(len(DATA))
        assert head.content == b""
        listed = await admin(b, "GET", "blobs")
        assert listed == {"blobs": [{"blob_id": blob, "size": len(DATA)}]}


async def test_an_upload_is_announced_only_to_a_context_the_node_is_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with http_nodes(tmp_path, 1) as (_, (a,)):
        stranger = to_b58(bytes(range(32)))
        uploaded = await a.put(f"/admin-api/blobs?context_id={stranger}", content=b"x")
        assert uploaded.status_code == 200
        assert f"not announced to {stranger}, a context this node is not in" in caplog.text


async def test_upload_with_a_wrong_hash_stores_nothing(tmp_path: Path) -> None:
    async with http_nodes(tmp_path, 1) as (_, (a,)):
        wrong = to_b58(hashlib.sha256(b"other").digest())
        refused = await a.put(f"/admin-api/blobs?hash={wrong}", content=b"payload")
        assert refused.status_code == 400
        assert "nothing was stored" in refused.json()["error"]
        assert await admin(a, "GET", "blobs") == {"blobs": []}
        right = to_b58(hashlib.sha256(b"payload").digest())
        assert (await a.put(f"/admin-api/blobs?hash={right}", content=b"payload")).is_success


async def test_delete_answers_as_upstream_and_then_404(tmp_path: Path) -> None:
    async with http_nodes(tmp_path, 1) as (_, (a,)):
        blob = (await admin(a, "PUT", "blobs"))["blob_id"]  # the empty blob
        assert blob == to_b58(hashlib.sha256(b"").digest())
        deleted = await a.delete(f"/admin-api/blobs/{blob}")
        assert deleted.json() == {"blob_id": blob, "deleted": True}
        again = await a.delete(f"/admin-api/blobs/{blob}")
        assert again.status_code == 404
        bad = await a.get("/admin-api/blobs/not-base58!")
        assert bad.status_code == 400
