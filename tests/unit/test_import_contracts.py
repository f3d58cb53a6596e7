"""Import contracts: one seam per external system, and a core that never loads the TUI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "calimero_devnet"

# Which part of the package may import each external system directly.
ALLOWED = {
    "textual": ("tui/",),
    "aiomqtt": ("node/bus/session.py",),
    "rocksdict": ("node/state/store.py",),
    "wasmtime": ("node/runtime/",),
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module that ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_each_external_system_is_imported_in_one_place_only() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for module in imported_modules(path) & ALLOWED.keys():
            if not where.startswith(ALLOWED[module]):
                offenders.append(f"{where} imports {module}")
    assert offenders == []


def test_core_modules_never_load_textual() -> None:
    script = (
        "import sys\n"
        "import calimero_devnet.cli, calimero_devnet.node.service, calimero_devnet.node.state.core\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
