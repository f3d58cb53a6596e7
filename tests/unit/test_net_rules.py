"""Network rules: parsing the retained ctl/net document, and the pure verdict on a message."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.net_rules import (
    HEALTHY,
    Delay,
    Deliver,
    Drop,
    LinkRule,
    NetRules,
    decide,
    link_rng,
    parse_net_rules,
    reachable,
    rules_to_json,
)

EXAMPLE = {
    "partitions": [["node-1", "node-2"], ["node-3"]],
    "links": {
        "node-1>node-3": {"latency_ms": 50, "jitter_ms": 10, "loss": 0.1},
        "*<>node-2": {"loss": 0.5},
    },
    "seed": 42,
    "disconnected": ["node-2"],
}


def verdict(rules: NetRules, sender: str, receiver: str) -> object:
    return decide(rules, sender, receiver, random.Random(0))


def test_parses_the_documented_example() -> None:
    rules = parse_net_rules(json.dumps(EXAMPLE))
    assert rules == NetRules(
        partitions=(frozenset({"node-1", "node-2"}), frozenset({"node-3"})),
        links={
            ("node-1", "node-3"): LinkRule(50.0, 0.1, 10.0),
            ("*", "node-2"): LinkRule(0.0, 0.5),
            ("node-2", "*"): LinkRule(0.0, 0.5),
        },
        seed=42,
        disconnected=frozenset({"node-2"}),
    )


@pytest.mark.parametrize("text", ["", "  \n", "{}", b"{}"])
def test_empty_documents_mean_a_healthy_network(text: str | bytes) -> None:
    assert parse_net_rules(text) == HEALTHY


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object, got list"),
        ('{"partition": []}', "unknown key 'partition'; did you mean 'partitions'?"),
        ('{"bogus": 1}', "known keys: partitions, links, seed, disconnected"),
        ('{"partitions": {"a": 1}}', "'partitions' must be a list of lists"),
        ('{"partitions": [["a", 3]]}', "'partitions'[0] must be a list of node names"),
        ('{"partitions": [[""]]}', "'partitions'[0] must be a list of node names"),
        ('{"partitions": [["a"], ["b", "a"]]}', "node 'a' is in groups 0 and 1"),
        ('{"links": []}', "'links' must be an object"),
        ('{"links": {"a-b": {}}}', "key 'a-b' must look like 'a>b'"),
        ('{"links": {"a>b>c": {}}}', "key 'a>b>c' must look like"),
        ('{"links": {">b": {}}}', "key '>b' must look like"),
        ('{"links": {"a<b": {}}}', "key 'a<b' must look like"),
        ('{"links": {"a>b": 5}}', "'links'.'a>b' must be an object"),
        ('{"links": {"a>b": {"latency": 5}}}', "unknown key 'latency'; did you mean 'latency_ms'?"),
        ('{"links": {"a>b": {"loss": 1.5}}}', "'loss' must be a number in [0, 1], got 1.5"),
        ('{"links": {"a>b": {"loss": true}}}', "'loss' must be a number in [0, 1], got True"),
        ('{"links": {"a>b": {"latency_ms": -1}}}', "'latency_ms' must be a number in [0, 60000]"),
        ('{"links": {"a>b": {"latency_ms": NaN}}}', "'latency_ms' must be a number"),
        ('{"links": {"a>b": {"jitter_ms": -5}}}', "'jitter_ms' must be a number in [0, 60000]"),
        ('{"links": {"a>b": {}, "a<>b": {}}}', "'links'.'a<>b' repeats the link a>b"),
        ('{"seed": "42"}', "'seed' must be an integer, got '42'"),
        ('{"seed": false}', "'seed' must be an integer"),
        ('{"disconnected": "node-2"}', "'disconnected' must be a list of node names"),
    ],
)
def test_invalid_documents_are_refused_naming_the_key(document: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_net_rules(document)
    assert message in str(caught.value)
    assert str(caught.value).startswith("ctl/net")


names = st.sampled_from(["a", "b", "c", "node-4", "*"])


@st.composite
def net_rules(draw: st.DrawFn) -> NetRules:
    nodes = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True))
    cut = draw(st.integers(0, len(nodes)))
    groups = tuple(frozenset(g) for g in (nodes[:cut], nodes[cut:]) if g)
    links = draw(
        st.dictionaries(
            st.tuples(names, names),
            st.builds(
                LinkRule,
                st.integers(0, 1000).map(float),
                st.floats(0, 1),
                st.integers(0, 100).map(float),
            ),
            max_size=4,
        )
    )
    disconnected = frozenset(draw(st.lists(st.sampled_from(["a", "b", "x"]))))
    return NetRules(groups, links, draw(st.integers(-(2**40), 2**40)), disconnected)


@given(net_rules())
def test_rules_survive_a_json_round_trip(rules: NetRules) -> None:
    assert parse_net_rules(rules_to_json(rules)) == rules


def test_healthy_network_delivers_everything() -> None:
    assert verdict(HEALTHY, "a", "b") == Deliver()
    assert reachable(HEALTHY, "a", "b")


def test_partition_cuts_both_directions_and_keeps_groups_whole() -> None:
    rules = NetRules(partitions=(frozenset({"a", "b"}), frozenset({"c"})))
    assert verdict(rules, "a", "b") == Deliver()
    assert verdict(rules, "a", "c") == Drop("partition")
    assert verdict(rules, "c", "b") == Drop("partition")
    assert not reachable(rules, "b", "c")


def test_unlisted_nodes_form_one_group_of_their_own() -> None:
    rules = NetRules(partitions=(frozenset({"a"}),))
    assert verdict(rules, "x", "y") == Deliver()
    assert verdict(rules, "x", "a") == Drop("partition")


def test_disconnected_is_physical_not_a_verdict() -> None:
    # The adapter closes the session; judging it here would race with its reconnect flush.
    assert verdict(NetRules(disconnected=frozenset({"a"})), "a", "b") == Deliver()


def test_latency_delays_and_full_loss_drops() -> None:
    rules = NetRules(links={("a", "b"): LinkRule(latency_ms=50), ("b", "a"): LinkRule(loss=1)})
    assert verdict(rules, "a", "b") == Delay(50)
    assert verdict(rules, "b", "a") == Drop("loss")
    assert verdict(rules, "a", "c") == Deliver()


def test_most_specific_link_rule_wins() -> None:
    rules = parse_net_rules(
        json.dumps({
            "links": {
                "a>b": {"latency_ms": 1}, "a>*": {"latency_ms": 2},
                "*>b": {"latency_ms": 3}, "*>*": {"latency_ms": 4},
            }
        })
    )  # fmt: skip
    assert verdict(rules, "a", "b") == Delay(1)
    assert verdict(rules, "a", "c") == Delay(2)
    assert verdict(rules, "c", "b") == Delay(3)
    assert verdict(rules, "c", "d") == Delay(4)


def test_both_ways_key_covers_both_directions() -> None:
    rules = parse_net_rules('{"links": {"a<>b": {"latency_ms": 7}}}')
    assert verdict(rules, "a", "b") == verdict(rules, "b", "a") == Delay(7)


def test_lossless_links_draw_nothing_from_the_rng() -> None:
    rng, untouched = random.Random(3), random.Random(3)
    rules = NetRules(links={("a", "b"): LinkRule(latency_ms=5)})
    for _ in range(10):
        decide(rules, "a", "b", rng)
    assert rng.random() == untouched.random()


def test_seeded_loss_is_reproducible_per_link_and_close_to_its_rate() -> None:
    rules = NetRules(links={("*", "*"): LinkRule(loss=0.3)}, seed=9)

    def fates(sender: str) -> list[bool]:
        rng = link_rng(rules, sender, "z")
        return [isinstance(decide(rules, sender, "z", rng), Drop) for _ in range(2000)]

    assert fates("a") == fates("a")
    assert fates("a") != fates("b")
    assert 0.27 < sum(fates("a")) / 2000 < 0.33
    assert link_rng(NetRules(seed=1), "a", "z").random() != link_rng(rules, "a", "z").random()


def test_jitter_varies_each_delay_within_its_bounds_reproducibly() -> None:
    rules = NetRules(links={("a", "b"): LinkRule(latency_ms=20, jitter_ms=15)}, seed=4)

    def delays() -> list[float]:
        rng = link_rng(rules, "a", "b")
        verdicts = [decide(rules, "a", "b", rng) for _ in range(500)]
        return [v.ms if isinstance(v, Delay) else 0.0 for v in verdicts]

    first = delays()
    assert first == delays()
    assert all(5 <= ms <= 35 for ms in first)
    assert len(set(first)) > 100  # each message draws its own delay


def test_jitter_larger_than_the_latency_never_goes_below_zero() -> None:
    rules = NetRules(links={("a", "b"): LinkRule(latency_ms=1, jitter_ms=50)})
    rng = random.Random(0)
    verdicts = [decide(rules, "a", "b", rng) for _ in range(200)]
    assert Deliver() in verdicts  # the draws below zero deliver at once
    assert all(0 < v.ms <= 51 for v in verdicts if isinstance(v, Delay))


def test_a_link_without_jitter_keeps_its_old_json_document() -> None:
    rules = NetRules(links={("a", "b"): LinkRule(latency_ms=5)})
    assert json.loads(rules_to_json(rules))["links"] == {"a>b": {"latency_ms": 5.0, "loss": 0.0}}
