"""Provides the JSON reply helpers and request-body readers shared by the HTTP handlers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from calimero_devnet.errors import NodeError
from calimero_devnet.ids import to_b58

if TYPE_CHECKING:
    from calimero_devnet.node.state.results import AppInfo, ContextInfo


class AdminRequestError(Exception):
    """An admin request the node refuses; rendered as ``{"error": message}`` + ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def ok(data: Any, status: int = 200) -> web.Response:
    """Return an admin success reply ``{"data": data}``."""
    return web.json_response({"data": data}, status=status)


def fail(status: int, message: str, kind: str | None = None) -> web.Response:
    """Return an admin error reply ``{"error": message}`` (``"type"``: a node error's kind)."""
    body = {"error": message} if kind is None else {"error": message, "type": kind}
    return web.json_response(body, status=status)


def node_error_status(exc: NodeError) -> int:
    """Return the HTTP status of a ``NodeError`` on the admin API (never a 2xx)."""
    # FunctionCallError is a 200 in JSON-RPC (the call ran); on the admin API it is a refusal.
    return exc.http_status if exc.http_status >= 400 else 400


def too_large_message(limit: int) -> str:
    """Explain a body over ``limit`` bytes and what to do instead."""
    return (
        f"request body is larger than {limit} bytes; send a smaller request "
        "(install big apps by path or URL, not inline)"
    )


def loads_strict(raw: bytes | str) -> Any:
    """Parse JSON, raising ``ValueError`` for bad JSON, NaN/Infinity, or absurd nesting."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ValueError("JSON is nested too deeply") from exc


def dumps_compact(value: Any) -> bytes:
    """Serialise a JSON value compactly, as UTF-8 bytes."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except RecursionError as exc:
        raise ValueError("JSON is nested too deeply") from exc
    return text.encode("utf-8")


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Read an admin request body that must be a JSON object; an empty body is ``{}``."""
    raw = await read_body(request)
    if raw is None:
        raise AdminRequestError(413, too_large_message(request.client_max_size))
    if not raw.strip():
        return {}
    try:
        body = loads_strict(raw)
    except ValueError as exc:
        raise AdminRequestError(400, f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AdminRequestError(400, f"request body must be a JSON object, got {json_kind(body)}")
    return body


async def read_body(request: web.Request) -> bytes | None:
    """Read the whole body, or return None if it is over the app's size limit."""
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        return None  # refuse before reading a byte of it
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None


def json_kind(value: Any) -> str:
    """Name the JSON type of ``value`` for error messages."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def app_json(info: AppInfo) -> dict[str, Any]:
    """The JSON view of an installed application."""
    return {
        "id": to_b58(info.id),
        "size": info.size,
        "source": info.source,
        "metadata": list(info.metadata),
        "methods": list(info.methods),
    }


def context_json(info: ContextInfo) -> dict[str, Any]:
    """The JSON view of a context, with its root hash, DAG heads and pending delta count."""
    return {
        "id": to_b58(info.id),
        "applicationId": to_b58(info.application_id),
        "rootHash": None if info.root_hash is None else to_b58(info.root_hash),
        "dagHeads": [to_b58(head) for head in info.heads],
        "members": [to_b58(member) for member in info.members],
        "initialized": info.initialized,
        "deltaCount": info.delta_count,
        "pending": info.pending,
    }
