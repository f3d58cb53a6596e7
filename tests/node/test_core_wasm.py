"""NodeCore with the real wasmtime Runtime and the WAT kv-store app (Rust-SDK call patterns)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError, MethodNotFound
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.testing.fake_clock import FakeClock
from tests.fixtures import load_wat
from tests.node.core_helpers import join

SEED = b"wasm-seed"


def open_wasm_node(home: Path, index: int, runtime: Runtime) -> NodeCore:
    return NodeCore.open(home, name=home.name, index=index, runtime=runtime, wall_clock=FakeClock())


@pytest.fixture
def pair(tmp_path: Path, runtime: Runtime) -> Iterator[tuple[NodeCore, NodeCore, bytes]]:
    with (
        open_wasm_node(tmp_path / "a", 1, runtime) as a,
        open_wasm_node(tmp_path / "b", 2, runtime) as b,
    ):
        app_id = a.install_application(load_wat("kv_store"), source="file:///kv_store.wasm")
        ctx = a.create_context(app_id, seed=SEED).id
        join(a, b, ctx)
        yield a, b, ctx


def run(node: NodeCore, ctx: bytes, method: str, **args: str) -> object:
    output = node.execute(ctx, method, json.dumps(args).encode() if args else b"").output
    return None if output is None else json.loads(output)


def test_the_kv_store_runs_through_the_core(pair: tuple[NodeCore, NodeCore, bytes]) -> None:
    a, _, ctx = pair
    info = a.context(ctx)
    assert info.initialized
    assert info.delta_count == 1
    assert info.root_hash is not None
    assert {"set", "get", "entries", "len", "remove"} <= set(
        a.application(info.application_id).methods
    )
    result = a.execute(ctx, "set", b'{"key":"a","value":"1"}')
    assert result.delta is not None
    assert result.delta.payload[:1] == b"\x00"  # the app's own artifact, untouched
    assert [e.kind for e in result.events] == ["Inserted"]
    assert a.context(ctx).root_hash == result.root_hash != info.root_hash
    assert run(a, ctx, "get", key="a") == "1"
    assert run(a, ctx, "entries") == {"a": "1"}
    assert run(a, ctx, "len") == 1
    assert a.execute(ctx, "len", b"").delta is None
    assert a.check_consistency(ctx) == []


def test_errors_come_back_in_the_upstream_shape(pair: tuple[NodeCore, NodeCore, bytes]) -> None:
    a, _, ctx = pair
    with pytest.raises(FunctionCallError) as caught:
        a.execute(ctx, "get_result", b'{"key":"zz"}')
    assert caught.value.data == {"kind": "NotFound", "data": "zz"}
    with pytest.raises(MethodNotFound, match="Its methods are"):
        a.execute(ctx, "nope", b"{}")
    with pytest.raises(FunctionCallError):
        a.execute(ctx, "set", b"{}")  # a missing parameter panics, as in the Rust SDK


def test_a_peer_replays_deltas_to_the_same_root(pair: tuple[NodeCore, NodeCore, bytes]) -> None:
    a, b, ctx = pair
    from_a = a.execute(ctx, "set", b'{"key":"x","value":"1"}').delta
    from_b = b.execute(ctx, "set", b'{"key":"y","value":"2"}').delta
    assert from_a is not None
    assert from_b is not None
    b.apply_delta(from_a)
    a.apply_delta(from_b)
    removal = a.execute(ctx, "remove", b'{"key":"x"}').delta
    assert removal is not None
    b.apply_delta(removal)
    for node in (a, b):
        assert run(node, ctx, "entries") == {"y": "2"}
        assert node.check_consistency(ctx) == []
    assert a.context(ctx).root_hash == b.context(ctx).root_hash
    assert a.context(ctx).heads == b.context(ctx).heads == (removal.id,)
