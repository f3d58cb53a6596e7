"""Provides helpers for the SDK and template tests: real builds run on real NodeCores.

``build_tour``, ``shared_runtime`` and ``tour_node`` are fixture bodies; a test module makes
them its fixtures with ``pytest.fixture(scope=..., name=...)(body)``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.results import ExecuteResult
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.testing.fake_clock import FakeClock
from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.typecheck import typecheck_app

REPO = Path(__file__).parents[2]
APPS = REPO / "tests" / "fixtures" / "apps"
TEMPLATES = REPO / "templates"
Node = tuple[NodeCore, bytes]


def build_copy(source: Path, root: Path) -> BuildResult:
    """Copy the app folder ``source`` under ``root`` and build it there (the repo stays clean)."""
    app = root / source.name
    shutil.copytree(source, app, ignore=shutil.ignore_patterns("build"))
    return build_app(app)


def typed_fixture_app(factory: pytest.TempPathFactory, name: str) -> BuildResult:
    """Build the fixture app ``name`` in a fresh folder; its type check must be clean."""
    root = factory.mktemp("apps")
    build = build_copy(APPS / name, root)
    assert typecheck_app(root / name) == []
    return build


def js_runtime(cache: Path) -> Runtime:
    """A runtime with the host collections, caching compiled modules in ``cache``."""
    return Runtime(cache, extra_imports=COLLECTION_IMPORTS)


def open_core(home: Path, runtime: Runtime, index: int = 1) -> NodeCore:
    """Open a NodeCore on ``runtime`` with a fake wall clock."""
    return NodeCore.open(home, name=home.name, index=index, runtime=runtime,
                         wall_clock=FakeClock())  # fmt: skip


def args_bytes(args: object) -> bytes:
    """The JSON bytes of ``args`` (bytes are sent as they are)."""
    return args if isinstance(args, bytes) else json.dumps(args).encode()


def execute(node: NodeCore, ctx: bytes, method: str, args: object = b"") -> ExecuteResult:
    """Run ``method`` with ``args`` (JSON-encoded unless bytes)."""
    return node.execute(ctx, method, args_bytes(args))


def call(node: NodeCore, ctx: bytes, method: str, args: object = b"") -> Any:
    """Run ``method``; return its decoded JSON output (None when it returned nothing)."""
    output = execute(node, ctx, method, args).output
    return None if output is None else json.loads(output)


def start(node: NodeCore, wasm: Path, init: object = b"{}", seed: bytes = b"sdk") -> bytes:
    """Install ``wasm`` on ``node``, create a context (running ``init``) and return its id."""
    app = node.install_application(wasm.read_bytes(), source=str(wasm))
    return node.create_context(app, init_params=args_bytes(init), seed=seed).id


def build_tour(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The SDK tour app, built by the real toolchain."""
    return build_copy(APPS / "sdk_tour", tmp_path_factory.mktemp("apps"))


def shared_runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """A runtime with host collections, shared by a module's nodes."""
    return js_runtime(tmp_path_factory.mktemp("wasm-cache"))


def tour_node(tmp_path: Path, runtime: Runtime, tour: BuildResult) -> Iterator[Node]:
    """A node with a tour context created with ``{"label": "hello"}``."""
    with open_core(tmp_path / "n", runtime) as core:
        yield core, start(core, tour.wasm_path, {"label": "hello"})
