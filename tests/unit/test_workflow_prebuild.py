"""App folders built while the cluster starts: which ones, and a failed build's step."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from calimero_devnet.errors import ToolchainError
from calimero_devnet.workflows.actions_apps import install_application
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.prebuild import app_folders
from calimero_devnet.workflows.results import StepResult


def app(root: Path, name: str) -> Path:
    (root / name / "src").mkdir(parents=True)
    (root / name / "src" / "index.ts").write_text("")
    return (root / name).resolve()


def test_the_folders_installs_name_nested_too_each_once(tmp_path: Path) -> None:
    first, second = app(tmp_path, "one"), app(tmp_path, "two")
    (tmp_path / "x.wasm").write_bytes(b"\0asm")
    path = tmp_path / "flow.yml"
    path.write_text("""\
name: t
nodes: {count: 2, prefix: n}
steps:
  - {type: install_application, node: n-1, path: ./one, outputs: {p: applicationId}}
  - {type: install_application, node: n-1, path: ./x.wasm}
  - type: repeat
    count: 2
    steps:
      - {type: install_application, node: n-2, path: ./one}
  - type: parallel
    groups:
      - name: g
        steps:
          - {type: install_application, node: n-2, path: ./two}
  - {type: redeploy, path: '{{p}}'}
""")
    flow = parse_workflow(path, tmp_path)
    assert app_folders(flow.steps, tmp_path) == [first, second]


def test_an_install_awaits_its_early_build_and_fails_with_its_error(tmp_path: Path) -> None:
    folder = app(tmp_path, "broken")

    async def failed_build() -> Path:
        raise ToolchainError("app broken: src/index.ts:1:1: error: Unexpected end of file")

    async def install() -> Any:
        cluster = cast(Any, type("Cluster", (), {"data_dir": tmp_path}))
        ctx = Context(cluster, tmp_path, 5.0)
        ctx.prebuilt[folder] = asyncio.create_task(failed_build())
        fields = {"node": "n-1", "path": "broken"}
        return await install_application(ctx, fields, StepResult("1", "i", "i", True, 0))

    with pytest.raises(ToolchainError, match="Unexpected end of file"):
        asyncio.run(install())
