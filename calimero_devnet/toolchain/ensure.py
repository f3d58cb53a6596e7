"""Provides ensure_toolchain: run the missing one-time steps, with progress, under the lock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from calimero_devnet.toolchain import npm
from calimero_devnet.toolchain.cache import cache_root, locked
from calimero_devnet.toolchain.engine import Engine, EnginePlan, toolchain_dir
from calimero_devnet.toolchain.quickjs import QUICKJS_NG_VERSION

Progress = Callable[[str], None]

STEP_TEXT = {
    "sources": f"downloading the QuickJS sources (PyPI quickjs-ng {QUICKJS_NG_VERSION}, "
    "one-time, ~3 s)",
    "engine": "building libquickjs.a and wasi-libc for wasm32-wasi, and the native "
    "bytecode compiler (one-time, ~30 s)",
    "glue": "compiling the C glue for wasm32-wasi (one-time, ~1 s)",
    "npm": "installing esbuild, typescript, wizer and binaryen (npm ci, one-time, ~5 s)",
}
ALL_STEPS = tuple(STEP_TEXT)


@dataclass(frozen=True, slots=True)
class Toolchain:
    """Everything a build uses, plus which one-time steps this call ran or found cached."""

    engine: Engine
    node: npm.NodeTools
    root: Path
    ran: tuple[str, ...]
    cached: tuple[str, ...]
    durations: dict[str, float] = field(default_factory=dict)


def step_line(index: int, total: int, step: str) -> str:
    """Return the progress line of one step, e.g. ``[1/4] building … (one-time, ~20 s)…``."""
    return f"[{index}/{total}] {STEP_TEXT[step]}…"


def ensure_toolchain(progress: Progress | None = None) -> Toolchain:
    """Return a ready toolchain, running (and reporting) only the one-time steps missing.

    Raises:
        ToolchainError: a step failed; the message names it and carries the tool's output.
    """
    cache, root = cache_root(), toolchain_dir()
    plan = EnginePlan(cache)
    todo, durations = _missing(plan, cache, root), {}
    if todo:
        with locked(cache):
            todo = _missing(plan, cache, root)  # another process may have finished them
            for index, step in enumerate(todo, 1):
                if progress is not None:
                    progress(step_line(index, len(todo), step))
                start = time.perf_counter()
                if step == "npm":
                    npm.install(cache, root)
                else:
                    plan.run_step(step)
                durations[step] = time.perf_counter() - start
    cached = tuple(s for s in ALL_STEPS if s not in todo)
    return Toolchain(engine=plan.engine(), node=npm.tools(npm.npm_dir(cache, root)), root=root,
                     ran=tuple(todo), cached=cached, durations=durations)  # fmt: skip


def _missing(plan: EnginePlan, cache: Path, root: Path) -> list[str]:
    steps = plan.missing()
    if not npm.is_ready(cache, root):
        steps.append("npm")
    return steps
