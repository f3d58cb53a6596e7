"""The workflow parser: each malformed file is one error naming the file, line and step."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.workflows.errors import WorkflowError
from calimero_devnet.workflows.parse import parse_workflow

HEAD = """\
name: test
nodes:
  count: 2
  prefix: n
steps:
"""
INSTALL = """\
  - name: Install
    type: install_application
    node: n-1
    path: ./app.wasm
    outputs:
      app_id: applicationId
"""


def write(tmp_path: Path, steps: str, head: str = HEAD) -> Path:
    (tmp_path / "app.wasm").write_bytes(b"\0asm")
    path = tmp_path / "flow.yml"
    path.write_text(head + steps)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_workflow(path, path.parent)
    return str(caught.value)


def test_a_good_file_parses_with_its_nodes_steps_and_notes(tmp_path: Path) -> None:
    path = write(tmp_path, INSTALL + """\
  - type: create_context
    node: n-1
    application_id: '{{app_id}}'
    service_name: ignored
    outputs:
      ctx: contextId
  - type: repeat
    count: 2
    steps:
      - type: call
        node: n-2
        context_id: '{{ctx}}'
        method: set
        args: {key: 'k{{iteration}}', value: v}
""", HEAD.replace("  prefix: n\n", "  prefix: n\n  image: merod:edge\n"))  # fmt: skip
    flow = parse_workflow(path, tmp_path)
    assert [n.name for n in flow.nodes] == ["n-1", "n-2"]
    assert [(s.where, s.kind, s.line) for s in flow.steps] == [
        ("1", "install_application", 7), ("2", "create_context", 13), ("3", "repeat", 19)
    ]  # fmt: skip
    assert [(s.where, s.kind) for s in flow.steps[2].steps] == [("3.1", "call")]
    assert flow.steps[0].outputs == {"app_id": "applicationId"}
    assert any("nodes.image (line 5)" in note for note in flow.notes)
    assert any("service_name (line 16)" in note for note in flow.notes)


def test_explicit_nodes_take_their_names_and_ports(tmp_path: Path) -> None:
    head = "name: t\nnodes:\n  alice:\n    rpc_port: 7001\n  bob:\nsteps:\n"
    flow = parse_workflow(write(tmp_path, "  - type: heal\n", head), tmp_path)
    assert [(n.name, n.rpc_port) for n in flow.nodes] == [("alice", 7001), ("bob", 0)]


@pytest.mark.parametrize(
    ("steps", "where", "problem"),
    [
        ("  - type: wait\n    seconds: 1\n    colour: red\n", ":8: step 1 (wait)",
         "unknown key 'colour'"),
        ("  - type: wiat\n    seconds: 1\n", ":6: step 1 (wiat)",
         "unknown step type 'wiat' (did you mean 'wait'?)"),
        ("  - name: Pause\n    type: stop_node\n", ":6: step 1 (stop_node 'Pause')",
         "'nodes' is required"),
        ("  - type: call\n    node: n-1\n    context_id: '{{nope}}'\n    method: get\n",
         ":8: step 1 (call)", "{{nope}} is not set by any earlier step's outputs"),
        ("  - type: stop_node\n    nodes: [n-1, n-9]\n", ":7: step 1 (stop_node)",
         "no node named 'n-9' (nodes: n-1, n-2)"),
        ("  - type: wait\n    seconds: soon\n", ":7: step 1 (wait)", "seconds: give a number"),
        ("  - type: wait\n    seconds: 1\n    expected_error: boom\n", ":8: step 1 (wait)",
         "expected_error needs expected_failure: true"),
        ("  - type: assert\n    statements:\n      - '1 =='\n", ":8: step 1 (assert)",
         "cannot read the statement '1 =='"),
        ("  - type: install_application\n    node: n-1\n    path: ./missing.wasm\n",
         ":8: step 1 (install_application)", "does not exist"),
        ("  - type: repeat\n    count: 2\n    steps:\n      - type: wait\n        secs: 1\n",
         ":10: step 1.1 (wait)", "unknown key 'secs'"),
    ],
)  # fmt: skip
def test_a_malformed_step_names_file_line_and_step(
    tmp_path: Path, steps: str, where: str, problem: str
) -> None:
    path = write(tmp_path, steps)
    message = error_of(path)
    assert message.startswith(f"{path}{where}: "), message
    assert problem in message


def test_a_placeholder_set_only_later_is_not_set_yet(tmp_path: Path) -> None:
    path = write(tmp_path, """\
  - type: assert
    statements: ['is_set({{app_id}})']
""" + INSTALL)  # fmt: skip
    assert "{{app_id}} is not set" in error_of(path)


def test_repeat_counters_exist_only_inside_the_repeat(tmp_path: Path) -> None:
    path = write(tmp_path, """\
  - type: repeat
    count: 1
    steps:
      - type: wait
        seconds: 0
        message: 'round {{iteration}}'
  - type: wait
    seconds: 0
    message: 'after {{iteration}}'
""")  # fmt: skip
    assert error_of(path).startswith(f"{path}:14: step 2 (wait): {{{{iteration}}}} is not set")


def test_every_unsupported_step_is_listed_before_anything_runs(tmp_path: Path) -> None:
    path = write(tmp_path, INSTALL + """\
  - type: create_namespace_invitation
    node: n-2
    outputs:
      key: invitation
  - type: call
    node: n-1
    context_id: x
    method: get
    executor_public_key: '{{key}}'
  - type: delete_blob_on_disk
    node: n-1
    blob_id: x
  - type: install_application
    node: n-1
    package: com.calimero.kv-store
    version: 1.0.0
""")  # fmt: skip
    message = error_of(path)
    assert message.startswith(f"{path}: uses steps devnet run does not support: ")
    assert "create_namespace_invitation at line 12 (step 2" in message
    assert "delete_blob_on_disk at line 21 (step 4" in message
    assert "install_application at line 24 (step 5: installs from a registry" in message


def test_an_mpk_bundle_is_reported_as_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path, "  - type: install_application\n    node: n-1\n    path: ./app.mpk\n")
    assert ".mpk bundles are not supported" in error_of(path)


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        ("name: t\nsteps: []\n", ":1: the workflow has no 'nodes'"),
        ("name: t\nnodes:\n  count: 0\n", ":3: nodes.count: give 1..64"),
        ("name: t\nnodes:\n  count: 1\n  prefx: a\n", ":4: unknown key 'nodes.prefx'"),
        ("name: t\nremote_nodes: {}\nnodes: {count: 1}\n", ":2: remote_nodes is not supported"),
        ("name: t\nnodes: {count: 1}\nsteps: [\n", ": not valid YAML"),
        ("name: t\nnodes: {count: 1}\nstpes: []\n", ":3: unknown key 'stpes'"),
        ("name: t\nnodes:\n  bad name: {}\n", ":3: node name 'bad name'"),
    ],
)
def test_a_malformed_file_names_file_and_line(tmp_path: Path, head: str, problem: str) -> None:
    path = tmp_path / "flow.yml"
    path.write_text(head)
    message = error_of(path)
    assert message.startswith(str(path)), message
    assert problem in message


def test_env_variables_expand_at_load_and_unset_ones_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WF_SECONDS", "2")
    path = write(
        tmp_path, "  - type: wait\n    seconds: ${WF_SECONDS}\n    message: ${WF_NONE:-x}\n"
    )
    assert parse_workflow(path, tmp_path).steps[0].fields["seconds"] == 2
    path.write_text(path.read_text().replace("${WF_NONE:-x}", "${WF_NONE}"))
    assert "line 8: ${WF_NONE} is not set" in error_of(path)


def test_a_step_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "  - wait\n"))
    assert isinstance(message, str)
    assert "step 1: give a mapping with a type" in message
    with pytest.raises(WorkflowError):
        parse_workflow(write(tmp_path, "  - seconds: 1\n"), tmp_path)


def test_keys_merobox_ignored_are_accepted_and_noted(tmp_path: Path) -> None:
    """As upstream's examples write them: a `wait` with `duration` and no `seconds`, a `call`
    with `timeout`, a `create_mesh` with `capability`; namespace steps set their variable."""
    path = write(tmp_path, INSTALL + """\
  - type: wait
    duration: 2
  - type: create_namespace
    node: n-1
    application_id: '{{app_id}}'
  - type: create_context
    node: n-1
    application_id: '{{app_id}}'
    group_id: '{{namespace_id_n-1}}'
  - type: create_mesh
    context_node: n-1
    application_id: '{{app_id}}'
    nodes: [n-2]
    capability: member
  - type: call
    node: n-2
    context_id: x
    method: get
    timeout: 60
""")  # fmt: skip
    flow = parse_workflow(path, tmp_path)
    assert [step.kind for step in flow.steps][1:3] == ["wait", "create_namespace"]
    assert "seconds" not in flow.steps[1].fields  # merobox's 5 s
    for key, line in (("duration", 13), ("capability", 25), ("timeout", 30)):
        assert any(f"{key} (line {line}): not applicable here" in note for note in flow.notes)
