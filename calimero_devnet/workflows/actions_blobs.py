"""Provides the blob steps ``upload_blob`` and ``download_blob``, with merobox's fields and
outputs, over the node admin API's blob routes.

``upload_blob`` (``node``, ``file_path``, ``context_id``?) answers ``{"blob_id", "size"}``
and sets ``blob_id_<node>`` and ``blob_size_<node>``. ``download_blob`` (``node``,
``blob_id``, ``context_id``? to fetch from the context's nodes, ``output_path``?,
``expected_size``?, ``expected_sha256``?) answers ``{"blob_id", "size", "sha256"}`` and sets
``downloaded_blob_size_<node>`` and ``downloaded_blob_sha256_<node>``. As in merobox,
``expected_failure`` covers only a blob that could not be retrieved: bytes that arrive but
fail a size or sha256 check fail the step whatever it expects. ``delete_blob`` (``node``,
``blob_id``, ``missing_ok``? default true) removes the blob from that node and answers
``{"blob_id", "deleted"}``; a blob already absent is ``deleted: false`` under ``missing_ok``.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx

from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]


async def upload_blob(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Upload ``file_path`` to ``node``; with ``context_id``, announce it to that context."""
    node, path = str(fields["node"]), ctx.cwd / str(fields["file_path"])
    if not await asyncio.to_thread(path.is_file):
        raise StepFailed(f"file_path {path} is not a file")
    data = await asyncio.to_thread(path.read_bytes)
    params = _context(fields)
    response = await _request(ctx, node, "PUT", "/admin-api/blobs", params, content=data)
    if response.status_code != 200:
        raise StepFailed(f"{node}: upload refused ({response.status_code}): {_error(response)}")
    info: Response = response.json()["data"]
    ctx.values[f"blob_id_{node}"], ctx.values[f"blob_size_{node}"] = info["blob_id"], info["size"]
    return info


async def download_blob(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Download ``blob_id`` from ``node`` and check what came back."""
    node, blob_id = str(fields["node"]), str(fields["blob_id"])
    path = f"/admin-api/blobs/{blob_id}"
    response = await _request(ctx, node, "GET", path, _context(fields))
    if response.status_code != 200:
        raise StepFailed(f"{node}: blob {blob_id} not retrieved ({response.status_code}): "
                         f"{_error(response)}")  # fmt: skip
    data = response.content
    info = {"blob_id": blob_id, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    _check(fields, info)
    if fields.get("output_path"):
        await asyncio.to_thread(_save, ctx.cwd / str(fields["output_path"]), data)
    ctx.values[f"downloaded_blob_size_{node}"] = info["size"]
    ctx.values[f"downloaded_blob_sha256_{node}"] = info["sha256"]
    return info


async def delete_blob(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Delete ``blob_id`` from ``node`` (``DELETE /admin-api/blobs/<id>``)."""
    node, blob_id = str(fields["node"]), str(fields["blob_id"])
    response = await _request(ctx, node, "DELETE", f"/admin-api/blobs/{blob_id}", {})
    if response.status_code == 404 and fields.get("missing_ok", True) is not False:
        return {"blob_id": blob_id, "deleted": False}
    if response.status_code != 200:
        raise StepFailed(f"{node}: blob {blob_id} not deleted ({response.status_code}): "
                         f"{_error(response)}")  # fmt: skip
    answer: Response = response.json()
    return answer


def _check(fields: Response, info: Response) -> None:
    expected_size = fields.get("expected_size")
    if expected_size is not None:
        try:
            size = int(expected_size)
        except (TypeError, ValueError):
            raise StepFailed(f"expected_size {expected_size!r} is not an integer",
                             excusable=False) from None  # fmt: skip
        if size != info["size"]:
            raise StepFailed(f"size mismatch: expected {size} bytes, got {info['size']}",
                             excusable=False)  # fmt: skip
    expected_sha = fields.get("expected_sha256")
    if expected_sha and str(expected_sha).lower() != info["sha256"]:
        raise StepFailed(f"sha256 mismatch: expected {expected_sha}, got {info['sha256']}",
                         excusable=False)  # fmt: skip


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _context(fields: Response) -> dict[str, str]:
    context = fields.get("context_id")
    return {"context_id": str(context)} if context else {}


async def _request(
    ctx: Context, node: str, verb: str, path: str, params: dict[str, str], **body: Any
) -> httpx.Response:
    client = ctx.client(node)
    try:
        return await client.http.request(verb, path, params=params, **body)
    except httpx.HTTPError as exc:
        raise StepFailed(f"{node} did not answer {verb} {path}: {exc}") from exc


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text
