"""JSON-RPC request handling against a fake core: every bad input gets a clear JSON answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import to_b58
from tests.node.fake_core import WASM_MAGIC, FakeCore
from tests.node.rpc_harness import Harness, running_node

LIMIT = 64 * 1024


@pytest.fixture
async def fake() -> FakeCore:
    return FakeCore()


@pytest.fixture
async def node(fake: FakeCore, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(fake, tmp_path, max_body=LIMIT) as harness:
        yield harness


@pytest.fixture
async def ctx(node: Harness, fake: FakeCore) -> bytes:
    app_id = fake.install_application(WASM_MAGIC, source="test")
    ctx_id = fake.create_context(app_id).id
    fake.threads.clear()  # the set-up above ran on the test's thread
    return ctx_id


def call(ctx: bytes, method: str = "echo", rid: Any = 1, **params: Any) -> dict[str, Any]:
    body = {"contextId": to_b58(ctx), "method": method, **params}
    return {"jsonrpc": "2.0", "id": rid, "method": "execute", "params": body}


async def assert_alive(node: Harness) -> None:
    assert await node.admin("GET", "health") == (200, {"data": {"status": "alive", "bus": None}})


async def test_execute_reserialises_args_compactly(node: Harness, ctx: bytes) -> None:
    args = {"key": "ключ", "value": [1, 2.5, None, True]}
    answer = await node.execute(ctx, "echo", args, rid="a")
    assert answer == {"jsonrpc": "2.0", "id": "a", "result": {"output": args}}
    _, sent = await node.rpc(call(ctx, argsJson=args))
    assert sent["result"]["output"] == args


async def test_a_malformed_executor_key_is_a_parse_error(node: Harness, ctx: bytes) -> None:
    _, sent = await node.rpc(call(ctx, executorPublicKey="not-a-key"))
    assert sent["error"]["type"] == "ParseError"
    assert "params.executorPublicKey" in sent["error"]["data"]
    _, sent = await node.rpc(call(ctx, executorPublicKey=7))
    assert sent["error"]["data"] == "params.executorPublicKey must be a base58 string, got a number"


async def test_absent_or_null_args_become_empty_object(
    node: Harness, ctx: bytes, fake: FakeCore
) -> None:
    await node.rpc(call(ctx))
    await node.rpc(call(ctx, argsJson=None))
    await node.rpc(call(ctx, argsJson=[1, "x"]))
    assert [args for _, args in fake.calls] == [b"{}", b"{}", b'[1,"x"]']


@pytest.mark.parametrize(
    ("method", "output"), [("text", "plain ✓ text"), ("none", None), ("echo", {})]
)
async def test_output_is_json_else_text(
    node: Harness, ctx: bytes, method: str, output: Any
) -> None:
    answer = await node.execute(ctx, method)
    assert answer["result"] == {"output": output}


async def test_core_errors_keep_their_type_and_data(node: Harness, ctx: bytes) -> None:
    boom = await node.execute(ctx, "boom", rid=7)
    assert boom["error"] == {
        "type": "FunctionCallError",
        "data": {"kind": "NotFound", "data": "zz"},
    }
    missing = await node.execute(ctx, "nope")
    assert missing["error"]["type"] == "FunctionCallError"
    assert missing["error"]["kind"] == "MethodNotFound"
    assert "echo" in missing["error"]["data"]
    unknown = await node.execute(bytes(32), "echo")
    assert unknown["error"]["type"] == "CallError"
    assert unknown["error"]["data"]["type"] == "ContextNotFound"
    assert "not found" in unknown["error"]["data"]["data"]  # our message, kept
    fresh = (await node.execute(ctx, "fresh", rid=8))["error"]
    assert (fresh["type"], fresh["data"]["type"]) == ("CallError", "Uninitialized")


async def test_a_core_bug_is_a_plain_error_not_a_crash(node: Harness, ctx: bytes) -> None:
    answer = await node.execute(ctx, "crash")
    assert answer["error"]["type"] == "InternalError"
    assert "ZeroDivisionError" in answer["error"]["data"]
    assert "Traceback" not in answer["error"]["data"]
    await assert_alive(node)


@pytest.mark.parametrize(
    ("raw", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'{"jsonrpc":"2.0","id":1,"method":"execute","params":{"argsJson":NaN}}', 400, "NaN"),
        (b"[" * 200_000 + b"]" * 200_000, 413, "larger than"),
        (b"[" * 20_000 + b"]" * 20_000, 400, "nested too deeply"),
    ],
)
async def test_unreadable_bodies(node: Harness, raw: bytes, status: int, needle: str) -> None:
    got_status, answer = await node.rpc(None, raw=raw)
    assert got_status == status
    assert answer["id"] is None
    assert answer["error"]["type"] == "ParseError"
    assert needle in answer["error"]["data"]
    await assert_alive(node)


@pytest.mark.parametrize(
    ("body", "rid", "needle"),
    [
        ({"id": 1, "method": "execute", "params": {}}, 1, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "1.0", "id": 2, "method": "execute"}, 2, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "id": 3, "method": "mutate"}, 3, "unknown JSON-RPC method 'mutate'"),
        ({"jsonrpc": "2.0", "id": 4, "method": 5}, 4, "method must be a string"),
        ({"jsonrpc": "2.0", "id": 5, "method": "execute", "params": [1]}, 5, "must be an object"),
        ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "execute"}, None, "id must be"),
        ("execute", None, "must be an object, got a string"),
        ({"jsonrpc": "2.0", "id": 6, "method": "execute"}, 6, "contextId must be"),
    ],
)
async def test_bad_requests(node: Harness, body: Any, rid: Any, needle: str) -> None:
    status, answer = await node.rpc(body)
    assert status == 200
    assert answer["jsonrpc"] == "2.0"
    assert answer["id"] == rid
    assert answer["error"]["type"] == "ParseError"
    assert needle in answer["error"]["data"]


@pytest.mark.parametrize(
    ("ctx_text", "needle"), [("0OIl", "not base58"), ("abc", "decodes to"), (7, "base58 string")]
)
async def test_bad_context_ids(node: Harness, ctx_text: Any, needle: str) -> None:
    params = {"contextId": ctx_text, "method": "echo"}
    _, answer = await node.rpc({"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params})
    assert answer["error"]["type"] == "ParseError"
    assert needle in answer["error"]["data"]


async def test_notification_runs_without_answer(node: Harness, ctx: bytes, fake: FakeCore) -> None:
    body = call(ctx)
    del body["id"]
    assert await node.rpc(body) == (204, None)
    assert fake.calls == [("echo", b"{}")]


async def test_batch_answers_each_request_with_an_id(node: Harness, ctx: bytes) -> None:
    notification = call(ctx)
    del notification["id"]
    status, answers = await node.rpc([call(ctx, rid=1), 42, notification, call(ctx, "x", rid=2)])
    assert status == 200
    assert [a["id"] for a in answers] == [1, None, 2]
    assert "result" in answers[0]
    kinds = [a["error"].get("kind", a["error"]["type"]) for a in answers[1:]]
    assert kinds == ["ParseError", "MethodNotFound"]
    assert await node.rpc([notification]) == (204, None)


@pytest.mark.parametrize(("size", "needle"), [(0, "empty batch"), (101, "at most 100")])
async def test_unacceptable_batches(node: Harness, ctx: bytes, size: int, needle: str) -> None:
    status, answer = await node.rpc([call(ctx)] * size)
    assert status == 200
    assert needle in answer["error"]["data"]


async def test_wrong_verb_and_route_get_json(node: Harness) -> None:
    async with node.http.get("/jsonrpc") as resp:
        assert resp.status == 405
        assert (await resp.json())["error"]["type"] == "ParseError"
    async with node.http.get("/nowhere") as resp:
        assert resp.status == 404
        assert "GET /nowhere" in (await resp.json())["error"]


async def test_loop_answers_while_a_call_runs(node: Harness, ctx: bytes, fake: FakeCore) -> None:
    slow = asyncio.create_task(node.execute(ctx, "slow"))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await assert_alive(node)
    assert time.perf_counter() - started < 0.2
    assert (await slow)["result"] == {"output": 1}
    assert fake.threads == {"node-core"}


async def test_a_lone_surrogate_in_args_gets_a_parse_error(node: Harness, ctx: bytes) -> None:
    args = '{"key":"\\ud800"}'  # the escape as sent on the wire, not a Python string
    params = f'{{"contextId":"{to_b58(ctx)}","method":"echo","argsJson":{args}}}'
    raw = f'{{"jsonrpc":"2.0","id":1,"method":"execute","params":{params}}}'.encode()
    status, answer = await node.rpc(None, raw=raw)
    assert status == 200
    assert answer["id"] == 1
    assert answer["error"]["type"] == "ParseError"
    assert "params.argsJson holds a lone surrogate ('\\ud800')" in answer["error"]["data"]
    await assert_alive(node)
