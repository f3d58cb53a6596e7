"""The step runner with fake actions: failure rules, outputs, repeat, parallel, fail-fast."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.workflows.actions import ACTIONS
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.results import StepFailed, StepResult
from calimero_devnet.workflows.runner import run_steps

HEAD = "name: t\nnodes:\n  count: 2\n  prefix: n\nsteps:\n"


class FakeNodes:
    """Stands in for the call and wait actions: records calls, fails where told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.failing: set[str] = set()

    async def call(self, ctx: Context, fields: dict[str, Any], _: StepResult) -> dict[str, Any]:
        self.calls.append((fields["node"], fields["method"], fields.get("args")))
        if fields["method"] in self.failing:
            raise FunctionCallError(f"{fields['method']} panicked")
        await asyncio.sleep(0)
        return {"result": {"output": f"{fields['method']} on {fields['node']}"}, "error": None}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeNodes:
    nodes = FakeNodes()
    monkeypatch.setitem(ACTIONS, "call", nodes.call)
    return nodes


def run(tmp_path: Path, steps: str) -> tuple[list[StepResult], Context, list[str]]:
    path = tmp_path / "flow.yml"
    path.write_text(HEAD + steps)
    flow = parse_workflow(path, tmp_path)
    ctx = Context(cast(Any, None), tmp_path, 5.0)
    lines: list[str] = []

    def report(result: StepResult, depth: int) -> None:
        lines.append(f"{depth} {result.where} {'ok' if result.ok else 'FAIL'} {result.detail}")

    return asyncio.run(run_steps(ctx, flow.steps, report)), ctx, lines


CALL = "  - type: call\n    node: n-1\n    context_id: c\n    method: {method}\n"


def test_outputs_of_a_call_feed_the_next_steps(tmp_path: Path, fake: FakeNodes) -> None:
    check = "  - type: json_assert\n    statements:\n"
    check += '      - \'json_equal({{r}}, {"output": "get on n-1"})\'\n'
    results, ctx, _ = run(
        tmp_path, CALL.format(method="get") + "    outputs:\n      r: result\n" + check
    )
    assert [r.ok for r in results] == [True, True]
    assert ctx.values["r"] == {"output": "get on n-1"}


def test_the_first_failure_stops_the_workflow(tmp_path: Path, fake: FakeNodes) -> None:
    fake.failing.add("boom")
    results, _, lines = run(tmp_path, CALL.format(method="boom") + CALL.format(method="after"))
    assert [(r.where, r.ok) for r in results] == [("1", False)]
    assert results[0].detail == "boom panicked"
    assert [method for _, method, _ in fake.calls] == ["boom"]
    assert lines == [f"0 1 FAIL {results[0].detail}"]


def test_expected_failure_passes_on_failure_and_checks_the_error(
    tmp_path: Path, fake: FakeNodes
) -> None:
    fake.failing.add("boom")
    expect = "    expected_failure: true\n    expected_error: '{err}'\n"
    results, _, _ = run(tmp_path, CALL.format(method="boom") + expect.format(err="panicked")
                        + CALL.format(method="boom") + expect.format(err="timeout"))  # fmt: skip
    assert results[0].ok
    assert "failed as expected" in results[0].warning
    assert not results[1].ok
    assert "not with 'timeout'" in results[1].detail


def test_an_unexpected_success_warns_for_a_call_and_fails_elsewhere(
    tmp_path: Path, fake: FakeNodes
) -> None:
    results, _, _ = run(tmp_path, CALL.format(method="get") + "    expected_failure: true\n"
                        "  - type: wait\n    seconds: 0\n    expected_failure: true\n")  # fmt: skip
    assert results[0].ok
    assert "succeeded though expected_failure" in results[0].warning
    assert not results[1].ok
    assert "expects a failure" in results[1].detail


def test_repeat_counts_and_renames_its_counter(tmp_path: Path, fake: FakeNodes) -> None:
    results, _, _ = run(tmp_path, "  - type: repeat\n    count: 3\n    outputs:\n"
                        "      round: iteration\n    steps:\n"
                        "      - type: call\n        node: n-2\n        context_id: c\n"
                        "        method: set\n        args: {key: 'k{{round}}', "
                        "of: '{{total_iterations}}'}\n")  # fmt: skip
    assert results[0].ok
    assert [args for _, _, args in fake.calls] == [
        {"key": "k1", "of": 3}, {"key": "k2", "of": 3}, {"key": "k3", "of": 3}
    ]  # fmt: skip
    assert [child.where for child in results[0].children] == ["1.1#1", "1.1#2", "1.1#3"]


def test_parallel_groups_all_run_and_one_failure_fails_the_step(
    tmp_path: Path, fake: FakeNodes
) -> None:
    fake.failing.add("boom")
    group = "      - name: {name}\n        steps:\n          - type: call\n            node: n-1\n"
    group += "            context_id: c\n            method: {method}\n"
    steps = "  - type: parallel\n    groups:\n" + group.format(name="a", method="boom")
    steps += group.format(name="b", method="fine")
    results, _, _ = run(tmp_path, steps)
    assert not results[0].ok
    assert results[0].detail == "groups failed: a"
    assert sorted(method for _, method, _ in fake.calls) == ["boom", "fine"]
    results, _, _ = run(tmp_path, steps.replace("groups:", "failure_mode: continue-on-error\n"
                                                "    groups:"))  # fmt: skip
    assert results[0].ok
    assert "continue-on-error" in results[0].warning


def test_a_non_blocking_assert_warns_and_the_workflow_goes_on(
    tmp_path: Path, fake: FakeNodes
) -> None:
    results, _, _ = run(tmp_path, "  - type: assert\n    non_blocking: true\n    statements:\n"
                        "      - statement: '1 == 2'\n        message: one is not two\n"
                        + CALL.format(method="after"))  # fmt: skip
    assert [r.ok for r in results] == [True, True]
    assert results[0].warning == "non-blocking, failed: 1 == 2: one is not two"


def test_a_failed_capture_fails_the_step(tmp_path: Path, fake: FakeNodes) -> None:
    results, _, _ = run(tmp_path, CALL.format(method="get") + "    outputs:\n      r: answer\n")
    assert not results[0].ok
    assert "outputs.r: the response has no 'answer'" in results[0].detail


def test_step_failed_keeps_its_response_for_outputs() -> None:
    assert StepFailed("x").response == {"error": "x"}


def test_expected_failure_does_not_excuse_wrong_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def download(ctx: Context, fields: dict[str, Any], _: StepResult) -> dict[str, Any]:
        if fields["blob_id"] == "missing":
            raise StepFailed("blob missing not retrieved (404)")
        raise StepFailed("size mismatch: expected 3 bytes, got 2", excusable=False)

    monkeypatch.setitem(ACTIONS, "download_blob", download)
    step = (
        "  - type: download_blob\n    node: n-2\n    blob_id: {blob}\n    expected_failure: true\n"
    )
    results, _, _ = run(tmp_path, step.format(blob="missing") + step.format(blob="short"))
    assert [r.ok for r in results] == [True, False]
    assert "size mismatch" in results[1].detail
