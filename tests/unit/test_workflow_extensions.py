"""Our latency, loss, redeploy and fuzz steps: their parsing, and the fault steps' links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.workflows.actions_faults import link_pairs
from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.results import StepFailed

HEAD = "name: t\nnodes:\n  count: 3\n  prefix: n\nsteps:\n"
FUZZ = "  - type: fuzz\n    context_id: c\n    calls: 5\n    methods: [{method: set}]\n"


def error_of(tmp_path: Path, steps: str) -> str:
    path = tmp_path / "flow.yml"
    path.write_text(HEAD + steps)
    with pytest.raises(ConfigError) as caught:
        parse_workflow(path, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    return message


def test_the_extension_steps_parse(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "src").mkdir()
    (tmp_path / "app" / "src" / "index.ts").write_text("")
    path = tmp_path / "flow.yml"
    path.write_text(HEAD + """\
  - {type: latency, from: n-1, to: [n-2, n-3], ms: 40, jitter_ms: 10, seed: 3}
  - {type: loss, nodes: [n-1, n-2], percent: 12.5}
  - {type: redeploy, path: ./app, application_id: x}
""" + FUZZ + """\
    seed: 9
    concurrency: 2
    partitions: 1
    allow_errors: true
""")  # fmt: skip
    flow = parse_workflow(path, tmp_path)
    assert [step.kind for step in flow.steps] == ["latency", "loss", "redeploy", "fuzz"]
    assert flow.steps[3].fields["methods"] == [{"method": "set"}]


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ("  - {type: latency, ms: 5}\n", "name the links: from and to (one way), or nodes"),
        ("  - {type: latency, from: n-1, ms: 5}\n", "name the links"),
        ("  - {type: loss, from: n-1, to: n-2, nodes: [n-3], percent: 5}\n",
         "give from and to, or nodes, not both"),
        ("  - {type: loss, from: n-1, to: n-9, percent: 5}\n", "to: no node named 'n-9'"),
        ("  - {type: loss, nodes: [n-1, n-2], percent: 150}\n",
         "percent: give a percentage from 0 to 100, not 150"),
        ("  - {type: latency, nodes: [n-1, n-2], ms: fast}\n", "ms: give milliseconds"),
        ("  - {type: latency, nodes: [n-1, n-2], ms: 5, jitter_ms: -1}\n", "jitter_ms: give"),
        ("  - {type: loss, nodes: [n-1, n-2], percent: 5, seed: 1.5}\n",
         "seed: give a whole number ≥ 0, not 1.5"),
        ("  - {type: redeploy, path: ./nowhere.wasm}\n", "does not exist"),
        ("  - {type: redeploy, path: 7}\n", "path: give the app's folder"),
        (FUZZ.replace("calls: 5", "calls: 0"), "calls: give a whole number ≥ 1, not 0"),
        (FUZZ + "    concurrency: two\n", "concurrency: give a whole number ≥ 1"),
        (FUZZ + "    allow_errors: sometimes\n", "allow_errors: give true or false"),
        (FUZZ.replace("[{method: set}]", "[]"), "methods: give a list of {method, args, weight}"),
        (FUZZ.replace("[{method: set}]", "[{name: set}]"), "methods[1]: give a mapping with a"),
        (FUZZ.replace("{method: set}", "{method: set, weight: 0}"), "weight: give a number above"),
        (FUZZ.replace("{method: set}", "{method: set, ags: {}}"), "unknown key 'ags'"),
        (FUZZ.replace("{method: set}", "{method: set, args: {k: {int: [5, 1]}}}"),
         "methods[1].args.k: int: give [low, high]"),
        (FUZZ.replace("{method: set}", "{method: set, args: {k: {one_of: []}}}"),
         "one_of: give a list of values"),
        (FUZZ.replace("{method: set}", "{method: set, args: {k: [1, {text: 0}]}}"),
         "methods[1].args.k.1: text: give a length from 1 to 4096"),
    ],
)  # fmt: skip
def test_a_malformed_extension_step_is_one_clear_error(
    tmp_path: Path, steps: str, problem: str
) -> None:
    message = error_of(tmp_path, steps)
    assert re.search(r"flow\.yml:\d+: step 1 \((latency|loss|redeploy|fuzz)\): ", message), message
    assert problem in message, message


@pytest.mark.parametrize(
    ("fields", "pairs"),
    [
        ({"from": "a", "to": "b"}, [("a", "b")]),
        ({"from": ["a", "b"], "to": ["b", "c"]}, [("a", "b"), ("a", "c"), ("b", "c")]),
        ({"nodes": ["a", "b", "c"]},
         [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b")]),
    ],
)  # fmt: skip
def test_fault_steps_name_directed_links(fields: dict[str, Any], pairs: list[Any]) -> None:
    assert link_pairs(fields) == pairs


def test_links_from_a_node_to_itself_only_are_refused() -> None:
    with pytest.raises(StepFailed, match="no two different nodes"):
        link_pairs({"from": "a", "to": "a"})
