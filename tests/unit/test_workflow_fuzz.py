"""The fuzz step: its seeded plan, and the calls it issues (fake nodes record them)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, cast

import pytest

from calimero_devnet.cluster.status import NodeRef
from calimero_devnet.errors import FunctionCallError
from calimero_devnet.workflows import actions_fuzz, actions_waits
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.fuzz_plan import FuzzCall, FuzzCut, FuzzHeal, plan_fuzz
from calimero_devnet.workflows.results import StepFailed, StepResult

NODES = ["n-1", "n-2", "n-3"]
KEYS = ["a", "b", "c"]
METHODS: list[dict[str, Any]] = [
    {"method": "set", "weight": 3,
     "args": {"key": {"one_of": KEYS}, "value": {"text": 5}, "n": {"int": [1, 3]}}},
    {"method": "remove", "args": {"key": {"one_of": KEYS}, "fixed": [1, {"x": "y"}]}},
]  # fmt: skip


def calls_of(events: list[Any]) -> list[FuzzCall]:
    return [event for event in events if isinstance(event, FuzzCall)]


def test_one_seed_plans_one_sequence_and_another_seed_another() -> None:
    first = plan_fuzz(METHODS, NODES, calls=50, seed=5, partitions=2)
    assert first == plan_fuzz(METHODS, NODES, calls=50, seed=5, partitions=2)
    assert calls_of(first) != calls_of(plan_fuzz(METHODS, NODES, calls=50, seed=6, partitions=2))


def test_random_values_stay_in_their_ranges_and_literals_stay_as_they_are() -> None:
    calls = calls_of(plan_fuzz(METHODS, NODES, calls=200, seed=1))
    assert [call.number for call in calls] == list(range(1, 201))
    sets = [call.args for call in calls if call.method == "set"]
    removes = [call.args for call in calls if call.method == "remove"]
    assert all(a["key"] in KEYS and len(a["value"]) == 5 and 1 <= a["n"] <= 3 for a in sets)
    assert {a["n"] for a in sets} == {1, 2, 3}
    assert all(a["fixed"] == [1, {"x": "y"}] for a in removes)
    assert len(sets) > 2 * len(removes)  # weight 3 to 1
    assert {call.node for call in calls} == set(NODES)


def test_each_cut_is_healed_later_and_splits_the_nodes_in_two() -> None:
    events = plan_fuzz(METHODS, NODES, calls=10, seed=3, partitions=2)
    cuts = [e for e in events if isinstance(e, FuzzCut)]
    heals = [e for e in events if isinstance(e, FuzzHeal)]
    assert len(cuts) == len(heals) == 2
    for cut, heal in zip(cuts, heals, strict=True):
        assert cut.before < heal.before <= 11
        assert sorted(cut.groups[0] + cut.groups[1]) == NODES
        assert all(cut.groups)
    order = [type(e).__name__ for e in events if not isinstance(e, FuzzCall)]
    assert order == ["FuzzCut", "FuzzHeal", "FuzzCut", "FuzzHeal"]


def test_more_partitions_than_the_calls_allow_are_capped() -> None:
    events = plan_fuzz(METHODS, NODES, calls=3, seed=3, partitions=10)
    assert sum(isinstance(e, FuzzCut) for e in events) == 2
    assert not any(isinstance(e, FuzzCut) for e in plan_fuzz(METHODS, ["solo"], calls=3,
                                                             seed=3, partitions=1))  # fmt: skip


class FakeClient:
    """Records the calls the fuzz step issues, in the order they arrive."""

    def __init__(self, name: str, log: list[tuple[str, str, Any]], failing: set[str]) -> None:
        self.name, self.log, self.failing = name, log, failing

    async def execute(self, cid: str, method: str, args: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        self.log.append((self.name, method, args))
        if method in self.failing:
            raise FunctionCallError(f"{method} refused")


class FakeCluster:
    """Three running nodes with recording clients; partitions are recorded too."""

    def __init__(self, data_dir: Path, failing: frozenset[str]) -> None:
        self.data_dir = data_dir
        self.issued: list[tuple[str, str, Any]] = []
        self.network: list[Any] = []
        self._clients = {name: FakeClient(name, self.issued, set(failing)) for name in NODES}

    def node(self, name: str) -> NodeRef:
        return NodeRef(name, f"http://{name}", 1, True)

    def refs(self) -> list[NodeRef]:
        return [self.node(name) for name in NODES]

    def clients(self) -> dict[str, FakeClient]:
        return self._clients

    async def partition(self, groups: list[list[str]]) -> None:
        self.network.append(groups)

    async def unpartition(self) -> None:
        self.network.append("heal")


@pytest.fixture
def converged(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The convergence checks the step asks for (each passes)."""
    asked: list[dict[str, Any]] = []

    async def wait_converged(ctx: Context, fields: dict[str, Any], _: StepResult) -> Any:
        asked.append(fields)
        return {"converged": True}

    monkeypatch.setattr(actions_waits, "wait_converged", wait_converged)
    return asked


def run_fuzz(tmp_path: Path, seed: int, **extra: Any) -> tuple[FakeCluster, dict[str, Any]]:
    folder = tmp_path / f"run-{seed}-{len(list(tmp_path.iterdir()))}"
    cluster = FakeCluster(folder, frozenset(extra.pop("failing", ())))
    ctx = Context(cast(Any, cluster), tmp_path, 5.0, say=lambda line: None)
    ctx.members["ctx-1"] = list(NODES)
    fields = {"context_id": "ctx-1", "methods": METHODS, "calls": 30, "seed": seed, **extra}
    response = asyncio.run(actions_fuzz.fuzz(ctx, fields, StepResult("4", "fuzz", "f", True, 0)))
    return cluster, response


def test_two_runs_with_one_seed_issue_identical_calls(
    tmp_path: Path, converged: list[dict[str, Any]]
) -> None:
    first, response = run_fuzz(tmp_path, 11, partitions=1)
    second, again = run_fuzz(tmp_path, 11, partitions=1)
    other, different = run_fuzz(tmp_path, 12, partitions=1)
    assert len(first.issued) == 30
    assert first.issued == second.issued
    assert first.network == second.network
    assert first.network[-1] == "heal"
    assert response["digest"] == again["digest"] != different["digest"]
    assert other.issued != first.issued
    assert [c["nodes"] for c in converged] == [NODES, NODES, NODES]


def test_the_log_holds_the_seed_and_every_call_issued(
    tmp_path: Path, converged: list[dict[str, Any]]
) -> None:
    cluster, response = run_fuzz(tmp_path, 4)
    lines = [json.loads(line) for line in Path(response["log"]).read_text().splitlines()]
    assert Path(response["log"]).name == "step-4.jsonl"
    assert lines[0] == {"seed": 4}
    assert [(e["node"], e["method"], e["args"]) for e in lines[1:]] == cluster.issued


def test_concurrent_calls_issue_the_same_calls(
    tmp_path: Path, converged: list[dict[str, Any]]
) -> None:
    one_by_one, _ = run_fuzz(tmp_path, 8)
    three_at_once, _ = run_fuzz(tmp_path, 8, concurrency=3)
    key = json.dumps
    assert sorted(map(key, three_at_once.issued)) == sorted(map(key, one_by_one.issued))


def test_a_failed_call_fails_the_step_unless_errors_are_allowed(
    tmp_path: Path, converged: list[dict[str, Any]]
) -> None:
    with pytest.raises(StepFailed, match=r"seed 2: \d+ call\(s\) failed: call \d+ remove"):
        run_fuzz(tmp_path, 2, failing={"remove"})
    assert converged == []
    cluster, response = run_fuzz(tmp_path, 2, failing={"remove"}, allow_errors=True)
    assert response["failed"] == sum(method == "remove" for _, method, _ in cluster.issued) > 0
    assert len(converged) == 1
