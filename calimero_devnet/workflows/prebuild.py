"""Provides the builds of a workflow's app folders, started while its cluster starts.

The folders its ``install_application`` steps name (without placeholders) are known once
the file is read: building them beside the nodes' start-up takes the build (~0.5 s) off
the first install. The install step awaits its build, so a failed build fails that step
with the toolchain's error, as a build the step started would. Builds go to
``<data dir>/run-builds/``, which the cluster's ``--fresh`` wipe leaves alone (it runs
meanwhile).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from calimero_devnet.cluster.deploy import install as deploy
from calimero_devnet.cluster.processes.supervisor import module_cache_dir
from calimero_devnet.config.model import AppSettings
from calimero_devnet.workflows.model import Step
from calimero_devnet.workflows.placeholders import PLACEHOLDER

Builds = dict[Path, "asyncio.Task[Path]"]
FOLDER = "run-builds"


def app_folders(steps: Sequence[Step], cwd: Path) -> list[Path]:
    """The app folders ``install_application`` steps name, nested ones too, each once."""
    found: dict[Path, None] = {}
    for step in _all(steps):
        text = step.fields.get("path")
        if step.kind == "install_application" and isinstance(text, str):
            path = (cwd / text).resolve()
            if not PLACEHOLDER.search(text) and path.is_dir():
                found[path] = None
    return list(found)


def _all(steps: Sequence[Step]) -> Iterator[Step]:
    for step in steps:
        yield step
        yield from _all(step.steps)
        for group in step.groups:
            yield from _all(group.steps)


async def build_folder(
    path: Path, out_root: Path, data_dir: Path, say: Callable[[str], None]
) -> Path:
    """Build an app folder into ``out_root`` and compile it into the cluster's module cache
    (so each node loads it in ~1 ms instead of compiling it); the ``.wasm``.

    Raises:
        ToolchainError: the build failed, or wasmtime rejects the module.
    """
    app = AppSettings(path.name, path, "typescript", watch=False)
    wasm, _ = await deploy.build(app, out_root, say)
    data = await asyncio.to_thread(wasm.read_bytes)
    await deploy.precompile(data, module_cache_dir(data_dir))
    return wasm.resolve()


def start_builds(folders: Sequence[Path], data_dir: Path, say: Callable[[str], None]) -> Builds:
    """Start building each folder now (tasks of this event loop)."""
    out_root = data_dir / FOLDER
    return {
        path: asyncio.create_task(
            build_folder(path, out_root, data_dir, say), name=f"build-{path.name}"
        )
        for path in folders
    }


async def drop_builds(builds: Builds) -> None:
    """Cancel the builds no step awaited (a workflow that failed before its installs)."""
    for task in builds.values():
        task.cancel()
    await asyncio.gather(*builds.values(), return_exceptions=True)
