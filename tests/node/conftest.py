"""Fixtures shared by the node tests."""

from __future__ import annotations

import pytest

from calimero_devnet.node.runtime import Runtime
from tests.toolchain.sdk_helpers import js_runtime


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """One real runtime per test module, JS collections included: each app compiles once."""
    return js_runtime(tmp_path_factory.mktemp("wasm-cache"))
