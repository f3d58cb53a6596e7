"""Provides the per-build native steps: compile the generated C, link with wasm-ld, append
the manifest section, and the optional ``wasm-opt -Oz`` release pass."""

from __future__ import annotations

import os
from pathlib import Path

from calimero_devnet.toolchain.engine import Engine
from calimero_devnet.toolchain.manifest import SECTION, custom_section
from calimero_devnet.toolchain.proc import run

STACK_SIZE = 1024 * 1024
#: No crt1 object and no entry: the module exports memory, the methods and
#: __calimero_sync_next only (the glue runs the constructors itself).
LINK_FLAGS = (
    "--error-limit=0", "--export-memory", "--strip-all", "--stack-first", "--no-entry",
    "--gc-sections", "-z", f"stack-size={STACK_SIZE}", "--build-id=none",
)  # fmt: skip


def compile_generated(engine: Engine, source: Path, obj: Path) -> None:
    """Compile the generated C file (``#embed`` needs C23)."""
    run([engine.zig, "cc", "-target", "wasm32-wasi", "-Oz", "-std=c23", "-c", source, "-o", obj],
        what=f"compiling {source.name}", env=engine.env)  # fmt: skip


def link(engine: Engine, objects: list[Path], out: Path, manifest_json: bytes) -> None:
    """Link ``objects`` with the engine into ``out`` and append the manifest section."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    run([engine.zig, "wasm-ld", *LINK_FLAGS, "-o", tmp, *objects, *engine.link_inputs],
        what=f"linking {out.name}", env=engine.env)  # fmt: skip
    with tmp.open("ab") as handle:
        handle.write(custom_section(SECTION, manifest_json))
    os.replace(tmp, out)


def optimize(wasm_opt: Path, wasm: Path) -> None:
    """Run ``wasm-opt -Oz`` on ``wasm`` in place (custom sections are kept)."""
    tmp = wasm.with_name(f".{wasm.name}.opt.tmp")
    run([wasm_opt, "-Oz", "--enable-bulk-memory", "--enable-sign-ext", "--enable-multivalue",
         "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
         "--enable-extended-const", wasm, "-o", tmp], what=f"wasm-opt -Oz {wasm.name}")  # fmt: skip
    os.replace(tmp, wasm)
