"""Provides ``devnet.toml`` → ``DevnetConfig``: the strict, typed cluster spec of ``devnet up``.

The file is optional: without one, three nodes run the bundled kv-store template over the
embedded broker. Every key is declared and documented once, in ``config_schema``; the
checks that span keys (names, references, ports) live in ``config_build``, the typed
values in ``config_model``.

``python -m calimero_devnet.config.load --schema`` prints the JSON schema editors validate with;
``python -m calimero_devnet.config.load devnet.toml`` checks a file and prints what it resolves to.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from calimero_devnet.config.build import build_config
from calimero_devnet.config.model import (
    AppSettings,
    BrokerSettings,
    ClusterSettings,
    ContextSettings,
    DevnetConfig,
    NodeSettings,
    Overrides,
)
from calimero_devnet.config.schema import devnet_schema
from calimero_devnet.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "AppSettings",
    "BrokerSettings",
    "ClusterSettings",
    "ConfigError",
    "ContextSettings",
    "DevnetConfig",
    "NodeSettings",
    "Overrides",
    "devnet_schema",
    "find_config",
    "load_config",
    "schema_text",
]

CONFIG_FILE = "devnet.toml"


def find_config(folder: Path | None = None) -> Path | None:
    """``devnet.toml`` in ``folder`` (default: the current folder), if there is one."""
    candidate = (folder or Path.cwd()) / CONFIG_FILE
    return candidate if candidate.is_file() else None


def load_config(path: Path | None = None, overrides: Overrides | None = None) -> DevnetConfig:
    """Read and check ``path`` (``None``: defaults only), then apply ``overrides``.

    Raises:
        ConfigError: naming the file, the key path and the fix, for the first problem.
    """
    document = read_toml(path) if path is not None else {}
    return build_config(document, path, overrides or Overrides())


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; unreadable files and syntax errors become ``ConfigError``."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file: check the path, or run without it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def schema_text() -> str:
    """The JSON schema as committed in ``docs/devnet.schema.json``."""
    return json.dumps(devnet_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``--schema``: print the JSON schema; ``FILE``: check it and print the resolved config."""
    parser = argparse.ArgumentParser(prog="python -m calimero_devnet.config.load")
    parser.add_argument("file", nargs="?", type=Path, help="a devnet.toml to check")
    parser.add_argument("--schema", action="store_true", help="print the JSON schema")
    args = parser.parse_args(argv)
    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    try:
        config = load_config(args.file or find_config())
    except ConfigError as exc:
        print(f"devnet: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(config.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
