"""Provides end-to-end tests of the kv-store WAT app: methods, artifacts, convergence."""

from __future__ import annotations

import json
import struct
from functools import cache

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.runtime import CallOutcome, Event, LoadedApp, Runtime
from tests.fixtures import load_wat
from tests.node.host_abi_helpers import DictState, counter, make_env

SEED_ROOT = b"calimero-devnet kv_store root v1"


@cache
def kv() -> tuple[Runtime, LoadedApp]:
    runtime = Runtime(None)
    return runtime, runtime.load(load_wat("kv_store"))


class Node:
    """One node's view of a context: its state, its clock (unique low digit)."""

    def __init__(self, index: int, start: int = 1_000) -> None:
        self.state = DictState()
        self.env = make_env(self.state, clock=counter(start=start + index, step=10))

    def call(self, method: str, args: object = None) -> CallOutcome:
        runtime, app = kv()
        data = b"{}" if args is None else json.dumps(args).encode()
        outcome = runtime.call(app, method, data, self.env)
        if outcome.committed:
            self.state.apply(outcome)
        return outcome

    def value(self, method: str, args: object = None) -> object:
        returned = self.call(method, args).returned
        return None if returned is None else json.loads(returned)

    def apply(self, artifact: bytes | None) -> CallOutcome:
        runtime, app = kv()
        assert artifact is not None
        outcome = runtime.call(app, "__calimero_sync_next", artifact, self.env)
        if outcome.committed:
            self.state.apply(outcome)
        return outcome

    def root(self) -> bytes:
        return self.state[b"__meta"][:32]


@pytest.fixture
def node() -> Node:
    fresh = Node(1)
    fresh.call("init")
    return fresh


def test_init_commits_the_seed_root_and_an_empty_artifact() -> None:
    outcome = Node(1).call("init")
    assert outcome.committed
    assert outcome.root_hash == SEED_ROOT
    assert outcome.artifact == b"\x00\x00\x00\x00\x00"


def test_set_get_entries_len(node: Node) -> None:
    outcome = node.call("set", {"key": "a", "value": "1"})
    assert outcome.returned is None
    assert outcome.events == [Event("Inserted", b'{"key":"a","value":"1"}')]
    assert outcome.logs == ["kv: set a"]
    assert node.call("set", {"key": "a", "value": "2"}).events[0].kind == "Updated"
    node.call("set", {"key": 'q"uote', "value": "é"})
    assert node.value("get", {"key": "a"}) == "2"
    assert node.value("get", {"key": "missing"}) is None
    assert node.value("entries") == {"a": "2", 'q"uote': "é"}
    assert node.value("len") == 2


def test_set_commits_a_new_root_and_an_upstream_shaped_artifact(node: Node) -> None:
    outcome = node.call("set", {"key": "a", "value": "1"})
    assert outcome.committed
    assert outcome.root_hash is not None
    assert outcome.root_hash != SEED_ROOT
    artifact = outcome.artifact
    assert artifact is not None
    assert artifact[:5] == b"\x00\x01\x00\x00\x00"
    op, ts, key_len = struct.unpack_from("<BQI", artifact, 5)
    assert (op, key_len, artifact[18:19]) == (1, 1, b"a")
    assert ts == outcome.max_time_now
    assert artifact[19:] == b"\x01\x00\x00\x001"


def test_remove_returns_the_old_value_and_restores_the_root(node: Node) -> None:
    before = node.root()
    node.call("set", {"key": "a", "value": "1"})
    outcome = node.call("remove", {"key": "a"})
    assert outcome.returned == b'"1"'
    assert outcome.events == [Event("Removed", b'{"key":"a"}')]
    assert node.root() == before
    assert node.value("entries") == {}
    assert node.value("len") == 0


def test_removing_a_missing_key_commits_and_keeps_the_root(node: Node) -> None:
    before = node.root()
    outcome = node.call("remove", {"key": "nope"})
    assert outcome.returned == b"null"
    assert outcome.committed
    assert outcome.root_hash == before
    assert outcome.artifact == b"\x00\x00\x00\x00\x00"


def test_get_result_returns_the_apps_own_error(node: Node) -> None:
    node.call("set", {"key": "a", "value": "1"})
    assert node.call("get_result", {"key": "a"}).returned == b'"1"'
    outcome = node.call("get_result", {"key": "zz"})
    assert outcome.app_error == b'{"kind":"NotFound","data":"zz"}'


def test_a_missing_parameter_panics_like_the_rust_sdk(node: Node) -> None:
    with pytest.raises(FunctionCallError, match=r"guest panicked: missing or invalid .*`value`"):
        node.call("set", {"key": "a"})
    with pytest.raises(FunctionCallError, match="guest panicked: input is not a JSON object"):
        node.call("get", [1, 2])


def test_other_members_and_whitespace_are_tolerated(node: Node) -> None:
    runtime, app = kv()
    text = b' { "x" : [1, {"key": "no"}], "key" : "a" , "value":"v", "n": null } '
    outcome = runtime.call(app, "set", text, node.env)
    node.state.apply(outcome)
    assert node.value("entries") == {"a": "v"}


def test_a_peer_replaying_the_artifacts_reaches_the_same_state_and_root(node: Node) -> None:
    peer = Node(2)
    for args in ({"key": "a", "value": "1"}, {"key": "b", "value": "2"}, {"key": "a"}):
        outcome = node.call("remove" if len(args) == 1 else "set", args)
        replay = peer.apply(outcome.artifact)
        assert replay.committed
    assert peer.value("entries") == node.value("entries") == {"b": "2"}
    assert peer.root() == node.root()


def test_concurrent_writes_converge_whatever_the_order() -> None:
    a, b = Node(1), Node(2)
    set_a = a.call("set", {"key": "k", "value": "from a"}).artifact
    set_b = b.call("set", {"key": "k", "value": "from b"}).artifact  # later timestamp
    other = a.call("set", {"key": "x", "value": "1"}).artifact
    b.apply(set_a)
    b.apply(other)
    a.apply(set_b)
    assert a.value("entries") == b.value("entries") == {"k": "from b", "x": "1"}
    assert a.root() == b.root()


def test_a_remove_beats_an_older_concurrent_set() -> None:
    a, b = Node(1), Node(2, start=5_000)
    a.call("set", {"key": "k", "value": "old"})
    b.apply(a.call("set", {"key": "k", "value": "v1"}).artifact)
    stale_set = a.call("set", {"key": "k", "value": "v2"}).artifact
    removal = b.call("remove", {"key": "k"}).artifact  # b's clock is ahead of a's v2
    a.apply(removal)
    b.apply(stale_set)
    assert a.value("entries") == b.value("entries") == {}
    assert a.root() == b.root()


def test_a_duplicate_delta_is_harmless(node: Node) -> None:
    peer = Node(2)
    artifact = node.call("set", {"key": "a", "value": "1"}).artifact
    peer.apply(artifact)
    root = peer.root()
    again = peer.apply(artifact)
    assert again.artifact == b"\x00\x00\x00\x00\x00"
    assert peer.root() == root


def test_sync_next_with_empty_input_does_nothing() -> None:
    outcome = Node(2).apply(b"")
    assert not outcome.committed
    assert outcome.writes == {}


@pytest.mark.parametrize("artifact", [b"\x01\x00\x00\x00\x00", b"\x00\x01\x00\x00\x00", b"\x00"])
def test_a_malformed_artifact_is_a_bare_unreachable_trap(artifact: bytes) -> None:
    with pytest.raises(FunctionCallError, match="`unreachable`"):
        Node(2).apply(artifact)


def test_a_set_beats_an_older_concurrent_remove() -> None:
    a, b = Node(1), Node(2, start=5_000)
    b.apply(a.call("set", {"key": "k", "value": "v1"}).artifact)
    removal = a.call("remove", {"key": "k"}).artifact
    newer_set = b.call("set", {"key": "k", "value": "v2"}).artifact
    a.apply(newer_set)
    b.apply(removal)
    assert a.value("entries") == b.value("entries") == {"k": "v2"}
    assert a.root() == b.root()
