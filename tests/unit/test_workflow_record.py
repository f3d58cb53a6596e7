"""A session recorded by the UI becomes a workflow our own strict parser accepts, in order."""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.record import AppSetup, ContextSetup, Recorder, Setup, workflow_text

NODES = ("node-1", "node-2", "node-3")
SETUP = Setup(
    NODES,
    (AppSetup("kv-store", "templates/kv-store"), AppSetup("unused", "templates/counter")),
    (ContextSetup("kv-store", "kv-store", NODES),),
)
REPO = Path(__file__).resolve().parents[2]
WROTE = {"output": None, "trace": {"delta": "d1"}}


def session() -> Recorder:
    recorder = Recorder()
    recorder.call("node-1", "kv-store", "set", {"key": "a", "value": "1"},
                  converged=True, result=WROTE)  # fmt: skip
    recorder.partition([["node-1", "node-2"], ["node-3"]], converged=True)
    recorder.link_fault("node-1", "node-2", 80, 10, both=False, converged=False)
    recorder.call("node-3", "kv-store", "get", {"key": "a"}, converged=False,
                  result={"output": "1", "trace": {"delta": None}})  # fmt: skip
    recorder.call("node-3", "kv-store", "set", {"key": ""}, converged=False, error="empty key")
    recorder.heal(converged=False)
    recorder.node_action("restart", "node-2", converged=False)
    recorder.node_action("reset", "kv-store", converged=True)
    recorder.finish(converged=True)
    return recorder


def test_the_steps_come_in_order_with_waits_where_the_user_saw_convergence() -> None:
    kinds = [step["type"] for step in session().steps]
    assert kinds == [
        "call", "wait_converged", "partition", "latency", "loss", "call", "json_assert", "call",
        "heal",
        "restart", "wait_converged",
    ]  # fmt: skip


def test_a_read_is_checked_and_a_failed_call_expected_to_fail() -> None:
    steps = session().steps
    assert steps[5]["outputs"] == {"read_1": "result"}
    assert steps[6]["statements"] == ['json_equal({{read_1}}, {"output": "1"})']
    assert steps[7]["expected_failure"] is True


def test_a_link_fault_is_a_latency_and_a_loss_step_on_the_same_links() -> None:
    latency, loss = session().steps[3:5]
    assert (latency["from"], latency["to"], latency["ms"]) == ("node-1", "node-2", 80)
    assert (loss["from"], loss["to"], loss["percent"]) == ("node-1", "node-2", 10)
    recorder = Recorder()
    recorder.link_fault("node-1", "node-3", 0, 0, both=True, converged=False)
    assert [step["nodes"] for step in recorder.steps] == [["node-1", "node-3"]] * 2


def test_the_file_parses_strictly_and_sets_up_only_what_the_steps_use(tmp_path: Path) -> None:
    text = workflow_text(session(), SETUP, "my session")
    assert "# not recorded (no step replays it):" in text
    assert "reset kv-store" in text
    (tmp_path / "session.yml").write_text(text)
    (tmp_path / "templates").symlink_to(REPO / "templates")
    workflow = parse_workflow(Path("session.yml"), tmp_path)
    assert [n.name for n in workflow.nodes] == list(NODES)
    kinds = [step.kind for step in workflow.steps]
    assert kinds[:2] == ["install_application", "create_mesh"]  # the counter app is left out
    assert workflow.steps[1].fields["nodes"] == ["node-2", "node-3"]
    assert workflow.steps[2].fields["context_id"] == "{{context_kv_store}}"


def test_names_not_numbered_are_declared_one_by_one(tmp_path: Path) -> None:
    setup = Setup(
        ("alice", "bob"), SETUP.apps, (ContextSetup("kv-store", "kv-store", ("bob", "alice")),)
    )
    recorder = Recorder()
    recorder.call(
        "alice", "kv-store", "set", {"key": "a", "value": "1"}, converged=True, result=WROTE
    )
    (tmp_path / "s.yml").write_text(workflow_text(recorder, setup, "two"))
    (tmp_path / "templates").symlink_to(REPO / "templates")
    workflow = parse_workflow(Path("s.yml"), tmp_path)
    assert [n.name for n in workflow.nodes] == ["alice", "bob"]
    assert workflow.steps[0].fields["node"] == "bob"  # the context's creator installs


def test_a_snapshot_and_its_restore_are_steps_and_an_older_snapshot_is_not(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    recorder.restore("from-yesterday", converged=True)
    recorder.snapshot("known", converged=True)
    recorder.call("node-1", "kv-store", "set", {"key": "a", "value": "1"},
                  converged=True, result=WROTE)  # fmt: skip
    recorder.restore("known", converged=False)
    assert [(s["type"], s.get("snapshot")) for s in recorder.steps] == [
        ("snapshot", "known"),
        ("call", None),
        ("restore", "known"),
    ]
    assert "restore from-yesterday (a snapshot from before the session)" in recorder.skipped[0]
    (tmp_path / "session.yml").write_text(workflow_text(recorder, SETUP, "snapshots"))
    (tmp_path / "templates").symlink_to(REPO / "templates")
    kinds = [step.kind for step in parse_workflow(Path("session.yml"), tmp_path).steps]
    assert kinds[-3:] == ["snapshot", "call", "restore"]
