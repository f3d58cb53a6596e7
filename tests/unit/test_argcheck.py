"""The ABI argument check: upstream's binding rules, then each bound value against its type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calimero_devnet.errors import InvalidArgs
from calimero_devnet.node.state.argcheck import Param, check_args, manifest_methods

KEY = Param("key", "string", False)
VALUE = Param("value", "string", False)
SET = (KEY, VALUE)


@pytest.mark.parametrize(
    ("params", "data"),
    [
        (SET, {"key": "a", "value": "1"}),
        (SET, ["a", "1"]),
        ((KEY,), {"key": "a"}),
        ((KEY,), "a"),  # one parameter: any other value is passed whole
        ((Param("n", "u64", False),), {"n": "18446744073709551615"}),
        ((Param("n", "u64", False),), {"n": 5}),
        ((Param("n", "number", False),), {"n": 1.5}),
        ((Param("on", "boolean", False),), {"on": True}),
        ((Param("v", "string | null", False),), {"v": None}),
        ((Param("v", "string", True),), {}),  # no arguments: an optional first one is unset
        ((Param("v", "string", True), VALUE), {"value": "x", "v": None}),
        ((Param("p", "Payload", False),), {"anything": [1]}),  # a named type: not judged
        # no key names a parameter: the whole object goes to the first (upstream's rule)
        ((Param("p", "Payload", False), Param("n", "number", True)), {"x": 1}),
        ((Param("p", "Record<string, number>", False),), {"a": "b"}),
        ((Param("mode", "'fast' | 'slow'", False),), {"mode": "fast"}),
        ((), {"ignored": 1}),
    ],
)
def test_fitting_arguments_pass(params: tuple[Param, ...], data: Any) -> None:
    check_args("m", params, data)


@pytest.mark.parametrize(
    ("params", "data", "expected"),
    [
        (SET, {"kye": "a", "vaule": "1"}, "'key' (string) must be a string, got an object"),
        (SET, {}, "argument 'key' (string) must be a string, got an object {}"),
        ((KEY,), {"key": 5}, "argument 'key' (string) must be a string, got a number 5"),
        (SET, {"key": "a"}, "argument 'value' (string) is missing"),
        (SET, ["a"], "argument 'value' (string) is missing"),
        ((Param("n", "u64", False),), {"n": "1.5"}, "must be a u64, got a string"),
        ((Param("n", "u64", False),), {"n": -1}, "must be a u64, got a number -1"),
        ((Param("n", "u64", False),), {"n": str(2**64)}, "must be a u64, got a string"),
        ((Param("n", "i64", False),), {"n": 2.5}, "must be an i64, got a number 2.5"),
        ((Param("n", "number", False),), {"n": True}, "must be a number, got a boolean true"),
        ((Param("v", "string", False),), {"v": None}, "must be a string, got null"),
        ((Param("mode", "'fast' | 'slow'", False),), {"mode": "x"}, 'got a string "x"'),
    ],
)
def test_misfits_name_the_parameter_and_type(
    params: tuple[Param, ...], data: Any, expected: str
) -> None:
    with pytest.raises(InvalidArgs) as caught:
        check_args("set", params, data)
    assert expected in str(caught.value)
    assert caught.value.type_name == "InvalidArgs"


def test_a_whole_object_binding_says_no_key_named_a_parameter() -> None:
    with pytest.raises(InvalidArgs, match=r"no key of the call names a parameter of "
                       r"set\(key: string, value: string\)"):  # fmt: skip
        check_args("set", SET, {"kye": "a", "vaule": "1"})


def test_the_manifest_is_read_from_its_json_and_a_damaged_one_checks_nothing() -> None:
    abi = {"methods": [{"name": "get", "params": [{"name": "key", "type": "string"}]}]}
    assert manifest_methods(json.dumps(abi).encode()) == {"get": (KEY,)}
    assert manifest_methods(b"\xff not json") is None
    assert manifest_methods(b'{"methods": [{"params": []}]}') is None
