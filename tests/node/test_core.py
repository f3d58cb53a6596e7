"""NodeCore over a real store and the fake runtime: apps, contexts, calls, commits, deltas."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import (
    ApplicationNotFound,
    ContextNotFound,
    FunctionCallError,
    InvalidModule,
    MethodNotFound,
    Uninitialized,
)
from calimero_devnet.ids import sha256
from calimero_devnet.node.state.clock import MAX_INDEX
from calimero_devnet.node.state.core import ContextAlreadyExists, NodeCore, context_id_for_seed
from calimero_devnet.node.state.delta import decode, verify
from calimero_devnet.node.state.results import CommitNotice
from calimero_devnet.testing.fake_clock import FakeClock
from calimero_devnet.testing.fake_runtime import fake_wasm
from tests.node.core_helpers import SEED, call, open_node, runtime_of


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeCore]:
    with open_node(tmp_path / "a") as core:
        yield core


@pytest.fixture
def ctx(node: NodeCore) -> bytes:
    app_id = node.install_application(fake_wasm(), source="test")
    return node.create_context(app_id, seed=SEED).id


# identity and applications


def test_the_identity_is_created_once_and_kept(tmp_path: Path) -> None:
    with open_node(tmp_path / "a") as first:
        key = first.public_key
    with open_node(tmp_path / "a") as again, open_node(tmp_path / "b") as other:
        assert again.public_key == key == again.identity.public_key
        assert other.public_key != key


def test_install_is_content_addressed_and_idempotent(node: NodeCore) -> None:
    wasm = fake_wasm()
    app_id = node.install_application(wasm, source="file:///kv.wasm", metadata=b"m")
    assert app_id == sha256(wasm)
    assert node.install_application(wasm, source="elsewhere") == app_id
    info = node.application(app_id)
    assert (info.size, info.source, info.metadata) == (len(wasm), "file:///kv.wasm", b"m")
    assert "set" in info.methods
    assert node.applications() == [info]
    assert runtime_of(node).loads == 1


def test_install_refuses_what_is_not_wasm(node: NodeCore) -> None:
    with pytest.raises(InvalidModule, match=r"cannot install file:///x\.sh"):
        node.install_application(b"#!/bin/sh", source="file:///x.sh")
    assert node.applications() == []


def test_unknown_application(node: NodeCore) -> None:
    with pytest.raises(ApplicationNotFound, match="not installed on node a"):
        node.application(b"\x01" * 32)
    with pytest.raises(ApplicationNotFound):
        node.create_context(b"\x01" * 32)


# contexts


def test_create_runs_init_and_records_the_genesis_delta(node: NodeCore, ctx: bytes) -> None:
    info = node.context(ctx)
    assert ctx == context_id_for_seed(SEED)
    assert info.initialized
    assert info.delta_count == 1
    assert info.pending == 0
    assert info.members == (node.public_key,)
    assert runtime_of(node).calls == [("init", b"{}")]
    genesis = decode(node.store.delta(ctx, info.heads[0]) or b"")
    assert genesis.parents == ()
    assert genesis.author == node.public_key
    assert info.root_hash is not None
    assert node.contexts() == [info]
    assert node.check_consistency(ctx) == []


def test_seeded_ids_agree_across_nodes_and_random_ids_differ(tmp_path: Path) -> None:
    with open_node(tmp_path / "a") as a, open_node(tmp_path / "b", index=2) as b:
        ids = []
        for core in (a, b):
            app = core.install_application(fake_wasm(), source="t")
            ids.append(core.create_context(app, seed=SEED).id)
            ids.append(core.create_context(app).id)
        assert ids[0] == ids[2]
        assert len(set(ids)) == 3


def test_a_second_create_with_the_same_seed_is_refused(node: NodeCore, ctx: bytes) -> None:
    app_id = node.context(ctx).application_id
    with pytest.raises(ContextAlreadyExists, match="already exists"):
        node.create_context(app_id, seed=SEED)


def test_an_app_without_init_is_ready_with_no_delta(node: NodeCore) -> None:
    app_id = node.install_application(fake_wasm("bare", with_init=False), source="t")
    info = node.create_context(app_id, b"")
    assert info.initialized
    assert info.heads == ()
    assert info.delta_count == 0
    assert call(node, info.id, "len") == 0


def test_init_params_reach_init_and_a_failing_init_stores_nothing(node: NodeCore) -> None:
    app_id = node.install_application(fake_wasm(), source="t")
    node.create_context(app_id, b'{"x":1}')
    assert runtime_of(node).calls[-1] == ("init", b'{"x":1}')
    runtime_of(node).call = _trapping  # type: ignore[method-assign,assignment]
    with pytest.raises(FunctionCallError):
        node.create_context(app_id, seed=b"other")
    assert len(node.contexts()) == 1


def _trapping(*args: object, **kwargs: object) -> object:
    raise FunctionCallError("guest panicked: nope")


# calls


def test_a_committed_call_becomes_a_signed_delta_on_the_heads(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    after = node.context(ctx)
    delta = result.delta
    assert delta is not None
    assert delta.parents == before.heads
    assert after.heads == (delta.id,)
    assert after.delta_count == 2
    assert after.root_hash == result.root_hash != before.root_hash
    assert [e.kind for e in result.events] == ["ItemSet"]
    assert delta.events == result.events
    assert decode(node.store.delta(ctx, delta.id) or b"") == delta
    verify(delta, after.members)
    assert delta.max_time_now > 0
    assert delta.hlc.time > delta.max_time_now
    assert call(node, ctx, "get", key="a") == "1"
    assert node.check_consistency(ctx) == []


def test_a_view_produces_no_delta(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    result = node.execute(ctx, "entries", b"")
    assert (result.delta, result.output) == (None, b"{}")
    assert result.root_hash == before.root_hash
    assert node.context(ctx) == before
    assert runtime_of(node).calls[-1] == ("entries", b"{}")  # empty args become {}


def test_errors_for_unknown_context_and_method(node: NodeCore, ctx: bytes) -> None:
    with pytest.raises(ContextNotFound, match="not found on node a"):
        node.execute(b"\x09" * 32, "get", b"{}")
    with pytest.raises(ContextNotFound):
        node.context(b"\x09" * 32)
    with pytest.raises(MethodNotFound, match="nope"):
        node.execute(ctx, "nope", b"{}")


def test_an_app_error_carries_its_json_and_stores_nothing(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    with pytest.raises(FunctionCallError) as caught:
        node.execute(ctx, "fail", b"{}")
    assert caught.value.data == {"kind": "NotFound", "data": "zz"}
    assert caught.value.to_json()["type"] == "FunctionCallError"
    assert node.store.state_get(ctx, b"kv:never") is None
    assert node.context(ctx) == before


def test_a_trap_stores_nothing(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    with pytest.raises(FunctionCallError, match="boom"):
        node.execute(ctx, "trap", b"{}")
    assert node.context(ctx) == before


def test_writes_without_commit_are_dropped_with_a_warning(
    node: NodeCore, ctx: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = node.execute(ctx, "write_no_commit", b"{}")
    assert result.delta is None
    assert node.store.state_get(ctx, b"kv:lost") is None
    assert "did not commit" in caplog.text
    assert "write_no_commit" in caplog.text


def test_an_uninitialized_context_refuses_calls_but_sync_next(node: NodeCore, ctx: bytes) -> None:
    record = node.store.context(ctx)
    assert record is not None
    batch = node.store.batch()
    batch.put_context(record.model_copy(update={"initialized": False}))
    node.store.write(batch)
    with pytest.raises(Uninitialized):
        node.execute(ctx, "get", b'{"key":"a"}')
    with pytest.raises(MethodNotFound):
        node.execute(ctx, "nope", b"{}")
    result = node.execute(ctx, "__calimero_sync_next", b'[["set","a","1"]]')
    assert result.delta is None
    assert node.context(ctx).initialized
    assert call(node, ctx, "get", key="a") == "1"


def test_a_local_sync_next_keeps_writes_and_root_but_makes_no_delta(
    node: NodeCore, ctx: bytes
) -> None:
    before = node.context(ctx)
    notices: list[CommitNotice] = []
    node.subscribe(notices.append)
    result = node.execute(ctx, "__calimero_sync_next", b'[["set","z","9"]]')
    after = node.context(ctx)
    assert result.delta is None
    assert after.root_hash == result.root_hash != before.root_hash
    assert (after.heads, after.delta_count) == (before.heads, before.delta_count)
    assert [n.delta for n in notices] == [None]
    node.execute(ctx, "__calimero_sync_next", b"")  # an empty artifact is a no-op
    assert runtime_of(node).calls[-1] == ("__calimero_sync_next", b"")


def test_time_now_is_unique_per_node_and_monotonic(node: NodeCore, ctx: bytes) -> None:
    values = [call(node, ctx, "now") for _ in range(5)]
    assert all(isinstance(v, int) and v & MAX_INDEX == 1 for v in values)
    assert values == sorted(set(values))  # type: ignore[type-var]


def test_the_clock_never_goes_back_across_a_restart(tmp_path: Path) -> None:
    wall = FakeClock()
    with open_node(tmp_path / "a", wall_clock=wall) as core:
        app_id = core.install_application(fake_wasm(), source="t")
        ctx = core.create_context(app_id, seed=SEED).id
        core.execute(ctx, "set", b'{"key":"a","value":"1"}')
        last = call(core, ctx, "now")
    wall.advance(-3_600_000_000_000)  # the wall clock stepped back an hour
    with open_node(tmp_path / "a", wall_clock=wall) as core:
        assert call(core, ctx, "now") > last  # type: ignore[operator]


def test_private_storage_is_node_local_and_kept_without_commit(node: NodeCore, ctx: bytes) -> None:
    before = node.context(ctx)
    node.execute(ctx, "private_set", b'{"key":"p","value":"secret"}')
    assert call(node, ctx, "private_get", key="p") == "secret"
    assert node.store.private_get(ctx, b"p") == b"secret"
    assert node.context(ctx) == before
    assert node.store.state_get(ctx, b"p") is None


# subscribers


def test_subscribers_hear_each_commit_until_they_unsubscribe(node: NodeCore, ctx: bytes) -> None:
    notices: list[CommitNotice] = []
    unsubscribe = node.subscribe(notices.append)
    result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    node.execute(ctx, "get", b'{"key":"a"}')
    assert len(notices) == 1
    assert notices[0] == CommitNotice(ctx, result.root_hash, result.events, result.delta)
    unsubscribe()
    unsubscribe()
    node.execute(ctx, "set", b'{"key":"b","value":"2"}')
    assert len(notices) == 1


def test_a_failing_subscriber_never_breaks_a_commit(
    node: NodeCore, ctx: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(notice: CommitNotice) -> None:
        raise RuntimeError("listener bug")

    node.subscribe(broken)
    with caplog.at_level(logging.ERROR):
        result = node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    assert result.delta is not None
    assert "listener" in caplog.text
    assert node.context(ctx).heads == (result.delta.id,)


# consistency


def test_check_consistency_reports_bad_heads_and_counts(node: NodeCore, ctx: bytes) -> None:
    node.execute(ctx, "set", b'{"key":"a","value":"1"}')
    record = node.store.context(ctx)
    assert record is not None
    batch = node.store.batch()
    batch.put_context(record.model_copy(update={"heads": [b"\x07" * 32], "delta_count": 9}))
    node.store.write(batch)
    problems = node.check_consistency(ctx)
    assert any("is not a stored delta without children" in p for p in problems)
    assert any("has no children but is not a head" in p for p in problems)
    assert any("delta_count is 9 but 2" in p for p in problems)
