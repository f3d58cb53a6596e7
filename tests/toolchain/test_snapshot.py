"""The build-time VM snapshot (``build_app(snapshot=True)``, wizer): same behaviour as a
fresh VM per call, far less fuel, and a clear build error for a top level that needs the
host."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
import wasmtime

from calimero_devnet.errors import FunctionCallError, ToolchainError
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.runtime import LoadedApp, Runtime
from calimero_devnet.templates import template_dir
from calimero_devnet.toolchain import BuildResult, build_app, link
from calimero_devnet.toolchain.build import FALLBACK_NOTE
from calimero_devnet.toolchain.link import TOP_LEVEL_TRAPPED
from calimero_devnet.toolchain.wasmdata import merge_data_segments
from tests.toolchain.test_build_integration import ALLOWED_WASI, APPS, NOW_NS, env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, BuildResult]:
    app = tmp_path_factory.mktemp("apps") / "smoke"
    shutil.copytree(APPS / "smoke", app)
    return {snap: build_app(app, out_dir=app / f"build-{snap}", snapshot=snap)
            for snap in (False, True)}  # fmt: skip


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(None, extra_imports=COLLECTION_IMPORTS)


@pytest.fixture(scope="module")
def apps(builds: dict[bool, BuildResult], runtime: Runtime) -> dict[bool, LoadedApp]:
    return {snap: runtime.load(b.wasm_path.read_bytes()) for snap, b in builds.items()}


def test_snapshot_keeps_the_module_contract(builds: dict[bool, BuildResult]) -> None:
    fresh = wasmtime.Module.from_file(wasmtime.Engine(), str(builds[False].wasm_path))
    snap = wasmtime.Module.from_file(wasmtime.Engine(), str(builds[True].wasm_path))
    for imp in snap.imports:
        assert imp.module == "env" or (
            imp.module == "wasi_snapshot_preview1" and imp.name in ALLOWED_WASI
        ), f"{imp.module}.{imp.name}"
    assert {e.name for e in snap.exports} == {e.name for e in fresh.exports}  # no init export
    assert builds[True].manifest == builds[False].manifest


def test_snapshot_calls_behave_like_fresh_vm_calls(
    apps: dict[bool, LoadedApp], runtime: Runtime
) -> None:
    for method, args in (("hello", b'{"name": "bob"}'), ("greet", b'{"name": "a", "times": 2}'),
                         ("clock", b"{}")):  # fmt: skip
        fresh = runtime.call(apps[False], method, args, env())
        snap = runtime.call(apps[True], method, args, env())
        assert (snap.returned, snap.logs) == (fresh.returned, fresh.logs)
        assert snap.fuel_used < fresh.fuel_used / 2
    now_ms, rand = json.loads(runtime.call(apps[True], "clock", b"{}", env()).returned or b"0")
    assert now_ms == NOW_NS // 1_000_000  # read at call time, not at build time
    assert rand == (struct.unpack("<Q", bytes(range(8)))[0] >> 11) * 2.0**-53


def test_snapshot_calls_are_isolated(apps: dict[bool, LoadedApp], runtime: Runtime) -> None:
    with pytest.raises(FunctionCallError, match="failed on purpose"):
        runtime.call(apps[True], "fail", b'{"reason": "x"}', env())
    out = runtime.call(apps[True], "hello", b'{"name": "bob"}', env())
    assert out.returned == b'"hello, bob"'


def test_the_template_builds_with_the_snapshot_within_the_size_budget(tmp_path: Path) -> None:
    app = tmp_path / "kv-store"
    shutil.copytree(template_dir("kv-store"), app, ignore=shutil.ignore_patterns("build"))
    built = build_app(app)
    assert built.snapshot and built.notes == ()
    assert built.size <= 700_000


def test_a_top_level_that_needs_the_host_falls_back_to_a_fresh_vm(
    tmp_path: Path, runtime: Runtime
) -> None:
    app = tmp_path / "smoke"
    shutil.copytree(APPS / "smoke", app)
    entry = app / "src" / "index.ts"
    entry.write_text("const STARTED = Date.now();\n" + entry.read_text()
                     + "\nexport const started = STARTED;\n")  # fmt: skip
    said: list[str] = []
    built = build_app(app, progress=said.append)  # the fresh VM reads the host clock then
    note = FALLBACK_NOTE.format(reason=TOP_LEVEL_TRAPPED)
    assert (built.snapshot, built.notes, said[-1:]) == (False, (note,), [note])
    loaded = runtime.load(built.wasm_path.read_bytes())
    assert "wizer.initialize" not in loaded.exports
    assert runtime.call(loaded, "hello", b'{"name": "bob"}', env()).returned == b'"hello, bob"'
    with pytest.raises(ToolchainError, match="wizer"):
        build_app(app, snapshot=True)  # asked for: no fallback


def _segment(offset: int, data: bytes) -> bytes:
    assert offset < 64 and len(data) < 128
    return b"\x00\x41" + bytes([offset]) + b"\x0b" + bytes([len(data)]) + data


def test_merge_data_segments_joins_close_segments() -> None:
    body = b"\x03" + _segment(0, b"ab") + _segment(4, b"cd") + _segment(40, b"ef")
    wasm = b"\x00asm\x01\x00\x00\x00" + b"\x0b" + bytes([len(body)]) + body
    merged = merge_data_segments(wasm)
    new = b"\x02" + _segment(0, b"ab\x00\x00cd") + _segment(40, b"ef")
    assert merged == b"\x00asm\x01\x00\x00\x00" + b"\x0b" + bytes([len(new)]) + new


def test_a_snapshot_failure_gives_wizers_own_reason_unless_the_host_was_called() -> None:
    head = "snapshotting the VM with wizer (…) failed (exit 1): wizer app.wasm -o out.wasm"
    host = f"{head}\n\nCaused by:\n    \n    {link.IMPORT_CALLED}.\n\nStack backtrace:\n  0: x"
    assert link._why_wizer_failed(host) == TOP_LEVEL_TRAPPED
    other = f"{head}\n\nCaused by:\n    out of memory\n\nStack backtrace:\n  0: x"
    assert link._why_wizer_failed(other).startswith("wizer failed (out of memory)")
    assert "no output" in link._why_wizer_failed(head)
