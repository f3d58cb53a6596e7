"""Provides tests of the module contract (HOST-ABI §1): loading, methods, the cache."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from calimero_devnet.errors import InvalidModule, MethodNotFound
from calimero_devnet.node.runtime import Runtime, precompile
from tests.fixtures import load_wat
from tests.node.host_abi_helpers import compile_wat, make_env, module_with, probe, run


@pytest.mark.parametrize(
    ("wasm", "fragment"),
    [
        (b"hello world", "not a WebAssembly module"),
        (b"", "not a WebAssembly module"),
        (b"\0asm\x0d\x00\x01\x00", "unsupported WebAssembly binary version"),
        (b"\0asm\x01\x00\x00\x00\x01\xff", "invalid WebAssembly module"),
    ],
)
def test_bytes_that_are_not_a_core_module_are_rejected(wasm: bytes, fragment: str) -> None:
    with pytest.raises(InvalidModule, match=fragment):
        probe()[0].load(wasm)


def test_a_refused_module_is_never_quoted() -> None:
    # A client may point the node at any file or URL: its bytes must not come back.
    with pytest.raises(InvalidModule) as refused:
        probe()[0].load(b"daemon:*:19000:0:99999:7:::")
    assert "daemon" not in str(refused.value)


@pytest.mark.parametrize(
    ("wat", "fragment"),
    [
        ('(module (import "env" "memory" (memory 1)) (func (export "m")))', "imports a memory"),
        (
            '(module (import "env" "g" (global i32)) (memory (export "memory") 1))',
            "env.g, which is not a function",
        ),
        ('(module (memory (export "memory") 1) (func (export "_start")))', "exports `_start`"),
        ('(module (memory 1) (func (export "m")))', "does not export its linear memory"),
    ],
)
def test_modules_that_break_the_contract_are_rejected(wat: str, fragment: str) -> None:
    with pytest.raises(InvalidModule, match=fragment):
        probe()[0].load(compile_wat(wat))


def test_methods_are_the_unit_function_exports_with_valid_names() -> None:
    wasm = module_with(
        '(func (export "b_method")) (func (export "a_method")) (func (export "bad-name"))'
        ' (func (export "with_result") (result i32) i32.const 0)'
        ' (func (export "__calimero_register_merge")) (func (export "__calimero_sync_next"))'
        ' (global (export "a_global") i32 (i32.const 0))'
    )
    app = Runtime(None).load(wasm)
    assert app.methods == ("a_method", "b_method")
    assert app.has_sync_next
    assert app.has_register_merge
    assert app.abi is None
    assert app.app_id == hashlib.sha256(wasm).digest()


def test_the_abi_custom_section_is_exposed() -> None:
    wasm = module_with('(@custom "calimero_abi_v1" "{\\"methods\\":[]}") (func (export "m"))')
    app = Runtime(None).load(wasm)
    assert app.abi == b'{"methods":[]}'
    assert not app.has_sync_next


def test_loading_the_same_bytes_twice_returns_the_same_app() -> None:
    runtime, app = probe()
    assert runtime.load(load_wat("probe")) is app


def test_an_unknown_method_lists_the_methods() -> None:
    with pytest.raises(MethodNotFound, match="no method `nope`") as caught:
        run("nope")
    assert "echo, ed_short_sig" in str(caught.value)


def test_a_non_unit_export_is_not_a_method_and_says_why() -> None:
    with pytest.raises(MethodNotFound, match=r"exported with type \(-> i32\)"):
        run("get_abi")
    with pytest.raises(MethodNotFound, match="no method `a_global`"):
        run("a_global")


def test_sync_next_is_callable_but_other_reserved_exports_are_not() -> None:
    assert run("__calimero_sync_next", b"artifact").returned == b"artifact"
    wasm = module_with('(func (export "__calimero_register_merge")) (func (export "m"))')
    runtime = Runtime(None)
    with pytest.raises(MethodNotFound, match="reserved for the host"):
        runtime.call(runtime.load(wasm), "__calimero_register_merge", b"", make_env())


def test_a_second_runtime_loads_the_compiled_module_from_disk(tmp_path: Path) -> None:
    wasm = load_wat("kv_store")
    first = Runtime(tmp_path)
    first.load(wasm)
    assert first.cache.last_source == "compiled"
    second = Runtime(tmp_path)
    app = second.load(wasm)
    assert second.cache.last_source == "disk"
    env = make_env()
    assert second.call(app, "init", b"{}", env).committed


def test_a_module_from_disk_is_mapped_from_the_cache_file_not_copied(tmp_path: Path) -> None:
    # Mapped, its code pages are shared by every node using the file (~6 MiB each).
    wasm = load_wat("kv_store")
    assert precompile(wasm, tmp_path) is True
    node = Runtime(tmp_path)
    app = node.load(wasm)
    assert node.cache.last_source == "disk"
    path = node.cache.path(app.app_id)
    assert path is not None
    assert str(path) in Path("/proc/self/maps").read_text()
    assert node.call(app, "init", b"{}", make_env()).committed


def test_precompile_fills_the_cache_once_for_every_runtime_sharing_it(tmp_path: Path) -> None:
    wasm = load_wat("kv_store")
    assert precompile(wasm, tmp_path) is True
    assert precompile(wasm, tmp_path) is False
    node = Runtime(tmp_path)
    app = node.load(wasm)
    assert node.cache.last_source == "disk"
    assert node.call(app, "init", b"{}", make_env()).committed


def test_precompile_refuses_bytes_that_are_not_a_module(tmp_path: Path) -> None:
    with pytest.raises(InvalidModule, match="not a WebAssembly module"):
        precompile(b"hello", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_corrupted_cache_file_is_recompiled_and_replaced(tmp_path: Path) -> None:
    wasm = load_wat("kv_store")
    runtime = Runtime(tmp_path)
    app = runtime.load(wasm)
    path = runtime.cache.path(app.app_id)
    assert path is not None
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    again = Runtime(tmp_path)
    app = again.load(wasm)
    assert again.cache.last_source == "compiled"
    assert again.call(app, "len", b"{}", make_env()).returned == b"0"
    third = Runtime(tmp_path)
    third.load(wasm)
    assert third.cache.last_source == "disk"


def test_a_truncated_cache_file_is_recompiled(tmp_path: Path) -> None:
    wasm = load_wat("kv_store")
    runtime = Runtime(tmp_path)
    path = runtime.cache.path(runtime.load(wasm).app_id)
    assert path is not None
    path.write_bytes(path.read_bytes()[:10])
    again = Runtime(tmp_path)
    again.load(wasm)
    assert again.cache.last_source == "compiled"


def test_the_cache_key_names_the_app_and_the_engine(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path)
    app = runtime.load(load_wat("kv_store"))
    path = runtime.cache.path(app.app_id)
    assert path is not None
    assert path.name.startswith(app.app_id.hex() + "-")
    assert path.suffix == ".cwasm"


def test_calls_from_two_threads_keep_their_own_state() -> None:
    runtime, app = probe()
    results: dict[int, list[bytes | None]] = {}

    def worker(index: int) -> None:
        payload = str(index).encode() * 100
        results[index] = [
            runtime.call(app, "echo", payload, make_env()).returned for _ in range(50)
        ]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(2):
        assert results[index] == [str(index).encode() * 100] * 50
