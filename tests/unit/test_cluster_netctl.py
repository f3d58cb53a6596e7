"""Network control in words (``devnet partition/latency/heal``) and its command-line parsing."""

from __future__ import annotations

import re

import pytest

from calimero_devnet import cli
from calimero_devnet.cluster.control import netctl
from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.net_rules import (
    HEALTHY,
    LinkRule,
    NetRules,
    reachable,
    rules_from_json,
)

NODES = ("node-1", "node-2", "node-3")


@pytest.mark.parametrize(
    "words",
    [
        ["node-1,node-2", "/", "node-3"],
        ["node-1,node-2/node-3"],
        ["node-1, node-2", "/", " node-3 "],
        ["node-1", "node-2", "/", "node-3"],
    ],
)
def test_partition_groups_in_any_spacing(words: list[str]) -> None:
    assert netctl.parse_groups(words, NODES) == [["node-1", "node-2"], ["node-3"]]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "groups of node names"),
        ("node-1 / ", "groups of node names"),
        ("node-1,node-2 / node-1", "node-1 is in two groups"),
        ("node-1 / node-9", "no node named node-9 (nodes: node-1, node-2, node-3)"),
        ("node-1,node-2,node-3", "one group holding every node cuts nothing"),
        ("node-3, node-1 ,node-2", "name at least two groups"),
    ],
)
def test_partition_refusals_say_what_to_write(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        netctl.parse_groups(text, NODES)


def test_one_group_leaving_nodes_out_is_a_partition() -> None:
    # the nodes in no group form the other side
    assert netctl.parse_groups("node-1,node-2", NODES) == [["node-1", "node-2"]]


def test_the_cli_parses_a_partition_as_the_shell_splits_it() -> None:
    args = cli.build_parser().parse_args(["partition", "node-1,node-2", "/", "node-3"])
    assert netctl.parse_groups(args.groups) == [["node-1", "node-2"], ["node-3"]]
    assert args.handler is not None


def test_a_partition_keeps_link_faults_and_cuts_only_across_groups() -> None:
    slow = netctl.with_link(HEALTHY, "node-1", "node-2", latency_ms=50)
    rules = netctl.partitioned(slow, [["node-1", "node-2"], ["node-3"]])
    assert rules.links == {("node-1", "node-2"): LinkRule(50.0, 0.0)}
    assert reachable(rules, "node-1", "node-2")
    assert not reachable(rules, "node-2", "node-3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node-1>node-2", ("node-1", "node-2", False)),
        ("node-1<>node-3", ("node-1", "node-3", True)),
        ("*>node-2", ("*", "node-2", False)),
    ],
)
def test_links(text: str, expected: tuple[str, str, bool]) -> None:
    assert netctl.parse_link(text, NODES) == expected


@pytest.mark.parametrize("text", ["node-1", "node-1>", "node-1<node-2", "a>b>c"])
def test_malformed_links_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="FROM>TO"):
        netctl.parse_link(text, NODES)


def test_latency_both_ways_then_cleared_by_zero() -> None:
    rules = netctl.with_link(HEALTHY, "node-1", "node-3", latency_ms=20, loss=0.5, both=True)
    assert set(rules.links) == {("node-1", "node-3"), ("node-3", "node-1")}
    cleared = netctl.with_link(rules, "node-1", "node-3", latency_ms=0, both=True)
    assert cleared.links == {}


@pytest.mark.parametrize(("ms", "loss"), [(-1, 0), (60_001, 0), (10, 1.5)])
def test_latency_out_of_range(ms: float, loss: float) -> None:
    with pytest.raises(ConfigError):
        netctl.with_link(HEALTHY, "a", "b", latency_ms=ms, loss=loss)


def test_describe() -> None:
    assert netctl.describe(netctl.healed()) == "healthy (no partition, no link fault)"
    rules = NetRules(
        partitions=(frozenset({"node-2", "node-1"}), frozenset({"node-3"})),
        links={("node-1", "node-3"): LinkRule(50, 0.1)},
    )
    assert (
        netctl.describe(rules) == "partitions node-1,node-2 | node-3; node-1>node-3 50 ms 10% loss"
    )


def test_the_rules_document_is_what_the_nodes_get() -> None:
    rules = netctl.with_link(
        netctl.partitioned(HEALTHY, [["node-2", "node-1"], ["node-3"]]), "node-1", "node-3",
        latency_ms=50, loss=0.1,
    )  # fmt: skip
    document = netctl.document(rules)
    assert document["partitions"] == [["node-1", "node-2"], ["node-3"]]
    assert document["links"] == {"node-1>node-3": {"latency_ms": 50.0, "loss": 0.1}}
    assert rules_from_json(document) == rules
    assert netctl.document(HEALTHY)["partitions"] == []


def test_faults_set_one_field_on_many_links_and_keep_the_others() -> None:
    lossy = netctl.with_link(HEALTHY, "node-1", "node-2", latency_ms=0, loss=0.2)
    pairs = [("node-1", "node-2"), ("node-2", "node-1")]
    rules = netctl.with_faults(lossy, pairs, latency_ms=30, jitter_ms=5, seed=7)
    assert rules.links == {
        ("node-1", "node-2"): LinkRule(30.0, 0.2, 5.0),
        ("node-2", "node-1"): LinkRule(30.0, 0.0, 5.0),
    }
    assert rules.seed == 7
    assert netctl.describe(rules).endswith("node-2>node-1 30 ms ±5 ms")
    back = netctl.with_faults(rules, pairs, latency_ms=0, jitter_ms=0)
    assert back.links == {("node-1", "node-2"): LinkRule(0.0, 0.2)}  # the loss stays
    assert back.seed == 7


@pytest.mark.parametrize(
    ("latency", "jitter", "loss"), [(-1, None, None), (None, 60_001, None), (None, None, 1.01)]
)
def test_faults_out_of_range(
    latency: float | None, jitter: float | None, loss: float | None
) -> None:
    with pytest.raises(ConfigError):
        netctl.with_faults(HEALTHY, [("a", "b")], latency_ms=latency, jitter_ms=jitter, loss=loss)
