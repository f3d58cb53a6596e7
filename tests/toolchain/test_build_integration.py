"""Builds real TypeScript apps with the real toolchain and runs them in the node runtime.

The first test on a fresh machine also runs the one-time steps (QuickJS, wasi-libc, npm:
about a minute on two cores), hence the longer timeout of this module.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
import wasmtime

from calimero_devnet.errors import FunctionCallError, ToolchainError
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS, EXTENSION
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.runtime import CallEnv, LoadedApp, Runtime
from calimero_devnet.testing.collections_node import SimNode
from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.cli import main
from calimero_devnet.toolchain.typecheck import typecheck_app

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

APPS = Path(__file__).parents[1] / "fixtures" / "apps"
ALLOWED_WASI = {"fd_write", "fd_close", "fd_seek", "fd_fdstat_get", "clock_time_get"}
NOW_NS = 1_700_000_000_123_456_789


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    app = tmp_path_factory.mktemp("apps") / "smoke"
    shutil.copytree(APPS / "smoke", app)
    return build_app(app)


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(None, extra_imports=COLLECTION_IMPORTS)  # the SDK keeps state on the host


@pytest.fixture(scope="module")
def loaded(smoke: BuildResult, runtime: Runtime) -> LoadedApp:
    return runtime.load(smoke.wasm_path.read_bytes())


def env() -> CallEnv:
    node = SimNode(0)
    session = CollectionsSession(Overlay(node.kv), node.executor, node.tick)
    return CallEnv(context_id=bytes(32), executor_id=node.executor, state=node.kv,
                   time_now=lambda: NOW_NS, random_bytes=lambda n: bytes(range(n)),
                   extensions={EXTENSION: session})  # fmt: skip


def test_module_fits_the_host_abi_contract(smoke: BuildResult) -> None:
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(smoke.wasm_path))
    for imp in module.imports:
        assert imp.module == "env" or (
            imp.module == "wasi_snapshot_preview1" and imp.name in ALLOWED_WASI
        ), f"{imp.module}.{imp.name}"
    exports = {e.name for e in module.exports}
    methods = {"hello", "greet", "ping", "clock", "fail", "init"}  # the SDK adds `init`
    assert exports == {"memory", "__calimero_sync_next", "__calimero_check_state", *methods}
    assert smoke.size <= 700 * 1024


def test_manifest_is_written_and_embedded(smoke: BuildResult, loaded: LoadedApp) -> None:
    assert json.loads(smoke.manifest_path.read_text()) == smoke.manifest
    assert loaded.abi is not None
    assert json.loads(loaded.abi) == smoke.manifest
    hello = next(m for m in smoke.manifest["methods"] if m["name"] == "hello")
    assert hello == {"name": "hello", "kind": "view", "returns": "string",
                     "params": [{"name": "name", "type": "string", "optional": False}]}  # fmt: skip


def test_methods_run_in_the_node_runtime(runtime: Runtime, loaded: LoadedApp) -> None:
    out = runtime.call(loaded, "hello", b'{"name": "bob"}', env())
    assert out.returned == b'"hello, bob"'
    assert out.logs == ["hello called for bob"]
    out = runtime.call(loaded, "greet", b'{"name": "ann", "times": 2}', env())
    assert out.returned == b'["ann","ann"]'
    assert [(e.kind, e.data) for e in out.events] == [("Greeted", b'{"who":"ann"}')]


def test_date_and_math_random_come_from_the_host(runtime: Runtime, loaded: LoadedApp) -> None:
    out = runtime.call(loaded, "clock", b"{}", env())
    now_ms, rand = json.loads(out.returned or b"null")
    assert now_ms == NOW_NS // 1_000_000
    (word,) = struct.unpack("<Q", bytes(range(8)))
    assert rand == (word >> 11) * 2.0**-53


def test_uncaught_exception_panics_with_a_location_that_maps_to_typescript(
    smoke: BuildResult, runtime: Runtime, loaded: LoadedApp
) -> None:
    with pytest.raises(FunctionCallError) as info:
        runtime.call(loaded, "fail", b'{"reason": "x"}', env())
    message = str(info.value)
    assert "Error: failed on purpose: x" in message
    where = message.rsplit(" at ", 1)[1]
    file, line, _ = where.rsplit(":", 2)
    assert file == "src/index.ts"  # the SDK maps frames with the build's line table
    app_dir = smoke.wasm_path.parents[1]
    source = (app_dir / file).read_text().splitlines()[int(line) - 1]
    assert "failed on purpose" in source


def test_rebuild_after_a_one_line_change_uses_the_cache(
    smoke: BuildResult, runtime: Runtime
) -> None:
    entry = smoke.wasm_path.parents[1] / "src" / "index.ts"
    entry.write_text(entry.read_text().replace("hello, ${name}", "hi, ${name}"))
    result = build_app(entry.parents[1])
    assert result.ran_steps == ()
    app = runtime.load(result.wasm_path.read_bytes())
    out = runtime.call(app, "hello", b'{"name": "bob"}', env())
    assert out.returned == b'"hi, bob"'


def test_syntax_error_names_file_line_column_with_a_caret(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError) as info:
        build_app(APPS / "syntax_error", out_dir=tmp_path)
    lines = str(info.value).splitlines()
    assert lines[1] == 'src/index.ts:4:20: error: Unexpected "*"'
    assert lines[2].endswith("| let broken = base +* 2;")
    assert lines[3].index("^") == lines[2].index("*")


def test_missing_entry_point_is_named(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match=r"src/index\.ts not found"):
        build_app(tmp_path)


def write_app(root: Path, body: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.ts").write_text(
        "import { Logic } from '@calimero/sdk';\n" + body + "\n"
        "@Logic()\nexport class L {\n  ping(): string {\n    return 'pong';\n  }\n}\n"
    )
    return root


def test_type_errors_are_reported_like_syntax_errors(tmp_path: Path) -> None:
    app = write_app(tmp_path / "typed", "export const n: number = 'text';")
    (diag,) = typecheck_app(app)
    assert (diag.file, diag.line, diag.column) == ("src/index.ts", 2, 14)
    assert "TS2322" in diag.message
    assert build_app(app).manifest["methods"][0]["name"] == "ping"  # types never block a build


def test_a_recheck_after_each_save_sees_that_save(tmp_path: Path) -> None:
    app = write_app(tmp_path / "saved", "export const n: number = 1;")
    source = app / "src" / "index.ts"
    assert typecheck_app(app) == []
    assert (app / "build" / ".work" / "tsc.tsbuildinfo").is_file()  # kept for the next check
    source.write_text(source.read_text().replace("= 1;", "= 'one';"))
    assert [d.line for d in typecheck_app(app)] == [2]
    source.write_text(source.read_text().replace("= 'one';", "= 1;"))
    assert typecheck_app(app) == []


def test_top_level_host_calls_fail_the_build_clearly(tmp_path: Path) -> None:
    app = write_app(tmp_path / "eager", "(globalThis as any).__host.context_id();")
    with pytest.raises(ToolchainError, match=r"__host\.context_id was called while the module"):
        build_app(app)


def collections_env() -> CallEnv:
    node = SimNode(0)
    session = CollectionsSession(Overlay(node.kv), node.executor, node.tick)
    return CallEnv(context_id=bytes(32), executor_id=node.executor, state=node.kv,
                   time_now=lambda: NOW_NS, random_bytes=bytes,
                   extensions={EXTENSION: session})  # fmt: skip


def test_host_collection_bindings_against_the_node_collections(tmp_path: Path) -> None:
    app = tmp_path / "host_collections"
    shutil.copytree(APPS / "host_collections", app)
    runtime = Runtime(None, extra_imports=COLLECTION_IMPORTS)
    loaded = runtime.load(build_app(app).wasm_path.read_bytes())
    out = runtime.call(loaded, "roundtrip", b"{}", collections_env())
    assert json.loads(out.returned or b"null") == {
        "idLength": 32, "get": "v2", "missing": None, "previous": "v1", "contains": True,
        "pairs": [["k", "v2"]], "vector": [2, "b", None], "set": ["x"], "counter": "2",
        "lww": "on",
    }  # fmt: skip
    out = runtime.call(loaded, "misuse", b"{}", collections_env())
    message = json.loads(out.returned or b"null")
    assert message.startswith("__host.js_crdt_map_get failed (status -1): ")
    assert len(message) > len("__host.js_crdt_map_get failed (status -1): ")


def test_cli_builds_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], smoke: BuildResult, runtime: Runtime
) -> None:
    assert main([str(APPS / "smoke"), "--out-dir", str(tmp_path), "--release"]) == 0
    out = capsys.readouterr().out
    assert f"built {tmp_path / 'smoke.wasm'}" in out
    assert "hello, greet, ping, clock, fail" in out
    assert "wasm-opt is unavailable" not in out  # npm binaryen is part of the toolchain
    optimized = (tmp_path / "smoke.wasm").read_bytes()
    assert len(optimized) < smoke.size * 0.95
    release = runtime.load(optimized)
    assert release.abi is not None and json.loads(release.abi) == smoke.manifest
    assert runtime.call(release, "hello", b'{"name": "bob"}', env()).returned == b'"hello, bob"'
    assert main([str(APPS / "syntax_error"), "--out-dir", str(tmp_path)]) == 1
    assert 'src/index.ts:4:20: error: Unexpected "*"' in capsys.readouterr().out


def test_cli_snapshots_the_vm_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], smoke: BuildResult, runtime: Runtime
) -> None:
    assert smoke.snapshot  # the default
    assert main([str(APPS / "smoke"), "--out-dir", str(tmp_path), "--no-snapshot"]) == 0
    assert f"built {tmp_path / 'smoke.wasm'}" in capsys.readouterr().out
    fresh = (tmp_path / "smoke.wasm").read_bytes()
    assert len(fresh) < smoke.size  # the booted heap travels in a snapshot module
    loaded = runtime.load(fresh)
    assert runtime.call(loaded, "hello", b'{"name": "ann"}', env()).returned == b'"hello, ann"'
    assert main([str(APPS / "smoke"), "--out-dir", str(tmp_path), "--snapshot"]) == 0
    assert len((tmp_path / "smoke.wasm").read_bytes()) > len(fresh)
