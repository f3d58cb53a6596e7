"""Provides the esbuild step (TypeScript -> one script QuickJS runs) and the bytecode step
(our calimero-qjsc), each turning tool failures into actionable ToolchainErrors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.diagnostics import format_all, parse_esbuild
from calimero_devnet.toolchain.proc import tail

#: Package names that resolve to our SDK: ours and upstream's, so upstream examples build.
SDK_ALIASES = ("@calimero/sdk", "@calimero-network/calimero-sdk-js")
#: Upstream apps use legacy (experimental) decorators; QuickJS cannot parse `@` at all.
TSCONFIG_RAW = {"compilerOptions": {"experimentalDecorators": True}}


def esbuild_args(entry: Path, out_js: Path, sdk_src: Path) -> list[str]:
    """Return the esbuild command line (without the binary) for one app."""
    args = [
        str(entry), "--bundle", "--format=iife", "--target=es2022", "--platform=neutral",
        "--main-fields=module,main", "--keep-names", "--sourcemap=external", "--charset=utf8",
        f"--outfile={out_js}", "--log-level=error", "--color=false",
        f"--tsconfig-raw={json.dumps(TSCONFIG_RAW)}",
    ]  # fmt: skip
    return args + [f"--alias:{name}={sdk_src}" for name in SDK_ALIASES]


#: esbuild's ``--keep-names`` helper, as it writes it, and the same helper returning early
#: when the name is already right. QuickJS names declared functions and classes itself, so
#: most calls have nothing to do; the ~70 calls of a template cost ~0.6 M fuel per fresh-VM
#: call, the early return saves half. (It reads ``name``: a static getter of that name would
#: run once at load.)
KEEP_NAMES_HELPER = (
    'var __name = (target, value) => __defProp(target, "name", { value, configurable: true });'
)
CHEAP_KEEP_NAMES_HELPER = (
    "var __name = (target, value) => target.name === value ? target : "
    '__defProp(target, "name", { value, configurable: true });'
)


def skip_set_names(js: Path) -> None:
    """Rewrite the bundle's ``__name`` helper in place (same line, so every position holds)."""
    text = js.read_text(encoding="utf-8")
    if KEEP_NAMES_HELPER in text:
        js.write_text(text.replace(KEEP_NAMES_HELPER, CHEAP_KEEP_NAMES_HELPER, 1), encoding="utf-8")


def run_esbuild(esbuild: Path, app_dir: Path, entry: Path, out_js: Path, sdk_src: Path) -> None:
    """Bundle ``entry`` into ``out_js`` (+ ``.map``).

    Raises:
        ToolchainError: with each error as ``file:line:col``, the source line and a caret.
    """
    done = subprocess.run([str(esbuild), *esbuild_args(entry, out_js, sdk_src)], cwd=app_dir,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode == 0:
        skip_set_names(out_js)
        return
    diags = parse_esbuild(done.stderr, app_dir)
    detail = format_all(diags) if diags else tail(done.stderr)
    raise ToolchainError(f"{app_dir.name}: TypeScript did not bundle\n{detail}")


def run_qjsc(qjsc: Path, js: Path, bytecode: Path, describe: Path) -> dict[str, Any]:
    """Compile ``js`` to bytecode and return the bundle's self-description.

    Raises:
        ToolchainError: QuickJS rejects the bundle, or its top level throws at build time.
    """
    cmd = [str(qjsc), "--name", js.name, "--describe", str(describe), str(js), str(bytecode)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode == 2:
        raise ToolchainError(f"{js.name}: QuickJS cannot compile the bundle\n{tail(done.stderr)}")
    if done.returncode == 3:
        raise ToolchainError(
            f"{js.name}: the app threw while loading at build time (the build runs the "
            f"module's top level once to list its methods)\n{tail(done.stderr)}"
        )
    if done.returncode != 0:
        raise ToolchainError(f"calimero-qjsc failed on {js}: {tail(done.stderr)}")
    data = json.loads(describe.read_text())
    if not isinstance(data, dict):
        raise ToolchainError(f"calimero-qjsc wrote an unexpected description to {describe}")
    return data
