"""TuiModel: events folded in, bounded buffers, verdicts, partition groups, rates."""

from __future__ import annotations

import dataclasses

import pytest

from calimero_devnet.cluster.events import (
    AppDeployed,
    BuildFinished,
    ClusterReady,
    FeedMessage,
    NetChanged,
    NodeKilled,
    NodeSwitched,
    StateRefused,
    Step,
)
from calimero_devnet.cluster.processes.node_events import NodeExited, NodeReady
from calimero_devnet.cluster.remotes import RemoteChanged
from calimero_devnet.cluster.status import ClusterStatus, ContextView, NodeRef
from calimero_devnet.tui import model as m
from calimero_devnet.tui.folding import fold, partition_groups
from calimero_devnet.tui.model import TuiModel
from calimero_devnet.tui.words import build_line, headline, node_row

NODES = ["node-1", "node-2", "node-3"]
CTX = "ctx-id"


def fresh() -> TuiModel:
    model = TuiModel("devnet", list(NODES))
    for i, name in enumerate(NODES):
        fold(model, NodeReady(name, "127.0.0.1", 2428 + i, f"key-{name}", 100 + i, 0.4), 0.0)
    fold(model, ClusterReady(1.0, tuple(NODES), (("kv", CTX),)), 0.0)
    return model


def authored(node: str, delta: str, parents: tuple[str, ...] = ()) -> FeedMessage:
    item = {
        "event": "authored",
        "context": CTX,
        "delta": delta,
        "parents": list(parents),
        "kind": "host-actions",
        "summary": ['items["a"] = "1"'],
        "actions": 2,
    }
    return FeedMessage(node, (item,))


def applied(node: str, *deltas: str) -> FeedMessage:
    item = {
        "event": "applied",
        "context": CTX,
        "from": "node-1",
        "count": len(deltas),
        "deltas": list(deltas),
    }
    return FeedMessage(node, (item,))


def status(heads: dict[str, tuple[str, ...]]) -> ClusterStatus:
    refs = tuple(NodeRef(n, f"http://x/{n}", 1, True) for n in NODES)
    views = tuple(
        ContextView(n, "kv", "app", heads[n], "root-" + ",".join(heads[n]), 0) for n in NODES
    )
    return ClusterStatus("devnet", refs, views, {"kv": CTX}, {"kv": "app"}, {"kv": False})


def test_ready_nodes_carry_pid_port_and_key() -> None:
    model = fresh()
    node = model.nodes["node-2"]
    assert (node.state, node.pid, node.port, node.public_key) == ("ready", 101, 2429, "key-node-2")
    assert model.ready
    assert model.contexts == {"kv": CTX}


def test_an_authored_delta_is_kept_and_its_appliers_counted() -> None:
    model = fresh()
    fold(model, authored("node-1", "d1"), 1.0)
    fold(model, applied("node-2", "d1"), 1.1)
    record = model.deltas["kv"][-1]
    assert (record.author, record.summary, record.actions) == ("node-1", ('items["a"] = "1"',), 2)
    assert record.applied_on == {"node-2"}
    assert model.nodes["node-1"].rate_out(1.2) == pytest.approx(1 / m.RATE_WINDOW_S)
    assert model.nodes["node-2"].rate_in(1.2) == pytest.approx(1 / m.RATE_WINDOW_S)
    assert model.nodes["node-2"].rate_in(1.2 + m.RATE_WINDOW_S + 1) == 0


def test_the_delta_buffer_is_bounded_and_its_index_follows() -> None:
    model = fresh()
    for i in range(m.DELTAS_KEPT + 10):
        fold(model, authored("node-1", f"d{i}"), float(i))
    assert len(model.deltas["kv"]) == m.DELTAS_KEPT
    assert "d0" not in model.delta_index
    assert f"d{m.DELTAS_KEPT + 9}" in model.delta_index


def test_lines_are_bounded_and_counted() -> None:
    model = fresh()
    before = model.lines_total
    for i in range(m.LINES_KEPT + 5):
        model.say(float(i), "node-1", f"line {i}")
    assert len(model.lines) == m.LINES_KEPT
    assert model.lines_total == before + m.LINES_KEPT + 5


def test_verdict_turns_and_names_the_lacking_node() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    first = model.verdict()
    assert first is not None
    assert first.converged
    fold(model, authored("node-1", "d1", ("h0",)), 2.0)
    fold(model, applied("node-2", "d1"), 2.0)
    model.apply_status(status({"node-1": ("d1",), "node-2": ("d1",), "node-3": ("h0",)}), 3.0)
    verdict = model.verdict()
    assert verdict is not None
    assert not verdict.converged
    assert verdict.since == 3.0
    assert verdict.lacking == {"node-3": 1}


def test_polled_heads_vouch_for_the_ancestors_a_capped_applied_event_did_not_name() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    chain = [f"d{i}" for i in range(40)]
    for parent, delta in zip(["h0", *chain], chain, strict=False):
        fold(model, authored("node-3", delta, (parent,)), 2.0)
    fold(model, applied("node-1", *chain[:16]), 2.0)  # a node names at most 16 of a run
    model.apply_status(
        status({"node-1": (chain[-1],), "node-2": ("h0",), "node-3": (chain[-1],)}), 3.0
    )
    verdict = model.verdict()
    assert verdict is not None
    assert verdict.lacking == {"node-2": 40}  # node-1's heads hold the 24 it did not name
    model.apply_status(status({n: (chain[-1],) for n in NODES}), 4.0)
    assert model.verdict().lacking == {}  # type: ignore[union-attr]


def test_a_crash_and_a_kill_are_told_apart() -> None:
    model = fresh()
    fold(model, NodeExited("node-2", -9, "SIGKILL", ("boom",)), 1.0)
    fold(model, NodeKilled("node-3"), 1.0)
    assert model.nodes["node-2"].state == "crashed"
    assert model.nodes["node-2"].pid is None
    assert model.nodes["node-3"].state == "killed"
    assert any(line.text == "boom" and line.kind == "log" for line in model.lines)


def test_builds_deploys_and_refusals() -> None:
    model = fresh()
    fold(model, BuildFinished("kv", 0.3, "src/index.ts:3:5 - error TS2322"), 1.0)
    assert model.builds["kv"].status == "error"
    fold(model, BuildFinished("kv", 0.2), 1.5)
    fold(model, NodeSwitched("kv", 2, "node-2", 1, 3), 1.6)
    assert build_line(model.builds["kv"]) == ("kv: deploying in 0.20 s: 1/3 nodes…", "busy")
    fold(model, AppDeployed("kv", "app-2", 2, tuple(NODES)), 2.0)
    assert (model.builds["kv"].status, model.app_versions["app-2"]) == ("ok", ("kv", 2))
    assert build_line(model.builds["kv"])[0] == "kv v2 built in 0.20 s, on 3 node(s)"
    fold(model, StateRefused("kv", 3, "kv", ("node-1",), "items is now a set"), 3.0)
    assert model.builds["kv"].status == "refused"


def test_net_rules_give_each_node_its_group() -> None:
    model = fresh()
    rules = {"partitions": [["node-1", "node-2"]], "links": {}, "disconnected": []}
    fold(model, NetChanged("partitions node-1,node-2", rules), 1.0)
    assert {n: model.nodes[n].group for n in NODES} == {"node-1": "A", "node-2": "A", "node-3": "B"}
    fold(model, NetChanged("healthy", {"partitions": []}), 2.0)
    assert model.nodes["node-3"].group is None


def test_rules_as_json_text_are_read_too() -> None:
    model = fresh()
    fold(model, NetChanged("p", '{"partitions": [["node-3"]]}'), 1.0)  # type: ignore[arg-type]
    assert model.nodes["node-3"].group == "A"
    assert model.nodes["node-1"].group == "B"


def test_partition_groups_of_a_healthy_network_are_empty() -> None:
    assert partition_groups({}, NODES) == {}


def test_steps_before_ready_are_the_progress() -> None:
    model = TuiModel("devnet", ["node-1"])
    fold(model, Step("building kv-store…"), 0.0)
    assert model.progress == "building kv-store…"
    assert not model.ready


def test_the_timeline_keeps_two_minutes_of_seconds() -> None:
    model = fresh()
    for second in range(m.TIMELINE_S + 30):
        fold(model, authored("node-1", f"d{second}"), second + 0.5)
        model.tick(second + 1.0)
    assert len(model.timeline) == m.TIMELINE_S
    assert all(count == 1 for _, count, _ in model.timeline)


def test_versions_move_only_for_the_section_that_changed() -> None:
    model = fresh()
    before = dict(model.versions)
    model.say(1.0, None, "hello")
    assert model.version("lines") == before.get("lines", 0) + 1
    assert model.version("deltas") == before.get("deltas", 0)


def test_an_apply_heard_before_its_authored_counts_once_the_author_speaks() -> None:
    model = fresh()
    fold(model, applied("node-2", "d1"), 1.0)  # node-2's feed overtook node-1's
    fold(model, authored("node-1", "d1"), 1.1)
    assert model.deltas["kv"][-1].applied_on == {"node-2"}
    assert model.early == {}


def test_an_attached_ui_learns_ports_and_where_apps_run_from_status() -> None:
    model = TuiModel("devnet", list(NODES))  # no NodeReady heard: the nodes were up before
    model.learn_app("kv-store", "app", 1)
    heads: dict[str, tuple[str, ...]] = {n: ("h0",) for n in NODES}
    refs = tuple(NodeRef(n, f"http://127.0.0.1:{2428 + i}", 1, True) for i, n in enumerate(NODES))
    model.apply_status(dataclasses.replace(status(heads), nodes=refs), 1.0)
    assert [node.port for node in model.nodes.values()] == [2428, 2429, 2430]
    assert model.builds["kv-store"].nodes == tuple(NODES)


def test_a_stopped_cluster_is_said_stopped_and_its_nodes_too() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    assert headline(model, 2.0)[0].startswith("CONVERGED")
    model.cluster_stopped(3.0)
    assert headline(model, 4.0) == (
        "STOPPED: the cluster was stopped (`devnet up` starts it again)",
        "muted",
    )
    assert {node.state for node in model.nodes.values()} == {"stopped"}


def test_a_remote_node_shows_as_remote_without_a_process_and_goes_gone() -> None:
    model = fresh()
    fold(model, RemoteChanged("far-1", "ready", "http://10.0.0.2:4100", "hostb", True), 1.0)
    far = model.nodes["far-1"]
    assert (far.state, far.remote, far.port, far.pid) == ("ready", "hostb", 4100, None)
    assert node_row(model, far, 1.0)[1:4] == ("ready (remote)", "-", "-")
    assert "far-1" in model.node_names
    model.apply_status(ClusterStatus("devnet", (NodeRef("far-1", None, None, False, "hostb"),),
                                     (), {"kv": CTX}, {}, {}), 2.0)  # fmt: skip
    assert (far.state, far.remote) == ("gone", "hostb")
