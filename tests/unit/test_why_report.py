"""The "why not converged" report over hand-made node facts (no nodes)."""

from __future__ import annotations

from calimero_devnet.cluster.why.facts import NodeFacts, StateValue, Waiting, facts_from_json
from calimero_devnet.cluster.why.report import KeyDiff, Lack, why_report

CTX = "Ctx1111111111111111111111111111111111111111"
G, L1, L2, R1, X = "Genesis1xx", "Left1aaaaa", "Left2aaaaa", "Right1bbbb", "Unknown999"


def value(label: str, digest: str, shown: str) -> StateValue:
    return StateValue(label, digest, shown)


def partitioned() -> list[NodeFacts]:
    """Node 1 wrote two deltas, node 2 one, neither saw the other's; node 2 has a waiter."""
    shared = {"6b31": value("items[k1]", "h1", '"same"')}
    one = NodeFacts("node-1", (L2,), "rootA", frozenset({G, L1, L2}), (),
                    shared | {"6c": value("items[left]", "h2", '"l"')})  # fmt: skip
    late = (Waiting("Late1ccccc", (X,), (X,)),)
    two = NodeFacts("node-2", (R1,), "rootB", frozenset({G, R1}), late,
                    shared | {"6c": value("items[left]", "h3", '"r"')})  # fmt: skip
    return [one, two]


def test_each_node_lacks_what_the_other_applied_and_says_who_has_it() -> None:
    report = why_report(CTX, partitioned())
    assert not report.converged
    one, two = report.nodes
    assert one.lacks == (Lack(R1, ("node-2",)),)
    assert two.lacks == (Lack(L1, ("node-1",)), Lack(L2, ("node-1",)))
    text = report.text()
    assert f"context {CTX}: NOT converged on node-1, node-2" in text
    assert "lacks 2 delta(s): Left1aaa (on node-1), Left2aaa (on node-1)" in text
    assert "lacks 1 delta(s): Right1bb (on node-2)" in text


def test_pending_deltas_name_their_missing_parent_and_whether_anyone_has_it() -> None:
    facts = partitioned()
    text = why_report(CTX, facts).text()
    assert "pending Late1ccc waits for Unknown9; missing: Unknown9 (no node has it)" in text
    found = [facts[0], NodeFacts("node-2", (G,), "rootG", frozenset({G}),
                                 (Waiting("Late1ccccc", (L2,), (L1,)),))]  # fmt: skip
    assert "missing: Left1aaa (on node-1)" in why_report(CTX, found).text()
    assert "node-2: 1 delta(s) pending" in why_report(CTX, found).differences


def test_keys_whose_values_differ_are_listed_with_each_node_value() -> None:
    facts = partitioned()
    facts.append(NodeFacts("node-3", (L2,), "rootA", facts[0].applied, (), {}))
    report = why_report(CTX, facts)
    assert report.keys == (
        KeyDiff("6b31", "items[k1]", (("node-1", '"same"'), ("node-2", '"same"'),
                                      ("node-3", "(absent)"))),
        KeyDiff("6c", "items[left]", (("node-1", '"l"'), ("node-2", '"r"'),
                                      ("node-3", "(absent)"))),
    )  # fmt: skip
    assert 'items[left]: node-1 "l", node-2 "r", node-3 (absent)' in report.text()


def test_agreeing_nodes_are_one_line_and_say_who_was_left_out() -> None:
    same = NodeFacts("node-1", (L1,), "root", frozenset({G, L1}), (), {"6b": value("k", "h", "v")})
    report = why_report(
        CTX,
        [
            same,
            NodeFacts("node-2", *(same.heads, same.root, same.applied), (), same.state),
        ],
        name="kv",
        left_out=[("node-3", "is not running")],
    )
    assert report.converged
    assert report.text() == (
        f"context kv ({CTX}): converged on node-1, node-2; node-3 is not running"
    )
    assert report.to_json()["converged"] is True


def test_a_node_that_cannot_answer_is_reported_and_lacks_nothing() -> None:
    facts = [*partitioned()[:1], NodeFacts("node-2", error="did not answer in time")]
    report = why_report(CTX, facts)
    assert "node-2: did not answer in time" in report.differences
    assert report.nodes[1].lacks == ()
    assert "  node-2: did not answer in time" in report.text().splitlines()


def test_long_lists_are_cut_in_the_text_and_whole_in_the_json() -> None:
    many = frozenset({G} | {f"D{i:02d}xxxxxxxx" for i in range(20)})
    report = why_report(CTX, [NodeFacts("a", ("D19",), "r1", many),
                              NodeFacts("b", (G,), "r0", frozenset({G}))])  # fmt: skip
    assert "... and 12 more (--json lists them all)" in report.text()
    lacking = report.to_json()["nodes"][1]
    assert len(lacking["lacks"]) == 20
    assert lacking["lacks"][0] == {"delta": "D00xxxxxxxx", "holders": ["a"]}


def test_facts_read_the_node_answers() -> None:
    facts = facts_from_json(
        "node-1", {"rootHash": "R"},
        {"heads": ["h2", "h1"], "applied": ["h1", "h2"],
         "pending": [{"id": "p", "waitingFor": ["x"], "missing": ["x"]}]},
        {"entries": [{"key": "6b", "label": "k", "size": 1, "hash": "H", "value": "v"}],
         "truncated": True},
    )  # fmt: skip
    assert facts == NodeFacts("node-1", ("h1", "h2"), "R", frozenset({"h1", "h2"}),
                              (Waiting("p", ("x",), ("x",)),), {"6b": value("k", "H", "v")},
                              state_truncated=True)  # fmt: skip


def test_a_context_no_running_node_has_says_so_not_converged() -> None:
    report = why_report(CTX, [], left_out=[("node-1", "is not running")])
    assert report.text() == f"context {CTX}: no running node has it; node-1 is not running"
