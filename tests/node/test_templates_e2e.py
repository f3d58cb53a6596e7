"""The app templates, built by the real toolchain, on real NodeCores: every method, events,
views, init, TypeScript error locations, and two nodes converging by exchanging deltas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections.digest import recompute_digest
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.toolchain import BuildResult
from tests.node.core_helpers import join
from tests.toolchain.sdk_helpers import (
    TEMPLATES,
    build_copy,
    call,
    execute,
    open_core,
    start,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

Pair = tuple[NodeCore, NodeCore, bytes]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    root = tmp_path_factory.mktemp("templates")
    return {name: build_copy(TEMPLATES / name, root) for name in ("kv-store", "counter")}


def pair_of(tmp_path: Path, runtime: Runtime, build: BuildResult) -> Iterator[Pair]:
    """Two nodes sharing one context: ``a`` created it, ``b`` joined by snapshot."""
    with open_core(tmp_path / "a", runtime, 1) as a, open_core(tmp_path / "b", runtime, 2) as b:
        ctx = start(a, build.wasm_path)
        join(a, b, ctx)
        yield a, b, ctx


@pytest.fixture
def kv(tmp_path: Path, runtime: Runtime, builds: dict[str, BuildResult]) -> Iterator[Pair]:
    yield from pair_of(tmp_path, runtime, builds["kv-store"])


@pytest.fixture
def counter(tmp_path: Path, runtime: Runtime, builds: dict[str, BuildResult]) -> Iterator[Pair]:
    yield from pair_of(tmp_path, runtime, builds["counter"])


def put(node: NodeCore, ctx: bytes, key: str, value: str) -> CausalDelta:
    """``set`` and return its delta."""
    delta = execute(node, ctx, "set", {"key": key, "value": value}).delta
    assert delta is not None
    return delta


def exchange(
    a: NodeCore, b: NodeCore, from_a: list[CausalDelta], from_b: list[CausalDelta]
) -> None:
    """Give each node the other's deltas, in order."""
    for delta in from_a:
        b.apply_delta(delta)
    for delta in from_b:
        a.apply_delta(delta)


def assert_converged(a: NodeCore, b: NodeCore, ctx: bytes, *views: str) -> None:
    """Same root hash (= the collections digest), same heads, same answers to ``views``."""
    for node in (a, b):
        assert node.context(ctx).root_hash == recompute_digest(node.store.state_reader(ctx))
        assert node.check_consistency(ctx) == []
    assert a.context(ctx).root_hash == b.context(ctx).root_hash
    assert a.context(ctx).heads == b.context(ctx).heads
    for view in views:
        assert call(a, ctx, view) == call(b, ctx, view), view


def test_kv_store_methods(kv: Pair) -> None:
    a, _, ctx = kv
    assert call(a, ctx, "get", {"key": "a"}) is None
    result = execute(a, ctx, "set", {"key": "a", "value": "1"})
    assert result.output is None
    assert result.events == (Event("ItemSet", b'{"key":"a","value":"1"}'),)
    put(a, ctx, "b", "2")
    assert call(a, ctx, "get", {"key": "a"}) == "1"
    assert call(a, ctx, "entries") == {"a": "1", "b": "2"}
    assert call(a, ctx, "len") == 2
    removed = execute(a, ctx, "remove", {"key": "a"})
    assert removed.output == b'"1"'
    assert removed.events == (Event("ItemRemoved", b'{"key":"a"}'),)
    assert call(a, ctx, "remove", {"key": "a"}) is None
    assert (call(a, ctx, "hits"), call(a, ctx, "lastWriter")) == (2, to_b58(a.public_key))
    execute(a, ctx, "clear")
    assert call(a, ctx, "entries") == {}


def test_kv_store_clears_a_thousand_entries_in_one_call(kv: Pair) -> None:
    a, b, ctx = kv
    deltas = [put(a, ctx, f"key-{i}", str(i)) for i in range(1_000)]
    cleared = execute(a, ctx, "clear")
    assert cleared.events == (Event("ItemsCleared", b'{"count":1000}'),)
    assert call(a, ctx, "len") == 0
    assert cleared.delta is not None
    exchange(a, b, [*deltas, cleared.delta], [])
    assert_converged(a, b, ctx, "len", "entries")


def test_kv_store_round_trips_a_100_kb_value(kv: Pair) -> None:
    a, b, ctx = kv
    value = "é" * 50_000 + "x" * 2_400  # 102,400 bytes of UTF-8
    result = execute(a, ctx, "set", {"key": "big", "value": value})
    assert result.events == (Event("ItemSet", b'{"key":"big","value":null}'),)  # read it
    assert call(a, ctx, "get", {"key": "big"}) == value
    assert result.delta is not None
    exchange(a, b, [result.delta], [])
    assert call(b, ctx, "get", {"key": "big"}) == value
    assert_converged(a, b, ctx, "entries")


def test_kv_store_views_make_no_delta(kv: Pair) -> None:
    a, _, ctx = kv
    put(a, ctx, "k", "v")
    before = a.context(ctx)
    for view, args in (("get", {"key": "k"}), ("entries", {}), ("len", {}), ("hits", {}),
                       ("lastWriter", {}), ("tags", {"key": "k"})):  # fmt: skip
        assert execute(a, ctx, view, args).delta is None, view
    assert execute(a, ctx, "remove", {"key": "absent"}).delta is None  # nothing changed
    assert a.context(ctx) == before


def test_init_ran_once_at_creation(kv: Pair) -> None:
    a, _, ctx = kv
    assert a.context(ctx).delta_count == 1  # the genesis delta of init
    with pytest.raises(FunctionCallError, match="init runs once"):
        execute(a, ctx, "init", {})
    assert a.context(ctx).delta_count == 1


def test_a_thrown_error_names_the_typescript_line(kv: Pair) -> None:
    a, _, ctx = kv
    source = (TEMPLATES / "kv-store" / "src" / "index.ts").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "must not be empty" in text)
    with pytest.raises(FunctionCallError) as info:
        execute(a, ctx, "set", {"key": "", "value": "x"})
    message = str(info.value)
    assert "Error: set: the key must not be empty at src/index.ts:" in message
    assert message.rsplit(":", 2)[-2] == str(line)
    assert call(a, ctx, "len") == 0  # a failed call stores nothing


def test_two_nodes_converge(kv: Pair) -> None:
    a, b, ctx = kv
    from_a = [put(a, ctx, "x", "from a"), put(a, ctx, "both", "a")]
    from_b = [put(b, ctx, "y", "from b"), put(b, ctx, "both", "b")]
    exchange(a, b, from_a, from_b)
    assert_converged(a, b, ctx, "entries", "hits", "lastWriter")
    entries = call(a, ctx, "entries")
    assert entries.keys() == {"x", "y", "both"}
    assert entries["both"] in {"a", "b"}
    assert call(a, ctx, "hits") == 4  # every node's increments count
    exchange(a, b, [], [put(b, ctx, "both", "later")])  # a later write wins everywhere
    assert_converged(a, b, ctx, "entries")
    assert call(a, ctx, "get", {"key": "both"}) == "later"


def test_nested_sets_replicate(kv: Pair) -> None:
    a, b, ctx = kv
    first = execute(a, ctx, "tag", {"key": "k", "tag": "x"}).delta
    b.apply_delta(delta_of(first))  # b now knows the set inside the map
    from_a = execute(a, ctx, "tag", {"key": "k", "tag": "z"}).delta
    from_b = execute(b, ctx, "tag", {"key": "k", "tag": "y"}).delta  # concurrent adds
    exchange(a, b, [delta_of(from_a)], [delta_of(from_b)])
    assert_converged(a, b, ctx)
    assert call(a, ctx, "tags", {"key": "k"}) == call(b, ctx, "tags", {"key": "k"})
    assert call(b, ctx, "tags", {"key": "k"}) == ["x", "y", "z"]


def test_a_nested_set_created_on_two_nodes_at_once_keeps_both_tags(kv: Pair) -> None:
    a, b, ctx = kv
    from_a = execute(a, ctx, "tag", {"key": "k", "tag": "x"}).delta  # both create k's set
    from_b = execute(b, ctx, "tag", {"key": "k", "tag": "y"}).delta
    exchange(a, b, [delta_of(from_a)], [delta_of(from_b)])
    assert_converged(a, b, ctx)
    assert call(a, ctx, "tags", {"key": "k"}) == ["x", "y"]
    assert call(b, ctx, "tags", {"key": "k"}) == ["x", "y"]


def test_counter_template(counter: Pair) -> None:
    a, b, ctx = counter
    assert call(a, ctx, "get") == 0
    from_a = [execute(a, ctx, "increment") for _ in range(3)]
    assert [json.loads(r.output or b"") for r in from_a] == [1, 2, 3]
    from_b = execute(b, ctx, "increment")  # concurrent with a's three
    assert execute(b, ctx, "get").delta is None
    exchange(a, b, [delta_of(r.delta) for r in from_a], [delta_of(from_b.delta)])
    assert_converged(a, b, ctx, "get")
    assert call(b, ctx, "get") == 4


def delta_of(delta: CausalDelta | None) -> CausalDelta:
    """``delta``, which the call must have produced."""
    assert delta is not None
    return delta
