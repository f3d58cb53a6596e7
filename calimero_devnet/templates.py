"""Provides ``devnet new DIR --template NAME``: start a TypeScript app from a bundled template.

Templates are app folders (``src/index.ts``, ``tsconfig.json``, ``package.json``, a README)
under ``templates/`` of the repository, or ``calimero_devnet/_templates/`` in an installed
wheel. Copying one also points its ``tsconfig.json`` at this machine's SDK sources (so
editors resolve ``@calimero/sdk`` without ``npm install``) and names the package after the
new folder.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from calimero_devnet.data_dirs import data_dir
from calimero_devnet.errors import ConfigError

TEMPLATES_ENV = "CALIMERO_DEVNET_TEMPLATES"
DEFAULT_TEMPLATE = "kv-store"
SDK_NAMES = ("@calimero/sdk", "@calimero-network/calimero-sdk-js")
_SKIPPED = shutil.ignore_patterns("build", "node_modules", ".work", "*.wasm")


def templates_root() -> Path:
    """Return the folder holding the templates (``$CALIMERO_DEVNET_TEMPLATES`` overrides)."""
    return data_dir("templates", TEMPLATES_ENV)


def available() -> list[str]:
    """Return the names of the templates (folders with ``src/index.ts``), sorted."""
    root = templates_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "src" / "index.ts").is_file())


def _unknown(name: str, names: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    listed = ", ".join(names) or f"none (no template folder at {templates_root()})"
    return ConfigError(f"unknown template {name!r}: {hint}the templates are: {listed}")


def template_dir(name: str = DEFAULT_TEMPLATE) -> Path:
    """Return the folder of template ``name`` (``devnet up`` builds ``kv-store`` from it).

    Raises:
        ConfigError: no such template (the message lists them).
    """
    names = available()
    if name not in names:
        raise _unknown(name, names)
    return templates_root() / name


def package_name(folder: Path) -> str:
    """Return an npm-style package name for an app folder (lower case, ``[a-z0-9._-]``)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", folder.resolve().name.lower()).strip("-._")
    return name or "app"


def sdk_paths(sdk_src: Path) -> dict[str, list[str]]:
    """Return tsconfig ``paths`` resolving the SDK (ours and upstream's name) to ``sdk_src``."""
    paths: dict[str, list[str]] = {}
    for name in SDK_NAMES:
        paths[name] = [str(sdk_src / "index.ts")]
        paths[f"{name}/*"] = [str(sdk_src / "*")]
    return paths


def _rewrite_json(path: Path, update: dict[str, Any]) -> None:
    """Merge ``update`` (one level deep) into the JSON object in ``path``, if it exists."""
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _sdk_src() -> Path:
    from calimero_devnet.toolchain.engine import toolchain_dir  # noqa: PLC0415 (light on use)

    return toolchain_dir() / "sdk" / "src"


def new_app(dest: Path, template: str = DEFAULT_TEMPLATE, *, sdk_src: Path | None = None) -> Path:
    """Copy ``template`` into ``dest`` (created; must be absent or empty); return ``dest``.

    Raises:
        ConfigError: the template does not exist (the message lists them and suggests the
            closest name), or ``dest`` is a file or a non-empty folder.
    """
    source = template_dir(template)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        kind = "a folder that is not empty" if dest.is_dir() else "a file"
        raise ConfigError(
            f"{dest} is {kind}: `devnet new` only writes into a new or empty folder "
            "(pick another name, or empty it first)"
        )
    shutil.copytree(source, dest, ignore=_SKIPPED, dirs_exist_ok=True)
    paths = sdk_paths(sdk_src or _sdk_src())
    _rewrite_json(dest / "tsconfig.json", {"compilerOptions": {"paths": paths}})
    _rewrite_json(dest / "package.json", {"name": package_name(dest)})
    return dest


def add_new_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``new`` to an ``argparse`` sub-parser set (``COMMANDS`` in the main CLI)."""
    parser = subparsers.add_parser(
        "new",
        help="start a TypeScript app from a template",
        description="Copy a template app into DIR (a new or empty folder).",
    )
    parser.add_argument("dir", type=Path, nargs="?", help="the folder to create")
    parser.add_argument("-t", "--template", default=DEFAULT_TEMPLATE,
                        help=f"the template to copy (default: {DEFAULT_TEMPLATE})")  # fmt: skip
    parser.add_argument("--list", action="store_true", help="list the templates and exit")
    parser.set_defaults(handler=run_new)


def run_new(args: argparse.Namespace) -> int:
    """Run ``devnet new`` for parsed ``args``; return the exit status.

    Raises:
        ConfigError: as :func:`new_app`, or when DIR is missing.
    """
    if args.list:
        print("\n".join(available()))
        return 0
    if args.dir is None:
        raise ConfigError("devnet new: give the folder to create, e.g. `devnet new my-app`")
    dest = new_app(Path(args.dir), args.template)
    print(f"created {dest} from the {args.template} template")
    print(f"next: devnet build {dest}    (then edit {dest / 'src' / 'index.ts'})")
    return 0
