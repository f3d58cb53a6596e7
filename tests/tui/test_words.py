"""What the screen says, in words: headline verdicts, rows, the build line, filters, forms."""

from __future__ import annotations

import pytest

from calimero_devnet.cluster.events import (
    BrokerBack,
    BrokerDown,
    BuildFinished,
    NetChanged,
    StateRefused,
)
from calimero_devnet.tui.call import Method, Param, build_args, methods_from_manifest
from calimero_devnet.tui.dialogs import groups_of, preview
from calimero_devnet.tui.filters import Filter
from calimero_devnet.tui.folding import fold
from calimero_devnet.tui.model import BuildInfo, DeltaRecord, Line
from calimero_devnet.tui.words import (
    build_line,
    columns_for,
    delta_row,
    headline,
    heads_cell,
    log_message,
    net_text,
    network_summary,
    node_row,
    seconds,
)
from tests.tui.test_model import NODES, applied, authored, fresh, status


def test_headline_says_converged_with_its_age() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 10.0)
    assert headline(model, 52.0) == ("CONVERGED 42 s", "ok")


def test_headline_says_diverged_and_why() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    fold(model, authored("node-1", "d1", ("h0",)), 2.0)
    fold(model, applied("node-2", "d1"), 2.0)
    model.apply_status(status({"node-1": ("d1",), "node-2": ("d1",), "node-3": ("h0",)}), 3.0)
    text, level = headline(model, 6.0)
    assert level == "error"
    assert text == "DIVERGED 3 s: node-3 lacks 1 delta(s)"


def test_the_sync_cell_says_who_lacks_deltas_and_who_is_ahead() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    fold(model, authored("node-1", "d1", ("h0",)), 2.0)
    fold(model, applied("node-2", "d1"), 2.0)
    model.apply_status(status({"node-1": ("d1",), "node-2": ("d1",), "node-3": ("h0",)}), 3.0)
    sync = {name: node_row(model, model.nodes[name], 4.0)[-1] for name in NODES}
    assert sync == {"node-1": "ahead", "node-2": "ahead", "node-3": "lacks 1"}


def test_headline_says_partitioned_while_heads_still_agree() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    fold(model, NetChanged("p", {"partitions": [["node-1", "node-2"]]}), 2.0)
    text, level = headline(model, 4.0)
    assert level == "warning"
    assert text.startswith("PARTITIONED A: node-1 node-2 │ B: node-3")


def test_the_network_says_broker_down_until_it_is_back() -> None:
    model = fresh()
    assert network_summary(model) == "healthy"
    fold(model, BrokerDown("amqtt", "mqtt://127.0.0.1:1", "killed by SIGKILL", True), 1.0)
    assert network_summary(model) == "broker down (killed by SIGKILL)"
    assert net_text(model).startswith("network: broker down (killed by SIGKILL)\n")
    fold(model, BrokerBack("amqtt", "mqtt://127.0.0.1:1", 0.4, True), 2.0)
    assert network_summary(model) == "healthy"
    assert [line.level for line in model.lines][-2:] == ["error", "info"]


def test_headline_says_what_the_whole_cluster_is_busy_with() -> None:
    model = fresh()
    model.apply_status(status({n: ("h0",) for n in NODES}), 1.0)
    model.busy = "RESTORING snap-1: the nodes stop, get their stores back, start"
    assert headline(model, 2.0) == (model.busy, "busy")
    model.busy = None
    assert headline(model, 2.0)[0].startswith("CONVERGED")


def test_headline_before_ready_says_what_it_is_doing() -> None:
    model = fresh()
    model.ready, model.progress = False, "starting node-2…"
    assert headline(model, 0.0) == ("STARTING: starting node-2…", "busy")


@pytest.mark.parametrize(
    ("span", "said"), [(0, "0 s"), (59.9, "59 s"), (61, "1 min 1 s"), (7260, "2 h 1 min")]
)
def test_seconds(span: float, said: str) -> None:
    assert seconds(span) == said


def test_columns_fit_the_pane() -> None:
    assert len(columns_for(40)) < len(columns_for(70)) < len(columns_for(120))


def test_a_delta_row_names_author_parents_appliers_and_extra_actions() -> None:
    model = fresh()
    record = DeltaRecord(
        "Qz9cAAAA",
        "kv",
        "node-2",
        ("9fK2xxxx", "Hh7xyyyy"),
        ("a", "b"),
        5,
        "host-actions",
        0.0,
        applied_on={"node-1"},
    )
    row = delta_row(model, record)
    assert row[1:] == ("Qz9cA…", "node-2", "9fK2… Hh7x…", "2/3", "a; b (+3)")


def test_build_lines_say_failures_and_refusals_in_words() -> None:
    failed = BuildInfo("kv", "error", error="src/index.ts:3:5 - error TS2322: no\nmore")
    assert build_line(failed)[0] == "kv: build failed: src/index.ts:3:5 - error TS2322: no"
    refused = BuildInfo("kv", "refused", refused=StateRefused("kv", 4, "main", ("n",), "why"))
    text, level = build_line(refused)
    assert level == "error"
    assert "v3 keeps serving" in text
    assert "reset main" in text
    model = fresh()
    fold(model, BuildFinished("kv", 0.5), 0.0)
    assert build_line(model.builds["kv"])[1] == "busy"


def test_filters_narrow_deltas_and_lines() -> None:
    record = DeltaRecord(
        "d1",
        "kv",
        "node-2",
        (),
        ('items["a"] = "1"',),
        1,
        "host-actions",
        0.0,
        applied_on={"node-3"},
    )
    assert Filter.parse("").keeps_delta(record)
    assert Filter.parse("node:node-3").keeps_delta(record)
    assert not Filter.parse("author:node-3").keeps_delta(record)
    assert Filter.parse('items["a"]').keeps_delta(record)
    assert not Filter.parse("zzz").keeps_delta(record)
    assert not Filter.parse("", only_node="node-1").keeps_delta(record)
    warn = Line(0.0, "node-1", "log", "warning", "bus reconnecting")
    info = Line(0.0, "node-1", "log", "info", "bus up")
    assert Filter.parse("level:warning").keeps_line(warn)
    assert not Filter.parse("level:warning").keeps_line(info)
    assert not Filter.parse("node:node-2").keeps_line(info)


def test_call_form_values_follow_the_abi_types() -> None:
    method = Method(
        "put",
        params=(
            Param("key", "string"),
            Param("n", "number"),
            Param("flag", "boolean", optional=True),
        ),
    )
    assert build_args(method, {"key": "a", "n": "5", "flag": ""}) == {"key": "a", "n": 5}
    assert build_args(method, {"key": "", "n": "1.5", "flag": "true"}) == {
        "key": "",
        "n": 1.5,
        "flag": True,
    }
    with pytest.raises(ValueError, match="n: 'x' is not a number"):
        build_args(method, {"key": "a", "n": "x"})
    with pytest.raises(ValueError, match=r"n \(number\) is required"):
        build_args(method, {"key": "a", "n": ""})
    raw = Method("anything")
    assert build_args(raw, {"__json__": '{"k": [1]}'}) == {"k": [1]}
    with pytest.raises(ValueError, match="not JSON"):
        build_args(raw, {"__json__": "{"})


def test_methods_come_from_the_manifest() -> None:
    manifest = {
        "methods": [
            {
                "name": "set",
                "kind": "call",
                "returns": "void",
                "params": [
                    {"name": "key", "type": "string"},
                    {"name": "v", "type": "string", "optional": True},
                ],
            }
        ]
    }
    (method,) = methods_from_manifest(manifest)
    assert method.signature() == "set(key: string, v?: string): void"
    assert methods_from_manifest(None) == []


def test_partition_dialog_groups_and_preview() -> None:
    assignment = {"node-1": "A", "node-2": "B", "node-3": "A"}
    assert groups_of(assignment) == [["node-1", "node-3"], ["node-2"]]
    assert preview(assignment) == "A: node-1 node-3 │ B: node-2"
    assert preview({"node-1": "A"}).startswith("one group")


def test_heads_and_log_lines_are_shortened_for_narrow_cells() -> None:
    assert heads_cell(()) == "-"
    assert heads_cell(("9fK2abcd",)) == "9fK2…"
    assert heads_cell(("9fK2abcd", "Hh7xabcd", "Zz")) == "9fK2…+2"
    line = "2026-12-07 08:36:19,882 INFO    node-1 calimero_devnet.node.service: node ready"
    assert log_message(line) == "node ready"
    assert log_message("Traceback (most recent call last):") == "Traceback (most recent call last):"
