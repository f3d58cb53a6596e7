"""Provides the one-time engine setup (QuickJS, wasi-libc, C glue) and the Engine handle.

Every step runs under the cache lock and ends with a ready stamp, so a warm build only
stats a few files; see ``cache.py`` for the layout.
"""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from calimero_devnet.data_dirs import data_dir
from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain import quickjs
from calimero_devnet.toolchain.cache import content_key, file_key, read_stamp, write_stamp
from calimero_devnet.toolchain.proc import run, run_parallel, zig_binary

TOOLCHAIN_ENV = "CALIMERO_DEVNET_TOOLCHAIN"
GLUE_SOURCES = ("glue.c", "host.c", "host_special.c", "host_blob.c", "libc_lite.c")
GLUE_HEADERS = ("cal_js.h", "calimero_host.h")
GLUE_CFLAGS = ("-target", "wasm32-wasi", "-Oz", "-Wall", "-Wno-unused-parameter")
ENGINE_FORMAT = "1"  # bump when the layout of an engine directory changes


@dataclass(frozen=True, slots=True)
class Engine:
    """What a per-app build needs from the one-time steps."""

    zig: Path
    qjsc: Path
    link_inputs: tuple[Path, ...]
    env: dict[str, str] = field(repr=False)


def toolchain_dir() -> Path:
    """Return the ``toolchain/`` data folder (``$CALIMERO_DEVNET_TOOLCHAIN`` overrides)."""
    return data_dir("toolchain", TOOLCHAIN_ENV)


def zig_env(cache: Path) -> dict[str, str]:
    """Return the environment that keeps zig's caches inside ours."""
    return {**os.environ, "ZIG_GLOBAL_CACHE_DIR": str(cache / "zig"),
            "ZIG_LOCAL_CACHE_DIR": str(cache / "zig")}  # fmt: skip


class EnginePlan:
    """The engine directories for this machine and which one-time steps they still need."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.zig = zig_binary()
        self.cc = quickjs.native_cc(self.zig)
        runtime = toolchain_dir() / "runtime"
        self.runtime = runtime
        zig_version = importlib.metadata.version("ziglang")
        key = content_key(quickjs.QUICKJS_NG_VERSION, zig_version, quickjs.cc_identity(self.cc),
                          *quickjs.WASM_CFLAGS, *quickjs.NATIVE_CFLAGS, ENGINE_FORMAT,
                          file_key(runtime / "qjsc.c"))  # fmt: skip
        self.engine_dir = cache / f"engine-{key}"
        glue_files = [runtime / n for n in (*GLUE_SOURCES, *GLUE_HEADERS)]
        self.glue_dir = self.engine_dir / f"glue-{content_key(file_key(*glue_files), *GLUE_CFLAGS)}"

    def missing(self) -> list[str]:
        """Return the steps still to run, in order: ``sources engine glue``."""
        steps = []
        if read_stamp(self.engine_dir) is None:
            src = self.cache / f"quickjs-ng-{quickjs.QUICKJS_NG_VERSION}" / "upstream-quickjs"
            if not (src / "quickjs.h").exists():
                steps.append("sources")
            steps.append("engine")
        if read_stamp(self.glue_dir) is None:
            steps.append("glue")
        return steps

    def run_step(self, step: str) -> None:
        """Run one step of :meth:`missing` (the caller holds the cache lock)."""
        env = zig_env(self.cache)
        src = quickjs.fetch_sources(self.cache)
        if step == "engine":
            shutil.rmtree(self.engine_dir, ignore_errors=True)
            self.engine_dir.mkdir(parents=True)
            # zig builds wasi-libc on about one core: overlap it with the two compile jobs.
            with ThreadPoolExecutor(max_workers=1) as pool:
                libc = pool.submit(_collect_wasi_libs, self.zig, self.engine_dir, env)
                quickjs.build_engine_objects(self.zig, self.cc, src=src, out=self.engine_dir,
                                             qjsc_c=self.runtime / "qjsc.c", env=env)  # fmt: skip
                libc.result()
            write_stamp(self.engine_dir, {"quickjs_ng": quickjs.QUICKJS_NG_VERSION})
        elif step == "glue":
            self._build_glue(src, env)

    def _build_glue(self, src: Path, env: dict[str, str]) -> None:
        shutil.rmtree(self.glue_dir, ignore_errors=True)
        self.glue_dir.mkdir(parents=True)
        run_parallel(
            [([self.zig, "cc", *GLUE_CFLAGS, f"-I{src}", f"-I{self.runtime}", "-c",
               self.runtime / name, "-o", self.glue_dir / Path(name).with_suffix(".o")],
              f"compiling the C glue {name}") for name in GLUE_SOURCES],
            env=env,
        )  # fmt: skip
        write_stamp(self.glue_dir, {"sources": list(GLUE_SOURCES)})

    def engine(self) -> Engine:
        """Return the handle on the (ready) directories."""
        objs = [self.glue_dir / Path(n).with_suffix(".o") for n in GLUE_SOURCES]
        libs = sorted((self.engine_dir / "wasi").glob("*.a"))
        return Engine(zig=self.zig, qjsc=self.engine_dir / "calimero-qjsc",
                      link_inputs=(*objs, self.engine_dir / "libquickjs.a", *libs),
                      env=zig_env(self.cache))  # fmt: skip


def _collect_wasi_libs(zig: Path, out: Path, env: dict[str, str]) -> None:
    """Have zig build wasi-libc once, then copy the archives its linker line names.

    Apps are linked by ``wasm-ld`` directly, without zig's crt1 objects: they would export
    ``_start`` or ``_initialize``, which the node would take for app methods.
    """
    probe = out / "probe"
    probe.mkdir(exist_ok=True)
    (probe / "probe.c").write_text("int main(void) { return 0; }\n")
    flags: list[str | Path] = [zig, "cc", "-target", "wasm32-wasi", "-Oz"]
    run([*flags, "-c", probe / "probe.c", "-o", probe / "probe.o"], what="compiling a probe",
        env=env)  # fmt: skip
    cmd = [*flags, probe / "probe.o", "-o", probe / "probe.wasm"]
    run(cmd, what="building wasi-libc with zig", env=env)
    shown = run([*cmd, "-###"], what="asking zig for its wasm-ld line", env=env)
    archives = [
        Path(arg)
        for line in (shown.stderr + shown.stdout).splitlines()
        if line.strip().startswith("wasm-ld")
        for arg in shlex.split(line)
        if arg.endswith(".a")
    ]
    if not any(a.name == "libc.a" for a in archives):
        raise ToolchainError(f"zig did not name a libc.a in its link line: {shown.stderr[-500:]}")
    (out / "wasi").mkdir(exist_ok=True)
    for archive in archives:
        shutil.copy2(archive, out / "wasi" / archive.name)
    shutil.rmtree(probe)
