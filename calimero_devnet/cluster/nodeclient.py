"""Provides ``NodeClient``: the manager's HTTP client of one node (admin API and JSON-RPC).

Admin answers ``{"data": ...}`` become return values; refusals become ``ClusterError`` naming
the node, the request and the node's message. JSON-RPC errors become the ``NodeError`` of
their ``type``, so ``devnet call`` exits with the node's error kind (exit code 6).
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
from pathlib import Path
from typing import Any

import httpx

from calimero_devnet import errors
from calimero_devnet.auth import auth_headers
from calimero_devnet.errors import ClusterError, NodeError

JSON_HEADERS = {"Content-Type": "application/json"}
TIMEOUT_S = 60.0  # a cold module compile takes a few seconds; a loaded machine more
JOIN_TIMEOUT_S = 130.0  # a node waits up to 120 s for a snapshot while a member is up
_NODE_ERRORS: dict[str, type[NodeError]] = {
    kind.type_name: kind
    for kind in (
        errors.ParseError, errors.ContextNotFound, errors.ApplicationNotFound,
        errors.MethodNotFound, errors.Uninitialized, errors.InvalidModule,
        errors.InvalidArgs, errors.FunctionCallError, errors.InvalidExecutor,
    )
}  # fmt: skip


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(
    url: str, timeout: float | httpx.Timeout, token: str | None = None
) -> httpx.AsyncClient:
    """An HTTP client of ``url`` (sending ``token``) sharing one TLS context with every other.

    httpx builds a TLS context for each client by default (~19 ms: it loads the CA bundle),
    even for plain-HTTP nodes; the manager's status polls made several per poll, stalling
    its event loop. With a shared context a client costs ~1.5 ms.
    """
    return httpx.AsyncClient(
        base_url=url, timeout=timeout, verify=_tls_context(), headers=auth_headers(token)
    )


def refused_token(who: str, status: int) -> ClusterError | None:
    """The error of a 401 from ``who``: the cluster wants a token we lack or do not match."""
    if status != 401:
        return None
    return ClusterError(
        f"{who} refused the request: it wants the cluster's token ([security] token), which "
        "this command does not have or does not match; is cluster.json from this cluster?"
    )


class AdminError(ClusterError):
    """A node refused an admin request; ``status`` is its HTTP status, ``kind`` the node's
    error type (``StateIncompatible``, ...) when it named one, ``detail`` its own words."""

    def __init__(self, message: str, status: int, kind: str | None = None,
                 detail: str = "") -> None:  # fmt: skip
        """Keep the HTTP status, the error type and the node's message next to ours."""
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.detail = detail or message

    @property
    def state_refused(self) -> bool:
        """True when the node refused a switch because the app cannot read the state."""
        return self.kind == "StateIncompatible"


def json_body(body: Any) -> bytes:
    """``body`` as a JSON request body, every non-ASCII character escaped.

    Escaping lets text that is not valid Unicode (a lone surrogate such as ``"\\ud800"``
    read from JSON arguments) reach the node, which answers it with its own ParseError;
    httpx's own encoding raises on it before anything is sent.

    Raises:
        ClusterError: ``body`` holds NaN or Infinity, which JSON has no way to write.
    """
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")
    except ValueError as exc:
        raise ClusterError(f"cannot send the request: {exc} (JSON has no NaN or Infinity)") from exc


def node_error(error: Any) -> NodeError:
    """The ``NodeError`` of a JSON-RPC ``error`` object (its ``type`` picks the class)."""
    if not isinstance(error, dict):
        return NodeError(f"malformed JSON-RPC error: {error!r}")
    data = error.get("data")
    if error.get("type") == "CallError" and isinstance(data, dict):
        data = data.get("data")  # upstream's {"type": reason, "data": ...}: ours is the text
    text = data if isinstance(data, str) else json.dumps(data)
    precise = error.get("kind", error.get("type"))  # devnet's own kind, beside upstream's type
    kind = _NODE_ERRORS.get(str(precise), NodeError)
    return kind(text if data is not None else str(precise), data)


class NodeClient:
    """One node's HTTP API at ``url``; use as an async context manager (or ``aclose``)."""

    def __init__(
        self, name: str, url: str, timeout: float = TIMEOUT_S, token: str | None = None,
        *, upload: bool = False,
    ) -> None:  # fmt: skip
        """Talk to node ``name`` at ``url`` (``http://host:port``), sending ``token``;
        ``upload``: send apps' bytes, not their paths (a node on another machine)."""
        self.name = name
        self.url = url
        self.upload = upload
        self.http = http_client(url, timeout, token)

    async def __aenter__(self) -> NodeClient:
        """Use the client for the block."""
        return self

    async def __aexit__(self, *_: object) -> None:
        """Close the connection pool."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def admin(
        self, verb: str, path: str, body: Any = None, wait_s: float | None = None
    ) -> Any:
        """Send one admin request (``wait_s``: its timeout, default the client's); return its
        ``data``.

        Raises:
            AdminError: the node answered with an error status.
            ClusterError: the node is unreachable or did not answer JSON.
        """
        where = f"{verb} /admin-api/{path}"
        content, headers = (None, None) if body is None else (json_body(body), JSON_HEADERS)
        try:
            options: dict[str, Any] = {} if wait_s is None else {"timeout": wait_s}
            response = await self.http.request(
                verb, f"/admin-api/{path}", content=content, headers=headers, **options
            )
            answer = response.json()
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        except ValueError as exc:
            raise ClusterError(f"{self.name}: {where} answered something not JSON") from exc
        return self._data(where, response.status_code, answer)

    def _data(self, where: str, status: int, answer: Any) -> Any:
        """The ``data`` of an admin answer; an error status raises (as ``admin`` says)."""
        refused = refused_token(self.name, status)
        if refused is not None:
            raise refused
        if status != 200:
            message = answer.get("error", answer) if isinstance(answer, dict) else answer
            kind = answer.get("type") if isinstance(answer, dict) else None
            raise AdminError(f"{self.name}: {where}: {message}", status, kind, str(message))
        return answer["data"]

    async def install(self, wasm_path: str) -> str:
        """Install the ``.wasm`` at an absolute path (its bytes, to an ``upload`` node);
        return the application id."""
        if self.upload:
            return await self._upload(Path(wasm_path))
        data = await self.admin("POST", "install-dev-application", {"path": wasm_path})
        return str(data["applicationId"])

    async def _upload(self, wasm: Path) -> str:
        where = "PUT /admin-api/install-application-bytes"
        try:
            content = await asyncio.to_thread(wasm.read_bytes)
        except OSError as exc:
            raise ClusterError(f"{self.name}: cannot read {wasm} to upload it: {exc}") from exc
        try:
            response = await self.http.put(
                "/admin-api/install-application-bytes", content=content,
                headers={"content-type": "application/wasm"},
            )  # fmt: skip
            answer = response.json()
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        except ValueError as exc:
            raise ClusterError(f"{self.name}: {where} answered something not JSON") from exc
        return str(self._data(where, response.status_code, answer)["applicationId"])

    async def context(self, context_id: str) -> dict[str, Any] | None:
        """The node's record of a context, or None when it does not have it."""
        try:
            data: dict[str, Any] = await self.admin("GET", f"contexts/{context_id}")
        except AdminError as exc:
            if exc.status == 404:
                return None
            raise
        return data

    async def create_context(self, app_id: str, init: dict[str, Any], seed: str) -> str:
        """Create a seeded context of ``app_id`` and run ``init``; return its id."""
        body = {"applicationId": app_id, "initializationParams": init, "contextSeed": seed}
        return str((await self.admin("POST", "contexts", body))["contextId"])

    async def join(self, context_id: str) -> None:
        """Join a context from a member's snapshot (a member already: nothing to do)."""
        await self.admin("POST", f"contexts/{context_id}/join", wait_s=JOIN_TIMEOUT_S)

    async def set_application(self, context_id: str, app_id: str) -> None:
        """Switch a context to another installed app, keeping its state (devnet extension).

        Raises:
            AdminError: of kind ``StateIncompatible`` when the app cannot read the state.
        """
        await self.admin("POST", f"contexts/{context_id}/application", {"applicationId": app_id})

    async def delete_context(self, context_id: str) -> None:
        """Delete a context and everything the node holds of it (gone already: nothing)."""
        try:
            await self.admin("DELETE", f"contexts/{context_id}")
        except AdminError as exc:
            if exc.status != 404:
                raise

    async def execute(
        self, context_id: str, method: str, args: Any = None, *, executor: str | None = None
    ) -> Any:
        """Run ``method`` with JSON ``args`` on a context (as ``executor``, a public key the
        node holds; default the node's own); return its output.

        Raises:
            NodeError: the node's JSON-RPC error, as its own class.
            ClusterError: the node is unreachable.
        """
        answer = await self._execute(context_id, method, args, trace=False, executor=executor)
        return answer["output"]

    async def execute_traced(self, context_id: str, method: str, args: Any = None) -> Any:
        """Run ``method`` traced (devnet): the whole result, ``{"output", "trace": {...}}``.

        ``trace`` holds ``logs``, ``events``, ``fuelUsed``, ``durationMs``, ``delta`` and
        ``root`` (docs/rpc.md). Raises as ``execute`` does.
        """
        return await self._execute(context_id, method, args, trace=True)

    async def delta(self, context_id: str, delta_id: str) -> dict[str, Any]:
        """One stored delta of a context, decoded (devnet ``GET .../deltas/<id>``).

        Raises:
            AdminError: status 404 when the node stores no body of it or lacks the context.
        """
        data: dict[str, Any] = await self.admin("GET", f"contexts/{context_id}/deltas/{delta_id}")
        return data

    async def recent_deltas(self, context_id: str, limit: int = 64) -> dict[str, Any]:
        """The heads and newest ``limit`` (1..512) stored deltas, children before parents."""
        path = f"contexts/{context_id}/deltas?limit={limit}"
        data: dict[str, Any] = await self.admin("GET", path)
        return data

    async def _execute(
        self, context_id: str, method: str, args: Any, *, trace: bool, executor: str | None = None
    ) -> Any:
        params: dict[str, Any] = {"contextId": context_id, "method": method,
                                  "argsJson": args or {}}  # fmt: skip
        if executor is not None:
            params["executorPublicKey"] = executor
        if trace:
            params["trace"] = True  # only then: an upstream node would not know it
        body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
        content = json_body(body)
        try:
            response = await self.http.post("/jsonrpc", content=content, headers=JSON_HEADERS)
            answer = response.json()
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        except ValueError as exc:
            raise ClusterError(f"{self.name}: /jsonrpc answered something not JSON") from exc
        refused = refused_token(self.name, response.status_code)
        if refused is not None:
            raise refused
        if "error" in answer:
            raise node_error(answer["error"])
        return answer["result"]

    def _unreachable(self, exc: httpx.HTTPError) -> ClusterError:
        return ClusterError(
            f"{self.name} at {self.url} is unreachable ({type(exc).__name__}: {exc}): "
            "is it running? see `devnet status`"
        )
