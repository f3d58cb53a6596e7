"""Provides the ``devnet build [APP_DIR]`` command: argparse wiring, progress lines, and a
type check that runs next to the build, not before it.

Wire it into the main parser with ``add_build_command(subparsers)``; the parsed namespace
then carries ``handler`` (call ``args.handler(args)``, which returns the exit status).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.build import BuildResult, build_app
from calimero_devnet.toolchain.diagnostics import format_all
from calimero_devnet.toolchain.ensure import ensure_toolchain
from calimero_devnet.toolchain.typecheck import typecheck_app


def add_build_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``build`` to an ``argparse`` sub-parser set (``COMMANDS`` in the main CLI)."""
    parser = subparsers.add_parser(
        "build",
        help="build a TypeScript app into a QuickJS-in-WASM module",
        description="Bundle APP_DIR/src/index.ts, compile it to QuickJS bytecode and link "
        "APP_DIR/build/<name>.wasm with its ABI manifest and source map.",
    )
    parser.add_argument("app_dir", nargs="?", type=Path, default=Path("."),
                        help="the app folder, holding src/index.ts (default: .)")  # fmt: skip
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where to write the outputs (default: APP_DIR/build)")  # fmt: skip
    parser.add_argument("--release", action="store_true",
                        help="also run `wasm-opt -Oz` (npm binaryen; ~7 s, ~10 %% smaller)")  # fmt: skip
    parser.add_argument("--snapshot", action="store_true",
                        help="boot the JS VM at build time: calls ~2.5x faster, ~150 KB larger")  # fmt: skip
    parser.add_argument("--no-typecheck", action="store_true", help="skip `tsc --noEmit`")
    parser.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run one build (and its type check) for parsed ``args``; return the exit status."""
    stream = out or sys.stdout
    app_dir, out_dir = Path(args.app_dir), args.out_dir
    try:
        ensure_toolchain(lambda line: print(line, file=stream, flush=True))
        with ThreadPoolExecutor(max_workers=1) as pool:
            checking = None if args.no_typecheck else pool.submit(typecheck_app, app_dir,
                                                                  out_dir=out_dir)  # fmt: skip
            result = build_app(
                app_dir, out_dir=out_dir, release=args.release, snapshot=args.snapshot
            )
            diags = checking.result() if checking else []
    except ToolchainError as exc:
        print(f"error: {exc}", file=stream)
        return 1
    print(summary(result, release=args.release), file=stream)
    if diags:
        print(f"type check failed (the module was still built):\n{format_all(diags)}", file=stream)
        return 1
    return 0


def summary(result: BuildResult, *, release: bool) -> str:
    """Return the lines printed after a successful build."""
    methods = [m["name"] for m in result.manifest["methods"]]
    lines = [
        f"built {result.wasm_path} ({result.size / 1024:.0f} KiB, {len(methods)} method(s): "
        f"{', '.join(methods)}) in {result.duration:.2f} s",
        f"  manifest {result.manifest_path}",
        f"  bundle {result.bundle_path} (+ .map for panic locations)",
    ]
    if release and not result.optimized:
        lines.append("  --release: wasm-opt is unavailable (npm `binaryen` is not installed in "
                     "the toolchain cache, and none is on PATH); the module is not optimized")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``build`` standalone: ``python -m calimero_devnet.toolchain [APP_DIR]``."""
    parser = argparse.ArgumentParser(prog="devnet")
    add_build_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["build", *(sys.argv[1:] if argv is None else argv)])
    status: int = args.handler(args)
    return status
