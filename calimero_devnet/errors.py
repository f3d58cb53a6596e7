"""The one error tree of calimero-devnet.

Every message names the file, key, node, context or method involved, and the fix when
there is one. ``NodeError`` subclasses carry the JSON-RPC error ``type`` users see
(HOST-ABI §7, RPC.md)::

    DevnetError
    ├── ConfigError             a bad devnet.toml or command-line value
    ├── ToolchainError          a build failed (TypeScript error, compiler, linker)
    ├── StoreError              the node's RocksDB store is unusable or inconsistent
    ├── ClusterError            the manager could not start, reach or stop something
    └── NodeError               what a node answers to a client
        ├── ParseError          malformed request (not JSON, not JSON-RPC, bad params)
        ├── ContextNotFound     no such context on this node
        ├── DeltaNotFound       no stored body of that delta on this node (devnet)
        ├── ApplicationNotFound no such application on this node
        ├── MethodNotFound      the app exports no such method
        ├── Uninitialized       the context has no state yet (``init`` never ran)
        ├── InvalidModule       the bytes are not a WASM module that fits the host ABI
        ├── InvalidArgs         the call's arguments do not fit the method's ABI types
        ├── InvalidExecutor     the node holds no key of the executor, or it is no member
        └── FunctionCallError   the app trapped, panicked, ran out of fuel or memory,
                                or returned its own error
"""

from __future__ import annotations

from typing import Any


class DevnetError(Exception):
    """Base of every error raised on purpose by calimero-devnet."""


class ConfigError(DevnetError):
    """A configuration file or command-line value is invalid."""


class ToolchainError(DevnetError):
    """Building an app failed."""


class StoreError(DevnetError):
    """The node's store cannot be opened or is inconsistent."""


class ClusterError(DevnetError):
    """The cluster manager could not start, reach or stop a part of the cluster."""


class NodeError(DevnetError):
    """An error a node reports to its client, in the upstream JSON-RPC shape."""

    type_name = "InternalError"
    http_status = 500

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.data: Any = message if data is None else data

    def to_json(self) -> dict[str, Any]:
        """Return the ``error`` object of a JSON-RPC response."""
        return {"type": self.type_name, "data": self.data}


class ParseError(NodeError):
    """The request is not valid JSON, not JSON-RPC, or has malformed params."""

    type_name = "ParseError"
    http_status = 400


class Unauthorized(NodeError):
    """The request lacks the cluster's bearer token (``[security] token``), or has a wrong one."""

    type_name = "Unauthorized"
    http_status = 401


class ContextNotFound(NodeError):
    """No context with that id exists on this node."""

    type_name = "ContextNotFound"
    http_status = 404


class DeltaNotFound(NodeError):
    """The node stores no body of that delta (devnet: ``GET .../deltas/<id>``)."""

    type_name = "DeltaNotFound"
    http_status = 404


class ApplicationNotFound(NodeError):
    """No application with that id is installed on this node."""

    type_name = "ApplicationNotFound"
    http_status = 404


class GroupNotFound(NodeError):
    """No namespace or group with that id exists on this node."""

    type_name = "GroupNotFound"
    http_status = 404


class MethodNotFound(NodeError):
    """The application exports no callable method of that name."""

    type_name = "MethodNotFound"
    http_status = 404


class Uninitialized(NodeError):
    """The context has no state: ``init`` has not run."""

    type_name = "Uninitialized"
    http_status = 409

    def to_json(self) -> dict[str, Any]:
        """Upstream sends this type with no data."""
        return {"type": self.type_name}


class InvalidModule(NodeError):
    """The bytes are not a WASM module that fits the host ABI module contract."""

    type_name = "InvalidModule"
    http_status = 400


class InvalidArgs(NodeError):
    """The call's arguments do not fit the method's parameters as its ABI manifest types them."""

    type_name = "InvalidArgs"
    http_status = 400


class InvalidExecutor(NodeError):
    """A call names an executor this node holds no key of, or one that is not a member."""

    type_name = "InvalidExecutor"
    http_status = 403


class StateIncompatible(NodeError):
    """An app version cannot read a context's stored state (a hot redeploy was refused)."""

    type_name = "StateIncompatible"
    http_status = 409


class StoreUnavailable(NodeError):
    """The node's store refused a write (its disk is full, say): nothing of it was stored."""

    http_status = 503


class FunctionCallError(NodeError):
    """The call failed inside the app: a trap, a panic, a limit, or the app's own error."""

    type_name = "FunctionCallError"
    http_status = 200
