"""Provides the JSON-RPC ``error`` objects in the shapes upstream's node and client use.

Upstream's node answers a failed call with ``{"type": "FunctionCallError", "data": "<text>"}``
(a missing method, bad arguments, a trap, a panic, the app's own error) and a call it could
not start with ``{"type": "CallError", "data": {"type": "<reason>", "data": ...}}``;
``@calimero-network/calimero-client`` knows those two types (and shows every other one as
"Server Error: Something went wrong"). Our more precise kinds are folded into them, with our
message kept in ``data``; ``kind`` (a devnet addition, which upstream clients ignore) names
the precise kind so our own client can still tell them apart.
"""

from __future__ import annotations

from typing import Any

from calimero_devnet.errors import NodeError

FUNCTION_CALL_ERROR = "FunctionCallError"
CALL_ERROR = "CallError"

_AS_FUNCTION_CALL_ERROR = frozenset({"MethodNotFound", "InvalidArgs"})
_CALL_ERROR_REASONS = {
    "ContextNotFound": "ContextNotFound",
    "ApplicationNotFound": "ApplicationNotInstalled",  # upstream's name for it
    "Uninitialized": "Uninitialized",
    "InvalidExecutor": "Unauthorized",  # upstream: an executor the node holds no key of
}


def rpc_error(exc: NodeError) -> dict[str, Any]:
    """Return the JSON-RPC ``error`` object of ``exc`` as upstream's node would shape it."""
    kind = exc.type_name
    if kind in _AS_FUNCTION_CALL_ERROR:
        return {"type": FUNCTION_CALL_ERROR, "data": exc.data, "kind": kind}
    reason = _CALL_ERROR_REASONS.get(kind)
    if reason is not None:
        return {"type": CALL_ERROR, "data": {"type": reason, "data": str(exc)}, "kind": kind}
    return exc.to_json()
