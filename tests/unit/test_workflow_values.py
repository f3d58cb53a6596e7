"""Placeholders, ``outputs:`` capture and assertion statements (pure logic)."""

from __future__ import annotations

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.workflows.assertions import evaluate, is_subset
from calimero_devnet.workflows.outputs import OutputMissing, capture
from calimero_devnet.workflows.placeholders import Unresolved, expand_env, resolve

VALUES = {"ctx": "5Abc", "result": {"output": "world"}, "n": 3, "none": None}


def test_a_whole_placeholder_keeps_the_value_and_text_gets_its_text() -> None:
    assert resolve("{{result}}", VALUES) == {"output": "world"}
    assert resolve(" {{ n }} ", VALUES) == 3
    assert resolve("id {{ctx}} n={{n}} r={{result}}", VALUES) == (
        'id 5Abc n=3 r={"output": "world"}'
    )
    assert resolve({"args": ["k{{n}}", {"v": "{{ctx}}"}], "x": 1}, VALUES) == {
        "args": ["k3", {"v": "5Abc"}], "x": 1
    }  # fmt: skip


def test_an_unknown_placeholder_is_an_error_naming_it() -> None:
    with pytest.raises(Unresolved, match=r"\{\{missing\}\} is not set") as caught:
        resolve("a {{missing}}", VALUES)
    assert caught.value.name == "missing"


def test_env_expansion_with_defaults() -> None:
    env = {"IMAGE": "merod:edge"}
    assert expand_env("a: ${IMAGE}\nb: ${TAG:-latest}\n", env) == "a: merod:edge\nb: latest\n"
    with pytest.raises(ConfigError, match=r"line 2: \$\{TAG\} is not set"):
        expand_env("a: 1\nb: ${TAG}\n", env)


def test_outputs_follow_dotted_paths_the_long_form_and_node_names() -> None:
    response = {"result": {"output": {"items": ["a", "b"]}}, "raw": '{"x": {"y": 7}}'}
    outputs = {
        "whole": "result",
        "second": "result.output.items.1",
        "parsed": {"field": "raw", "json": True, "path": "x.y"},
        "seen_on_{node_name}": "result.output",
    }
    assert capture(outputs, response, "node-2") == {
        "whole": {"output": {"items": ["a", "b"]}}, "second": "b", "parsed": 7,
        "seen_on_node-2": {"items": ["a", "b"]},
    }  # fmt: skip


def test_a_field_the_response_lacks_fails_the_capture_unless_the_step_failed() -> None:
    with pytest.raises(OutputMissing, match=r"outputs.app: the response has no 'appId' "
                       r"\(it has: applicationId\)"):  # fmt: skip
        capture({"app": "appId"}, {"applicationId": "x"})
    assert capture({"app": "appId", "err": "error"}, {"error": "boom"}, failed=True) == {
        "err": "boom"
    }
    assert capture({"nothing": "value"}, {"value": None}) == {"nothing": None}  # null binds


@pytest.mark.parametrize(
    "statement",
    [
        "is_set({{ctx}})",
        "{{ctx}} != ''",
        "{{n}} >= 2 and {{n}} < 4",
        "contains({{result}}, 'world')",
        "not_contains({{ctx}}, 'zzz')",
        'json_equal({{result}}, {"output": "world"})',
        'json_subset({{result}}, {"output": "world"})',
        "equal({{none}}, null)",
        "is_empty('')",
        "is_empty([])",
        "regex({{ctx}}, '^5[A-Za-z]+$')",
        "not is_set({{none}})",
    ],
)
def test_true_statements_hold(statement: str) -> None:
    assert evaluate(statement, VALUES).ok


def test_a_false_statement_says_what_it_compared() -> None:
    verdict = evaluate('json_equal({{result}}, {"output": "red"})', VALUES)
    assert not verdict.ok
    assert verdict.detail == 'false with result = {"output": "world"}'


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        ("is_set({{nope}})", "{{nope}} not set"),
        ("open('/etc/passwd')", "unknown helper open()"),
        ("{{ctx}}.upper()", "cannot evaluate"),
        ("is_set(world)", "unknown name 'world': quote text"),
    ],
)
def test_what_cannot_be_evaluated_fails_with_a_reason(statement: str, detail: str) -> None:
    verdict = evaluate(statement, VALUES)
    assert not verdict.ok
    assert detail in verdict.detail


def test_subset_is_deep_and_reads_json_text() -> None:
    assert is_subset({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 1}})
    assert is_subset('{"a": [1, 2]}', {"a": [1, 2]})
    assert not is_subset({"a": {"b": 1}}, {"a": {"b": 2}})
    assert not is_subset("text", {"a": 1})
