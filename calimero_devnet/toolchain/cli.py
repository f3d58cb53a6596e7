"""Provides the ``devnet build [APP_DIR]`` command: argparse wiring, progress lines, and a
type check that runs next to the build, not before it.

Wire it into the main parser with ``add_build_command(subparsers)``; the parsed namespace
then carries ``handler`` (call ``args.handler(args)``, which returns the exit status).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.build import BuildResult, build_app
from calimero_devnet.toolchain.diagnostics import Diagnostic, format_by_file
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
    release = "also run `wasm-opt -Oz` (npm binaryen; ~7 s, ~10 %% smaller)"
    parser.add_argument("--release", action="store_true", help=release)
    snapshot = ("--snapshot: fail unless the JS VM can be booted at build time (the default "
                "does so when it can: calls ~2.5x faster, ~150 KB larger); --no-snapshot: "
                "boot it at every call")  # fmt: skip
    parser.add_argument("--snapshot", action=argparse.BooleanOptionalAction, default=None,
                        help=snapshot)  # fmt: skip
    parser.add_argument("--no-typecheck", action="store_true", help="skip `tsc --noEmit`")
    as_json = "print one JSON object: wasm path, size, methods, diagnostics"
    parser.add_argument("--json", action="store_true", help=as_json)
    parser.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run one build (and its type check) for parsed ``args``; return the exit status.

    A type error in the app fails the command but not the build (the module is written);
    a type check that fails outside the app's files is reported as a toolchain problem.
    """
    stream = out or sys.stdout
    as_json = bool(getattr(args, "json", False))
    progress = sys.stderr if as_json else stream  # stdout stays one JSON document
    app_dir, out_dir = Path(args.app_dir), args.out_dir
    result: BuildResult | None = None
    diags: list[Diagnostic] = []
    problems: list[str] = []
    try:
        ensure_toolchain(lambda line: print(line, file=progress, flush=True))
        with ThreadPoolExecutor(max_workers=1) as pool:
            checking = None if args.no_typecheck else pool.submit(typecheck_app, app_dir,
                                                                  out_dir=out_dir)  # fmt: skip
            try:
                result = build_app(
                    app_dir,
                    out_dir=out_dir,
                    release=args.release,
                    snapshot=args.snapshot,
                    progress=lambda line: print(line, file=progress, flush=True),
                )
            finally:
                diags = _checked(checking, problems)
    except ToolchainError as exc:
        problems.insert(0, str(exc))
    if as_json:
        print(json.dumps(report(result, diags, problems), indent=2), file=stream)
    else:
        _print_text(result, diags, problems, release=args.release, stream=stream)
    return 1 if diags or problems else 0


def _checked(checking: Future[list[Diagnostic]] | None, problems: list[str]) -> list[Diagnostic]:
    """The app's type errors; a toolchain problem of the check goes to ``problems``."""
    if checking is None:
        return []
    try:
        return checking.result()
    except ToolchainError as exc:
        problems.append(str(exc))
        return []


def _print_text(
    result: BuildResult | None,
    diags: list[Diagnostic],
    problems: list[str],
    *,
    release: bool,
    stream: TextIO,
) -> None:
    if result is not None:
        print(summary(result, release=release), file=stream)
    for problem in problems:
        print(f"error: {problem}", file=stream)
    if diags:
        files = len({d.file for d in diags})
        built = "the module was still built" if result is not None else "no module"
        print(f"type check failed: {len(diags)} error(s) in {files} file(s) of the app "
              f"({built}):\n{format_by_file(diags)}", file=stream)  # fmt: skip


def report(
    result: BuildResult | None, diags: list[Diagnostic], problems: list[str]
) -> dict[str, Any]:
    """The ``--json`` document: what was built, the app's type errors, toolchain problems."""
    built: dict[str, Any] = {"wasm": None, "size": None, "methods": [], "manifest": None}
    if result is not None:
        built = {
            "wasm": str(result.wasm_path), "size": result.size,
            "methods": [m["name"] for m in result.manifest["methods"]],
            "manifest": str(result.manifest_path), "duration": round(result.duration, 3),
            "snapshot": result.snapshot, "notes": list(result.notes),
        }  # fmt: skip
    return {
        "ok": result is not None and not diags and not problems,
        **built,
        "diagnostics": [asdict(d) for d in diags],
        "errors": problems,
    }


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
        lines.append(
            "  --release: wasm-opt is unavailable (npm `binaryen` is not installed in the "
            "toolchain cache, and none is on PATH); the module is not optimized"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``build`` standalone: ``python -m calimero_devnet.toolchain [APP_DIR]``."""
    parser = argparse.ArgumentParser(prog="devnet")
    add_build_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["build", *(sys.argv[1:] if argv is None else argv)])
    status: int = args.handler(args)
    return status
