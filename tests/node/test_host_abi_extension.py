"""Provides tests of HostImport, the way later modules add host functions."""

from __future__ import annotations

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.runtime import CallState, HostImport, Runtime, host_import
from calimero_devnet.node.runtime.hostimport import parse_signature
from tests.node.host_abi_helpers import make_env, module_with


@host_import("add_u64", "i64 i64 -> i64")
def add_u64(call: CallState, a: int, b: int) -> int:
    return a + b  # args arrive unsigned; the result wraps to 64 bits


@host_import("stash", "i64 -> i32")
def stash(call: CallState, desc: int) -> int:
    items = call.data.setdefault("stash", [])
    assert isinstance(items, list)
    items.append(call.read_buffer(desc, what="stash item"))
    call.on_finish("stash", lambda done: done.log(f"stashed {len(items)}"))
    sink = call.env.extensions["sink"]
    assert isinstance(sink, list)
    sink.append(items[-1])
    return len(items)


@host_import("refuse", "->")
def refuse(call: CallState) -> None:
    call.trap("refused: the extension says no")


@host_import("buggy", "->")
def buggy(call: CallState) -> None:
    raise KeyError("missing")


@host_import("ping", "-> i32", module="js")
def ping(call: CallState) -> int:
    return 7


APP = module_with(
    """
    (data (i32.const 0) "\\10\\00\\00\\00\\00\\00\\00\\00\\02\\00\\00\\00\\00\\00\\00\\00hi")
    (func (export "add")
      (i64.store (i32.const 64) (call $add (i64.const -1) (i64.const 2)))
      (call $ret (i32.const 64) (i32.const 8)))
    (func (export "stash_twice")
      (i32.store (i32.const 64) (call $stash (i64.const 0)))
      (i32.store (i32.const 68) (call $stash (i64.const 0)))
      (i32.store (i32.const 72) (call $ping))
      (call $ret (i32.const 64) (i32.const 12)))
    (func (export "refuse") (call $refuse))
    (func (export "buggy") (call $buggy))
    (func $ret (param $p i32) (param $l i32)
      (i64.store (i32.const 96) (i64.const 0))
      (i64.store (i32.const 104) (i64.extend_i32_u (local.get $p)))
      (i64.store (i32.const 112) (i64.extend_i32_u (local.get $l)))
      (call $value_return (i64.const 96)))
    """,
    imports="""
    (import "env" "add_u64" (func $add (param i64 i64) (result i64)))
    (import "env" "stash" (func $stash (param i64) (result i32)))
    (import "env" "refuse" (func $refuse))
    (import "env" "buggy" (func $buggy))
    (import "js" "ping" (func $ping (result i32)))
    (import "env" "value_return" (func $value_return (param i64)))
    """,
)


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(None, extra_imports=[add_u64, stash, refuse, buggy, ping])


def test_args_arrive_unsigned_and_results_wrap(runtime: Runtime) -> None:
    outcome = runtime.call(runtime.load(APP), "add", b"", make_env())
    assert outcome.returned == (1).to_bytes(8, "little")  # 2**64 - 1 + 2 wraps to 1


def test_an_extension_sees_memory_call_data_env_extensions_and_finish_hooks(
    runtime: Runtime,
) -> None:
    env = make_env()
    sink: list[bytes] = []
    env.extensions["sink"] = sink
    outcome = runtime.call(runtime.load(APP), "stash_twice", b"", env)
    assert outcome.returned == b"\x01\x00\x00\x00\x02\x00\x00\x00\x07\x00\x00\x00"
    assert sink == [b"hi", b"hi"]
    assert outcome.logs == ["stashed 2"]


def test_an_extension_traps_with_its_own_message(runtime: Runtime) -> None:
    with pytest.raises(FunctionCallError, match=r"^refused: the extension says no$"):
        runtime.call(runtime.load(APP), "refuse", b"", make_env())


def test_an_extension_bug_becomes_a_trap_naming_it(runtime: Runtime) -> None:
    with pytest.raises(FunctionCallError, match=r"host function env.buggy failed: KeyError"):
        runtime.call(runtime.load(APP), "buggy", b"", make_env())


def test_without_the_extension_its_imports_trap_only_when_called() -> None:
    plain = Runtime(None)
    app = plain.load(APP)
    with pytest.raises(FunctionCallError, match=r"the app called env\.add_u64"):
        plain.call(app, "add", b"", make_env())


def test_an_import_cannot_be_defined_twice() -> None:
    clash = HostImport("log_utf8", "i64 ->", lambda call, desc: None)
    with pytest.raises(ValueError, match=r"env.log_utf8 is defined twice"):
        Runtime(None, extra_imports=[clash])


@pytest.mark.parametrize("signature", ["i64 i64", "f32 -> i32", "-> i32 i32", "i65 ->"])
def test_bad_signatures_are_rejected(signature: str) -> None:
    with pytest.raises(ValueError, match="bad host signature"):
        parse_signature(signature)


def test_signatures_are_normalised() -> None:
    assert HostImport("x", " i64   i32->i64 ", lambda *a: 0).canonical == "i64 i32 -> i64"
    assert HostImport("y", "->", lambda call: None).canonical == "->"
    assert HostImport("z", "i64 ->", lambda *a: None).func_type().params[0].__str__() == "i64"


def test_an_interrupt_inside_a_host_function_reaches_the_caller() -> None:
    def interrupt(call: CallState) -> None:
        raise KeyboardInterrupt

    runtime = Runtime(None, extra_imports=[HostImport("refuse", "->", interrupt)])
    with pytest.raises(KeyboardInterrupt):
        runtime.call(runtime.load(APP), "refuse", b"", make_env())
