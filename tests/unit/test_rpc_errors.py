"""The JSON-RPC error objects, against the types upstream's node sends and its client knows."""

from __future__ import annotations

import pytest

from calimero_devnet import errors
from calimero_devnet.cluster.nodeclient import node_error
from calimero_devnet.node.rpc.rpc_errors import rpc_error

# What @calimero-network/calimero-client 1.1.0 (lib/login/refreshToken.js) shows by name.
CLIENT_KNOWN = {"UnknownServerError", "RpcExecutionError", "FunctionCallError", "CallError",
                "MissmatchedRequestIdError", "InvalidRequestError"}  # fmt: skip


@pytest.mark.parametrize(
    ("exc", "shape"),
    [
        (errors.MethodNotFound("no method `x`"),
         {"type": "FunctionCallError", "data": "no method `x`", "kind": "MethodNotFound"}),
        (errors.InvalidArgs("'key' is missing"),
         {"type": "FunctionCallError", "data": "'key' is missing", "kind": "InvalidArgs"}),
        (errors.ContextNotFound("context A not found"),
         {"type": "CallError", "data": {"type": "ContextNotFound", "data": "context A not found"},
          "kind": "ContextNotFound"}),
        (errors.ApplicationNotFound("application B is not installed"),
         {"type": "CallError",
          "data": {"type": "ApplicationNotInstalled", "data": "application B is not installed"},
          "kind": "ApplicationNotFound"}),
        (errors.Uninitialized("no state yet"),
         {"type": "CallError", "data": {"type": "Uninitialized", "data": "no state yet"},
          "kind": "Uninitialized"}),
        (errors.FunctionCallError("boom", data={"kind": "NotFound"}),
         {"type": "FunctionCallError", "data": {"kind": "NotFound"}}),
        (errors.ParseError("not JSON"), {"type": "ParseError", "data": "not JSON"}),
    ],
)  # fmt: skip
def test_errors_take_upstream_shapes(exc: errors.NodeError, shape: dict[str, object]) -> None:
    assert rpc_error(exc) == shape


@pytest.mark.parametrize(
    "exc",
    [errors.MethodNotFound("m"), errors.InvalidArgs("a"), errors.ContextNotFound("c"),
     errors.ApplicationNotFound("p"), errors.Uninitialized("u"), errors.FunctionCallError("f"),
     errors.InvalidExecutor("x")],
)  # fmt: skip
def test_call_failures_carry_a_type_the_client_knows(exc: errors.NodeError) -> None:
    assert rpc_error(exc)["type"] in CLIENT_KNOWN


@pytest.mark.parametrize(
    "exc",
    [errors.MethodNotFound("no method `x`"), errors.ContextNotFound("context A not found"),
     errors.Uninitialized("no state yet"), errors.InvalidArgs("bad 'key'"),
     errors.InvalidExecutor("node-1 holds no key for executor X")],
)  # fmt: skip
def test_our_client_reads_back_the_precise_kind_and_message(exc: errors.NodeError) -> None:
    back = node_error(rpc_error(exc))
    assert (type(back), str(back)) == (type(exc), str(exc))
