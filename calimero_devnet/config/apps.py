"""Provides the ``[[apps]]`` of ``devnet.toml`` resolved on disk, and the bundled templates.

An app is a TypeScript folder (``src/index.ts``, built by ``devnet build``) or a ready
``.wasm`` file (e.g. one built by the Calimero Rust SDK). Without any ``[[apps]]`` the
cluster runs the bundled kv-store template.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from calimero_devnet.config.check import Where, join
from calimero_devnet.config.model import AppKind, AppSettings
from calimero_devnet.config.schema import NAME_PATTERN
from calimero_devnet.errors import ConfigError
from calimero_devnet.templates import DEFAULT_TEMPLATE, templates_root

ENTRY = Path("src") / "index.ts"
WASM_HEADER = b"\0asm\x01\0\0\0"  # the magic, then binary format version 1


def bundled_template(name: str = DEFAULT_TEMPLATE, roots: tuple[Path, ...] | None = None) -> Path:
    """The folder of the bundled template ``name``, searched in ``roots`` or the templates.

    Raises:
        ConfigError: when no root holds it (a broken install), saying where it looked.
    """
    roots = (templates_root(),) if roots is None else roots
    for root in roots:
        if (root / name / ENTRY).is_file():
            return root / name
    looked = ", ".join(str(root / name) for root in roots)
    raise ConfigError(
        f"the bundled template {name!r} is missing (looked in {looked}): reinstall "
        'calimero-devnet, or name your app in devnet.toml: [[apps]] path = "path/to/app"'
    )


def resolve_apps(
    entries: list[dict[str, Any]], base: Path, where: Where
) -> tuple[AppSettings, ...]:
    """The apps of ``entries`` (paths relative to ``base``), or the bundled default app."""
    if not entries:
        path = bundled_template()
        return (AppSettings(DEFAULT_TEMPLATE, path, "typescript", watch=False, bundled=True),)
    apps: dict[str, AppSettings] = {}
    for position, entry in enumerate(entries):
        at = f"apps[{position}]"
        app = _app(entry, base, at, where)
        if app.name in apps:
            problem = f"{app.name!r} names two apps: give each its own name (name = ...)"
            raise where.error(join(at, "name"), problem)
        apps[app.name] = app
    return tuple(apps.values())


def _app(entry: dict[str, Any], base: Path, at: str, where: Where) -> AppSettings:
    path = (base / Path(entry["path"]).expanduser()).resolve()
    problem = _path_problem(path)
    if problem is not None:
        raise where.error(join(at, "path"), problem)
    kind: AppKind = "typescript" if path.is_dir() else "wasm"
    name = entry.get("name") or _name_of(path)
    if not re.match(NAME_PATTERN, name):
        fix = 'add name = "my-app" (letters, digits, - and _)'
        raise where.error(join(at, "name"), f"cannot make a name out of {path.name!r}: {fix}")
    snapshot = entry.get("snapshot")  # None: snapshot when the app allows it
    if snapshot and kind == "wasm":
        raise where.error(join(at, "snapshot"), "applies to TypeScript apps only, not a .wasm")
    return AppSettings(name, path, kind, watch=entry.get("watch", True), snapshot=snapshot)


def _path_problem(path: Path) -> str | None:
    """Why ``path`` is not an app (a TypeScript folder or a .wasm file), or None."""
    if path.is_dir():
        if (path / ENTRY).is_file():
            return None
        return (
            f"{path} has no {ENTRY.as_posix()}: point path at a TypeScript app folder "
            "(`devnet new DIR` makes one) or at a .wasm file"
        )
    if not path.exists():
        return f"{path} does not exist: fix the path (it starts at the folder of devnet.toml)"
    if path.suffix != ".wasm":
        return f"{path} is neither a folder nor a .wasm file: point path at an app"
    return _wasm_problem(path)


def _wasm_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a WebAssembly module, or None.

    Checked here so ``devnet up`` refuses it before any process starts, not after the
    nodes are up and the first install fails.
    """
    try:
        with path.open("rb") as file:
            header = file.read(len(WASM_HEADER))
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc}): fix its permissions or rebuild it"
    if header[:4] != WASM_HEADER[:4]:
        return f"{path} is not a WebAssembly module (no \\0asm header): rebuild it"
    if header != WASM_HEADER:
        return f"{path} is not a version 1 WebAssembly module: rebuild it with a current SDK"
    return None


def _name_of(path: Path) -> str:
    """A default app name: the folder name, or the ``.wasm`` file name without suffix."""
    stem = path.stem if path.suffix == ".wasm" else path.name
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:32]
