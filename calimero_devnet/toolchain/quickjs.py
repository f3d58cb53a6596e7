"""Provides the QuickJS engine builds: sources from PyPI, libquickjs.a for wasm32-wasi, and
the native bytecode compiler, both from one source tree (bytecode is version-tied)."""

from __future__ import annotations

import hashlib
import shutil
import sys
import tarfile
from pathlib import Path

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.proc import run, run_parallel

QUICKJS_NG_VERSION = "0.17.0.2"
QUICKJS_NG_SHA256 = "43d2e48272208721a7aaea8e3f02d4b9318f12ef20cc4f5421b59d9a470706ef"
ENGINE_SOURCES = ("quickjs.c", "libregexp.c", "libunicode.c", "dtoa.c")
#: The parser is left out of the wasm engine: bytecode arrives precompiled, and ~115 KB
#: less keeps modules under 700 KB. `eval` and `new Function` then throw at run time.
WASM_CFLAGS = (
    "-target", "wasm32-wasi", "-Oz", "-D_GNU_SOURCE", "-DQJS_DISABLE_PARSER",
    "-ffunction-sections", "-fdata-sections",
)  # fmt: skip
NATIVE_CFLAGS = ("-O2", "-D_GNU_SOURCE")


def fetch_sources(cache: Path) -> Path:
    """Download the pinned quickjs-ng sdist and return its ``upstream-quickjs`` folder."""
    target = cache / f"quickjs-ng-{QUICKJS_NG_VERSION}"
    src = target / "upstream-quickjs"
    if (src / "quickjs.h").exists():
        return src
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    sdist = downloads / f"quickjs_ng-{QUICKJS_NG_VERSION}.tar.gz"
    if not sdist.exists():
        run(
            [sys.executable, "-m", "pip", "download", "--no-binary", "quickjs-ng", "--no-deps",
             "--disable-pip-version-check", "--quiet", "-d", downloads,
             f"quickjs-ng=={QUICKJS_NG_VERSION}"],
            what=f"downloading the quickjs-ng {QUICKJS_NG_VERSION} sources from PyPI",
        )  # fmt: skip
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != QUICKJS_NG_SHA256:
        sdist.unlink()
        raise ToolchainError(
            f"{sdist.name} has sha256 {digest}, expected {QUICKJS_NG_SHA256}: deleted it; retry"
        )
    _extract(sdist, target)
    if not (src / "quickjs.h").exists():
        raise ToolchainError(f"{sdist} has no upstream-quickjs/quickjs.h: delete it and retry")
    return src


def _extract(sdist: Path, target: Path) -> None:
    """Extract only ``*/upstream-quickjs/*`` of ``sdist`` into ``target/upstream-quickjs``."""
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "upstream-quickjs").mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and len(parts) == 3 and parts[1] == "upstream-quickjs":
                data = tar.extractfile(member)
                if data is not None:
                    (tmp / "upstream-quickjs" / parts[2]).write_bytes(data.read())
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def build_engine_objects(
    zig: Path, cc: list[str], *, src: Path, qjsc_c: Path, out: Path, env: dict[str, str]
) -> tuple[Path, Path]:
    """Compile QuickJS for wasm32-wasi and natively, two jobs at a time.

    Returns:
        ``(libquickjs.a, calimero-qjsc)`` inside ``out``.
    """
    wasm_dir, native_dir = out / "wasm", out / "native"
    wasm_dir.mkdir(parents=True, exist_ok=True)
    native_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[list[str | Path], str]] = []
    for name in ENGINE_SOURCES:  # quickjs.c first: the two long jobs start together
        obj = Path(name).with_suffix(".o")
        jobs.append(([*cc, *NATIVE_CFLAGS, f"-I{src}", "-c", src / name, "-o", native_dir / obj],
                     f"compiling {name} natively"))  # fmt: skip
        jobs.append(([zig, "cc", *WASM_CFLAGS, "-c", src / name, "-o", wasm_dir / obj],
                     f"compiling {name} for wasm32-wasi"))  # fmt: skip
    jobs.append(([*cc, *NATIVE_CFLAGS, f"-I{src}", "-c", qjsc_c, "-o", native_dir / "qjsc.o"],
                 "compiling calimero-qjsc"))  # fmt: skip
    run_parallel(jobs, env=env)
    lib = out / "libquickjs.a"
    wasm_objs = [wasm_dir / Path(n).with_suffix(".o") for n in ENGINE_SOURCES]
    run([zig, "ar", "rcs", lib, *wasm_objs], what="archiving libquickjs.a", env=env)
    qjsc = out / "calimero-qjsc"
    native_objs = [native_dir / Path(n).with_suffix(".o") for n in (*ENGINE_SOURCES, "qjsc.c")]
    run([*cc, "-o", qjsc, *native_objs, "-lm", "-lpthread"], what="linking calimero-qjsc")
    shutil.rmtree(wasm_dir)
    shutil.rmtree(native_dir)
    return lib, qjsc


def native_cc(zig: Path) -> list[str]:
    """Return the native C compiler command: the machine's ``cc``, else zig's."""
    found = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    return [found] if found else [str(zig), "cc"]


def cc_identity(cc: list[str]) -> str:
    """Return a cheap identity of the native compiler (path, size, mtime: no subprocess)."""
    path = Path(cc[0]).resolve()
    stat = path.stat()
    return f"{path}:{stat.st_size}:{int(stat.st_mtime)}"
