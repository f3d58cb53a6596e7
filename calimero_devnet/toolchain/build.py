"""Provides build_app: one TypeScript app -> ``app.wasm`` + ABI manifest + bundle source map.

Per build: esbuild, calimero-qjsc (bytecode + method list), manifest, one generated C file,
its compile, and the wasm-ld link against the cached engine. The one-time steps run first,
through :func:`ensure_toolchain`, only when their cache entries are missing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain import bundle, link, refused
from calimero_devnet.toolchain.cache import locked
from calimero_devnet.toolchain.ensure import Toolchain, ensure_toolchain
from calimero_devnet.toolchain.features import needs_regexp
from calimero_devnet.toolchain.linetable import embed_line_table
from calimero_devnet.toolchain.manifest import build_manifest
from calimero_devnet.toolchain.tsscan import Scan, scan

ENTRY = Path("src") / "index.ts"
WORK = ".work"
#: Whether builds snapshot the initialized VM unless told (see :func:`build_app`).
SNAPSHOT_DEFAULT = True
#: Said when a default build cannot snapshot the VM and boots it at every call instead.
FALLBACK_NOTE = (
    "note: built without the VM snapshot, so each call boots the VM (~2.5x slower): {reason}"
)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced and how long each part took (seconds)."""

    wasm_path: Path
    manifest: dict[str, Any]
    manifest_path: Path
    bundle_path: Path
    sourcemap_path: Path
    duration: float
    size: int
    cached_steps: tuple[str, ...]
    ran_steps: tuple[str, ...]
    optimized: bool | None = None
    regexp: bool = True  # whether the module links the RegExp engine
    snapshot: bool = False  # whether the module holds the VM snapshot
    notes: tuple[str, ...] = ()  # one line each, e.g. FALLBACK_NOTE
    timings: dict[str, float] = field(default_factory=dict)


def app_name(app_dir: Path) -> str:
    """Return the app's name: package.json ``name`` (scope dropped), else the folder name."""
    name = app_dir.resolve().name
    try:
        declared = json.loads((app_dir / "package.json").read_text()).get("name")
    except (OSError, ValueError, AttributeError):
        declared = None
    if isinstance(declared, str) and declared:
        name = declared.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "app"


def scan_sources(src: Path) -> Scan:
    """Scan every ``.ts`` file under ``src`` (best effort: unreadable files are skipped)."""
    merged = Scan()
    for path in sorted(src.rglob("*.ts")):
        try:
            found = scan(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        merged.methods.update(found.methods)
        merged.events.update(found.events)
    return merged


def build_app(
    app_dir: Path,
    *,
    out_dir: Path | None = None,
    release: bool = False,
    snapshot: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the TypeScript app in ``app_dir`` into ``out_dir`` (default ``app_dir/build``).

    ``snapshot``: boot the VM and run the module's top level at build time (wizer) so that
    a call starts from the initialized VM (the top level may then not call ``Date.now()``,
    ``Math.random()`` or the host). ``None`` (the default) snapshots when it can and else
    builds a fresh-VM module and says why (:data:`FALLBACK_NOTE`, in ``notes`` and to
    ``progress``); ``True`` fails instead; ``False`` never snapshots.

    Raises:
        ToolchainError: the entry point is missing, TypeScript does not bundle, the app's
            top level throws at build time, the snapshot asked for fails, or a toolchain
            step fails.
    """
    start = time.perf_counter()
    app_dir = app_dir.resolve()
    entry = app_dir / ENTRY
    if not entry.is_file():
        raise ToolchainError(
            f"{entry} not found: an app's entry point is {ENTRY} (create it, or start from "
            "a template with `devnet new`)"
        )
    tools = ensure_toolchain(progress)
    out = (out_dir or app_dir / "build").resolve()
    with locked(out / WORK, name="build.lock", timeout=120):
        result = _build(tools, app_dir=app_dir, entry=entry, out=out, name=app_name(app_dir),
                        release=release, snapshot=snapshot)  # fmt: skip
    for note in result.notes:
        if progress is not None:
            progress(note)
    setup = {f"setup:{step}": seconds for step, seconds in tools.durations.items()}
    timings = {**setup, **result.timings, "total": time.perf_counter() - start}
    return BuildResult(**{**_fields(result), "duration": timings["total"], "timings": timings})


def _build(
    tools: Toolchain,
    *,
    app_dir: Path,
    entry: Path,
    out: Path,
    name: str,
    release: bool,
    snapshot: bool | None,
) -> BuildResult:
    work, clock = out / WORK, _Clock()
    js, wasm = out / f"{name}.js", out / f"{name}.wasm"
    bundle.run_esbuild(tools.node.esbuild, app_dir, entry, js, tools.root / "sdk" / "src")
    refused.check_bundle(js, name, app_dir / "src")
    embed_line_table(js, app_dir, tools.root / "sdk" / "src")  # panics name TS lines
    clock.lap("esbuild")
    described = bundle.run_qjsc(tools.engine.qjsc, js, work / "app.qbc", work / "describe.json")
    clock.lap("qjsc")
    manifest = build_manifest(name, described, scan_sources(app_dir / "src"))
    manifest_path = out / f"{name}.abi.json"
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    (work / "abi.json").write_bytes(manifest_bytes)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    module = _Module(tools, work, name, [m["name"] for m in manifest["methods"]], manifest_bytes,
                     regexp=needs_regexp(js.read_text(encoding="utf-8"), described))  # fmt: skip
    snapshotted, notes = SNAPSHOT_DEFAULT if snapshot is None else snapshot, []
    try:
        module.build(wasm, clock, snapshot=snapshotted)
    except link.SnapshotError as exc:
        if snapshot is not None:
            raise
        snapshotted, notes = False, [FALLBACK_NOTE.format(reason=exc.reason)]
        module.build(wasm, clock, snapshot=False)
    optimized = _release(tools, wasm) if release else None
    return BuildResult(wasm_path=wasm, manifest=manifest, manifest_path=manifest_path,
                       bundle_path=js, sourcemap_path=js.with_name(js.name + ".map"),
                       duration=0.0, size=wasm.stat().st_size, cached_steps=tools.cached,
                       ran_steps=tools.ran, optimized=optimized, regexp=module.regexp,
                       snapshot=snapshotted, notes=tuple(notes), timings=clock.laps)  # fmt: skip


def _release(tools: Toolchain, wasm: Path) -> bool:
    """Run wasm-opt -Oz when available; return whether it ran."""
    wasm_opt = tools.node.wasm_opt()
    if wasm_opt is None:
        return False
    link.optimize(wasm_opt, wasm)
    return True


def _fields(result: BuildResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in BuildResult.__slots__}


@dataclass(frozen=True, slots=True)
class _Module:
    """The native steps of one build: the generated C file, its compile, the link."""

    tools: Toolchain
    work: Path
    name: str
    methods: list[str]
    manifest_bytes: bytes
    regexp: bool

    def build(self, wasm: Path, clock: _Clock, *, snapshot: bool) -> None:
        """Write ``wasm``, snapshotted with wizer if ``snapshot``.

        Raises:
            link.SnapshotError: the module's top level trapped at build time.
        """
        source, work = self.work / "app.c", self.work
        source.write_text(link.generate(self.name, self.methods, work / "app.qbc",
                                         work / "abi.json", snapshot=snapshot,
                                         regexp=self.regexp))  # fmt: skip
        clock.lap("manifest")
        link.compile_generated(self.tools.engine, source, work / "app.o")
        clock.lap("cc")
        wizer = link.wizer_of(self.tools.node) if snapshot else None
        link.link(self.tools.engine, [work / "app.o"], wasm, self.manifest_bytes, wizer=wizer)
        clock.lap("link")


class _Clock:
    """Collects the duration of consecutive phases."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
