"""Provides ``POST /jsonrpc``: the upstream Calimero JSON-RPC shape, method ``execute``.

Devnet extension: ``"trace": true`` in the ``execute`` params answers
``{"output", "trace": {"logs", "events", "fuelUsed", "durationMs", "delta", "root"}}``;
without it the result is upstream's ``{"output"}``. A call that queued cross-context calls
also answers ``"xcalls"``: how each went, with its output or its error.

HTTP status: 400 when the body is not JSON, 413 when it is over the size limit, 204 for a
notification (or a batch of them); every other answer, errors included, is a 200 carrying a
JSON-RPC response, as upstream does. A batch gets one answer per request that has an id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from calimero_devnet.errors import NodeError, ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.replies import (
    dumps_compact,
    json_kind,
    loads_strict,
    read_body,
    too_large_message,
)
from calimero_devnet.node.rpc.rpc_errors import rpc_error
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.deltalog import event_view

if TYPE_CHECKING:
    from calimero_devnet.node.state.results import ExecuteResult
    from calimero_devnet.node.state.xcalls import XCallResult

log = logging.getLogger(__name__)

MAX_BATCH = 100
Response = dict[str, Any]
Method = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ExecuteCall:
    """The ``params`` of an ``execute`` request, validated."""

    context_id: bytes
    method: str
    args: bytes
    trace: bool = False
    executor: bytes | None = None


def parse_execute(params: dict[str, Any]) -> ExecuteCall:
    """Validate ``execute`` params; unknown keys are ignored.

    ``executorPublicKey`` (optional) names the identity the call runs as; ``trace``
    (devnet) must be a boolean when present.
    """
    ctx = params.get("contextId")
    if not isinstance(ctx, str):
        raise ParseError(f"params.contextId must be a base58 string, got {json_kind(ctx)}")
    method = params.get("method")
    if not isinstance(method, str) or not method:
        raise ParseError(f"params.method must be a non-empty string, got {json_kind(method)}")
    args = params.get("argsJson")
    try:
        raw = b"{}" if args is None else dumps_compact(args)
    except UnicodeEncodeError as exc:  # JSON's \ud800 escapes can spell text that is not Unicode
        lone = exc.object[exc.start : exc.end]
        raise ParseError(
            f"params.argsJson holds a lone surrogate ({lone!a}), which is not Unicode text: "
            "send well-formed strings"
        ) from exc
    except ValueError as exc:
        raise ParseError(f"params.argsJson cannot be serialised: {exc}") from exc
    trace = params.get("trace", False)
    if not isinstance(trace, bool):
        raise ParseError(f"params.trace must be true or false, got {json_kind(trace)}")
    executor = params.get("executorPublicKey")
    if executor is not None and not isinstance(executor, str):
        raise ParseError(
            f"params.executorPublicKey must be a base58 string, got {json_kind(executor)}"
        )
    who = None if executor is None else from_b58(executor, "params.executorPublicKey")
    return ExecuteCall(from_b58(ctx, "params.contextId"), method, raw, trace, who)


def trace_json(result: ExecuteResult) -> dict[str, Any]:
    """What a traced call reports beside its output (devnet extension)."""
    return {
        "logs": list(result.logs),
        "events": [event_view(event) for event in result.events],
        "fuelUsed": result.fuel_used,
        "durationMs": round(result.duration_s * 1000, 3),
        "delta": None if result.delta is None else to_b58(result.delta.id),
        "root": None if result.root_hash is None else to_b58(result.root_hash),
    }


def xcall_json(result: XCallResult) -> dict[str, Any]:
    """One queued cross-context call as the calling call's answer reports it (devnet)."""
    answer: dict[str, Any] = {"contextId": to_b58(result.context_id), "method": result.method,
                              "depth": result.depth}  # fmt: skip
    if result.error is not None:
        answer["error"] = rpc_error(result.error)
    else:
        answer["output"] = decode_output(result.output)
    return answer


def decode_output(raw: bytes | None) -> Any:
    """Turn a call's return bytes into JSON: parsed if JSON, else the UTF-8 text."""
    if raw is None:
        return None
    try:
        return loads_strict(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def error_response(rid: Any, exc: NodeError) -> Response:
    """Build a JSON-RPC error response (upstream's shapes: ``rpc_errors``)."""
    return {"jsonrpc": "2.0", "id": rid, "error": rpc_error(exc)}


class JsonRpcHandler:
    """Answers JSON-RPC requests by running them on the core worker."""

    def __init__(self, worker: CoreWorker) -> None:
        self._worker = worker
        self._methods: dict[str, Method] = {"execute": self._execute}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of ``POST /jsonrpc``."""
        raw = await read_body(request)
        if raw is None:
            error = ParseError(too_large_message(request.client_max_size))
            return web.json_response(error_response(None, error), status=413)
        try:
            payload = loads_strict(raw)
        except ValueError as exc:
            error = ParseError(f"request body is not valid JSON: {exc}")
            return web.json_response(error_response(None, error), status=400)
        answer = await (self._batch(payload) if isinstance(payload, list) else self._one(payload))
        if answer is None:
            return web.Response(status=204)
        return web.json_response(answer)

    async def _batch(self, items: list[Any]) -> list[Response] | Response | None:
        if not items:
            return error_response(None, ParseError("an empty batch is not a JSON-RPC request"))
        if len(items) > MAX_BATCH:
            message = f"a batch holds at most {MAX_BATCH} requests, got {len(items)}; split it"
            return error_response(None, ParseError(message))
        answers = [answer for item in items if (answer := await self._one(item)) is not None]
        return answers or None

    async def _one(self, item: Any) -> Response | None:
        if not isinstance(item, dict):
            message = f"a JSON-RPC request must be an object, got {json_kind(item)}"
            return error_response(None, ParseError(message))
        rid = item.get("id")
        if not _valid_id(rid):
            message = f"the request id must be a string, a number or null, got {json_kind(rid)}"
            return error_response(None, ParseError(message))
        try:
            result = await self._dispatch(item)
        except NodeError as exc:
            return error_response(rid, exc)
        except Exception as exc:  # a bug: report it plainly, keep serving
            log.exception("JSON-RPC %r failed unexpectedly", item.get("method"))
            error = NodeError(f"internal error: {type(exc).__name__}: {exc} (see node.log)")
            return error_response(rid, error)
        if "id" not in item:
            return None  # a notification: it ran, but nobody wants the answer
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    async def _dispatch(self, item: dict[str, Any]) -> Any:
        if item.get("jsonrpc") != "2.0":
            raise ParseError('not a JSON-RPC 2.0 request: "jsonrpc" must be "2.0"')
        name = item.get("method")
        if not isinstance(name, str):
            raise ParseError(f"the request method must be a string, got {json_kind(name)}")
        method = self._methods.get(name)
        if method is None:
            known = ", ".join(sorted(self._methods))
            raise ParseError(f"unknown JSON-RPC method {name!r}; this node serves: {known}")
        params = item.get("params", {})
        if not isinstance(params, dict):
            raise ParseError(f"params of {name!r} must be an object, got {json_kind(params)}")
        return await method(params)

    async def _execute(self, params: dict[str, Any]) -> Any:
        call = parse_execute(params)
        result = await self._worker.call(
            lambda core: core.execute(call.context_id, call.method, call.args, call.executor)
        )
        answer: dict[str, Any] = {"output": decode_output(result.output)}
        if result.xcalls:
            answer["xcalls"] = [xcall_json(xcall) for xcall in result.xcalls]
        if call.trace:
            answer["trace"] = trace_json(result)
        return answer


def _valid_id(rid: Any) -> bool:
    return rid is None or (isinstance(rid, str | int | float) and not isinstance(rid, bool))
