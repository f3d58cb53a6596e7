"""Provides tests that every failed call is a clean FunctionCallError (HOST-ABI §5, §7)."""

from __future__ import annotations

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.runtime import Limits, Runtime
from tests.node.host_abi_helpers import compile_wat, fails, make_env, module_with, run

MiB = 1024 * 1024


def test_a_panic_reports_message_and_location() -> None:
    error = fails("panic_msg")
    assert str(error) == "guest panicked: boom at src/lib.rs:7:9"
    assert error.kind == "panic"
    assert error.to_json() == {
        "type": "FunctionCallError",
        "data": "guest panicked: boom at src/lib.rs:7:9",
    }


def test_a_panic_without_message_reports_its_location() -> None:
    assert str(fails("panic_plain")) == "guest panicked: explicit panic at src/lib.rs:7:9"


def test_unreachable_is_explained() -> None:
    error = fails("abort")
    assert str(error).startswith("the app executed `unreachable`")
    assert error.kind == "trap"


def test_an_infinite_loop_runs_out_of_fuel() -> None:
    error = fails("spin", limits=Limits(fuel=100_000))
    expected = "ran out of fuel after 100000 units: the method loops or does too much work"
    assert str(error) == expected
    assert error.kind == "fuel"


def test_a_runaway_memory_grow_hits_the_cap() -> None:
    error = fails("grow", limits=Limits(memory_bytes=4 * MiB))
    assert str(error).startswith("the app ran out of memory")
    assert f"per-call cap of {4 * MiB} bytes" in str(error)
    assert error.kind == "memory"


def test_a_memory_minimum_above_the_cap_fails_at_instantiation_cleanly() -> None:
    runtime = Runtime(None, Limits(memory_bytes=MiB))
    app = runtime.load(compile_wat('(module (memory (export "memory") 17) (func (export "m")))'))
    with pytest.raises(FunctionCallError, match="could not instantiate the app") as caught:
        runtime.call(app, "m", b"", make_env())
    assert f"needs {17 * 65536} bytes of linear memory at start" in str(caught.value)


def test_a_start_function_that_traps_fails_at_instantiation_cleanly() -> None:
    runtime = Runtime(None)
    app = runtime.load(module_with('(func $boom unreachable) (start $boom) (func (export "m"))'))
    with pytest.raises(FunctionCallError, match="could not instantiate the app"):
        runtime.call(app, "m", b"", make_env())


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("oob_buffer", "out-of-bounds memory access: 100 bytes at address 65520"),
        ("oob_descriptor", "out-of-bounds memory access: 16 bytes at address 65528"),
        ("huge_pointer", "out-of-bounds memory access: 16 bytes at address 18446744073709551600"),
    ],
)
def test_out_of_bounds_pointers_trap(method: str, message: str) -> None:
    assert str(fails(method)).startswith(message)


def test_invalid_utf8_in_a_log_traps() -> None:
    assert str(fails("bad_utf8")).startswith("log line is not valid UTF-8")


def test_logs_are_limited_and_kept_on_failure() -> None:
    assert run("log_lines").logs == ["line"] * 3
    error = fails("log_lines", limits=Limits(max_log_lines=2))
    assert str(error) == "more than 2 log lines in one call"
    assert error.logs == ["line", "line"]
    assert fails("log_then_abort").logs == ["line"]


def test_an_unknown_import_links_and_traps_only_when_called() -> None:
    assert run("echo", b"fine").returned == b"fine"
    error = fails("unknown")
    assert str(error) == (
        "the app called env.not_a_host_function, which this devnet host does not implement"
    )


def test_an_import_of_the_wrong_type_traps_only_when_called() -> None:
    runtime = Runtime(None)
    wasm = module_with(
        '(func (export "old") (call $log (i64.const 0) (i64.const 0))) (func (export "ok"))',
        imports='(import "env" "log_utf8" (func $log (param i64 i64)))',
    )
    app = runtime.load(wasm)
    runtime.call(app, "ok", b"", make_env())
    with pytest.raises(FunctionCallError, match=r"imports env.log_utf8 as \(i64 i64 ->\)"):
        runtime.call(app, "old", b"", make_env())


def test_an_import_from_another_module_traps_only_when_called() -> None:
    runtime = Runtime(None)
    wasm = module_with('(func (export "m") (call $f))', imports='(import "other" "f" (func $f))')
    with pytest.raises(FunctionCallError, match=r"the app called other\.f"):
        runtime.call(runtime.load(wasm), "m", b"", make_env())


def test_a_failing_state_backend_becomes_a_trap_naming_the_import() -> None:
    class BrokenState:
        def get(self, key: bytes) -> bytes | None:
            raise OSError("disk on fire")

    env = make_env()
    env.state = BrokenState()
    error = fails("read_state", b"key", env=env)
    assert str(error) == "host function env.storage_read failed: OSError('disk on fire')"


REGISTER_MERGE_APP = """
(module
  (import "env" "log_utf8" (func $log (param i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\10\\00\\00\\00\\00\\00\\00\\00\\05\\00\\00\\00\\00\\00\\00\\00merge")
  (global $merged (mut i32) (i32.const 0))
  (func (export "__calimero_register_merge") (call $log (i64.const 0)) {merge})
  (func (export "m") (if (i32.eqz (global.get $merged)) (then unreachable))
    (loop $burn (br_if $burn (i32.lt_u (global.get $merged) (i32.const 1)))))
)
"""


@pytest.mark.parametrize(
    ("merge_body", "ok"),
    [
        ("(global.set $merged (i32.const 1))", True),
        ("(global.set $merged (i32.const 1)) unreachable", True),
        ("(global.set $merged (i32.const 1)) (loop $forever (br $forever))", True),
        ("unreachable", False),
    ],
)
def test_register_merge_runs_first_in_the_same_instance_and_its_failure_is_ignored(
    merge_body: str, ok: bool
) -> None:
    runtime = Runtime(None, Limits(fuel=50_000))
    app = runtime.load(compile_wat(REGISTER_MERGE_APP.replace("{merge}", merge_body)))
    assert app.has_register_merge
    if ok:
        outcome = runtime.call(app, "m", b"", make_env())
        assert outcome.logs == ["merge"]
        assert outcome.fuel_used > 0
    else:  # the method runs after a failed hook, and fails on its own
        with pytest.raises(FunctionCallError, match="unreachable"):
            runtime.call(app, "m", b"", make_env())


def test_a_looping_register_merge_does_not_starve_the_method() -> None:
    runtime = Runtime(None, Limits(fuel=50_000))
    body = "(global.set $merged (i32.const 1)) (loop $forever (br $forever))"
    app = runtime.load(compile_wat(REGISTER_MERGE_APP.replace("{merge}", body)))
    outcome = runtime.call(app, "m", b"", make_env())
    assert outcome.fuel_used > 50_000  # the hook's whole budget, plus the method's


def test_fuel_used_is_reported() -> None:
    assert run("echo").fuel_used > 0


def test_a_trap_with_memory_mostly_used_hints_at_allocation() -> None:
    runtime = Runtime(None, Limits(memory_bytes=4 * MiB))
    grow_fast = (
        '(func (export "m") (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16))'
        " (i32.const -1)))) unreachable)"
    )
    with pytest.raises(FunctionCallError, match="may have failed to allocate") as caught:
        runtime.call(runtime.load(module_with(grow_fast)), "m", b"", make_env())
    assert str(caught.value).startswith("the app executed `unreachable`")


def test_a_start_function_can_already_use_the_host() -> None:
    runtime = Runtime(None)
    wasm = module_with(
        '(data (i32.const 0) "\\10\\00\\00\\00\\00\\00\\00\\00\\02\\00\\00\\00\\00\\00\\00\\00hi")'
        ' (func $hello (call $log (i64.const 0))) (start $hello) (func (export "m"))',
        imports='(import "env" "log_utf8" (func $log (param i64)))',
    )
    assert runtime.call(runtime.load(wasm), "m", b"", make_env()).logs == ["hi"]
