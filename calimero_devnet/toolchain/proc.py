"""Provides subprocess helpers for the toolchain: run, run several on two cores, locate tools."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from calimero_devnet.errors import ToolchainError

#: The machine has two cores: more parallel compiles only add contention.
JOBS = min(2, os.cpu_count() or 1)
_TAIL = 40


def run(
    cmd: Sequence[str | Path],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; raise ToolchainError naming ``what`` with the output's tail on failure."""
    args = [str(c) for c in cmd]
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolchainError(f"{what}: {args[0]} not found ({exc})") from exc
    if done.returncode != 0:
        raise ToolchainError(
            f"{what} failed (exit {done.returncode}): {' '.join(args)}\n"
            + tail(done.stderr + done.stdout)
        )
    return done


def run_parallel(
    cmds: Sequence[tuple[Sequence[str | Path], str]],
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run ``(cmd, what)`` pairs, at most ``JOBS`` at a time, longest first as given."""
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = [pool.submit(run, cmd, what=what, env=env) for cmd, what in cmds]
        for future in futures:
            future.result()


def tail(text: str, lines: int = _TAIL) -> str:
    """Return the last ``lines`` lines of ``text``."""
    return "\n".join(text.strip().splitlines()[-lines:])


def zig_binary() -> Path:
    """Return the zig executable shipped by the PyPI ``ziglang`` package."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise ToolchainError(
            "the PyPI package 'ziglang' is missing: `pip install ziglang` (it provides the "
            "C compiler for wasm32-wasi)"
        )
    zig = Path(spec.origin).parent / "zig"
    if not zig.exists():
        raise ToolchainError(f"ziglang is installed but {zig} is missing: reinstall ziglang")
    return zig
