"""The SDK tour's collections on real NodeCores: every collection type, nesting, stored and
returned value types, and all of them replicating between two nodes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from calimero_devnet.ids import to_b58
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.toolchain import BuildResult
from tests.node.core_helpers import join
from tests.toolchain.sdk_helpers import (
    Node,
    build_tour,
    call,
    execute,
    open_core,
    shared_runtime,
    start,
    tour_node,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

tour = pytest.fixture(scope="module", name="tour")(build_tour)
runtime = pytest.fixture(scope="module", name="runtime")(shared_runtime)
node = pytest.fixture(name="node")(tour_node)


def test_map_of_sets(node: Node) -> None:
    core, ctx = node
    for group, member in (("g", "ann"), ("g", "bob"), ("h", "ann")):
        execute(core, ctx, "join", {"group": group, "member": member})
    assert call(core, ctx, "members", {"group": "g"}) == ["ann", "bob"]
    assert call(core, ctx, "leave", {"group": "g", "member": "ann"}) is True
    assert call(core, ctx, "leave", {"group": "x", "member": "ann"}) is False
    state = call(core, ctx, "everything")
    assert state["groups"] == {"g": ["bob"], "h": ["ann"]}  # nested collections as JSON
    assert state["calls"] == 3  # a plain field of the state, saved with the root document


def test_a_removed_nested_set_comes_back_empty(node: Node) -> None:
    core, ctx = node
    execute(core, ctx, "join", {"group": "g", "member": "ann"})
    assert call(core, ctx, "disband", {"group": "g"}) is True
    assert call(core, ctx, "members", {"group": "g"}) == []
    execute(core, ctx, "join", {"group": "g", "member": "bob"})  # the same set, emptied
    assert call(core, ctx, "members", {"group": "g"}) == ["bob"]
    assert call(core, ctx, "disband", {"group": "nope"}) is False


def test_vector_counter_and_register(node: Node) -> None:
    core, ctx = node
    assert [call(core, ctx, "push", {"name": n}) for n in "abc"] == [1, 2, 3]
    assert call(core, ctx, "pop") == {"name": "c"}
    assert call(core, ctx, "item", {"index": 1}) == {"name": "b"}
    assert call(core, ctx, "item", {"index": 7}) is None
    assert call(core, ctx, "add", {"by": "3"}) == "3"
    assert call(core, ctx, "add", {"by": 2}) == "5"
    assert call(core, ctx, "counts") == {"total": "5", "mine": 5, "other": 0}  # as upstream
    assert call(core, ctx, "recall") == {"value": None, "stamped": False}
    execute(core, ctx, "remember", {"value": "12345678901234567890"})
    assert call(core, ctx, "recall") == {"value": "12345678901234567890", "stamped": True}
    execute(core, ctx, "forget")
    assert call(core, ctx, "recall") == {"value": None, "stamped": False}


def test_user_and_frozen_storage(node: Node) -> None:
    core, ctx = node
    me = to_b58(core.public_key)
    assert call(core, ctx, "profile") == {"value": None, "has": False}
    assert call(core, ctx, "setProfile", {"name": "ann"}) is None
    assert call(core, ctx, "setProfile", {"name": "anna"}) == "ann"
    assert call(core, ctx, "profile", {"user": me}) == {"value": "anna", "has": True}
    assert call(core, ctx, "profile", {"user": "11" * 32}) == {"value": None, "has": False}
    assert call(core, ctx, "dropProfile") == "anna"
    digest = call(core, ctx, "freeze", {"text": "ice"})
    assert digest == hashlib.sha256(b"\x03\0\0\0ice").digest().hex()  # upstream's hash
    assert call(core, ctx, "freeze", {"text": "ice"}) == digest  # content-addressed
    assert call(core, ctx, "thaw", {"hash": digest}) == {"value": "ice", "has": True}
    assert call(core, ctx, "thaw", {"hash": "00" * 32}) == {"value": None, "has": False}


def test_stored_values_keep_their_types(node: Node) -> None:
    assert call(node[0], node[1], "stash") == {
        "big": "12345678901234567890", "bytes": True, "map": 1, "set": True,
        "when": "1970-01-01T00:00:00.000Z", "keys": ["big", "bytes", "map", "set", "when"],
    }  # fmt: skip


def test_returned_values_are_plain_json(node: Node) -> None:
    assert call(node[0], node[1], "wire") == {
        "m": [[1, "a"]], "o": {"k": "v"}, "s": [1], "b": [7], "n": "5"
    }  # fmt: skip


def test_every_collection_replicates_between_two_nodes(
    tmp_path: Path, runtime: Runtime, tour: BuildResult
) -> None:
    with open_core(tmp_path / "a", runtime, 1) as a, open_core(tmp_path / "b", runtime, 2) as b:
        ctx = start(a, tour.wasm_path)
        execute(a, ctx, "join", {"group": "g", "member": "ann"})  # creates the inner set
        join(a, b, ctx)  # b starts from a snapshot that has it (see README: nesting)
        steps = {
            a: [("push", {"name": "x"}), ("add", {"by": 2}), ("remember", {"value": 7}),
                ("setProfile", {"name": "ann"}), ("freeze", {"text": "ice"})],
            b: [("join", {"group": "g", "member": "bob"}), ("push", {"name": "y"}),
                ("add", {"by": 3}), ("setProfile", {"name": "bob"})],
        }  # fmt: skip
        deltas = {node: [execute(node, ctx, m, args).delta for m, args in calls]
                  for node, calls in steps.items()}  # fmt: skip
        for node, other in ((a, b), (b, a)):
            for delta in deltas[other]:
                assert delta is not None
                node.apply_delta(delta)
        assert a.context(ctx).root_hash == b.context(ctx).root_hash
        for node in (a, b):
            assert call(node, ctx, "members", {"group": "g"}) == ["ann", "bob"]
            assert call(node, ctx, "counts")["total"] == "5"
            assert call(node, ctx, "recall")["value"] == "7"
            for owner, name in ((a, "ann"), (b, "bob")):
                mine = {"value": name, "has": True}
                assert call(node, ctx, "profile", {"user": to_b58(owner.public_key)}) == mine
        assert [call(a, ctx, "item", {"index": i}) for i in (0, 1)] == [
            call(b, ctx, "item", {"index": i}) for i in (0, 1)
        ]
        digest = call(a, ctx, "freeze", {"text": "ice"})  # no change: already stored
        assert call(b, ctx, "thaw", {"hash": digest}) == {"value": "ice", "has": True}
