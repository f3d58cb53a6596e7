"""Import contracts: the folders' rules, checked on the real package and shown to bite.

- each external system is imported in one place only (its seam);
- ``node/sync/`` (the pure replication core) reaches no I/O: no asyncio, aiomqtt, aiohttp,
  rocksdict, wasmtime, and not the store, through any chain of imports;
- ``node/`` imports nothing of ``cluster/``;
- no module imports another in a circle.

Every rule is also run on a small package written with one violation each, to show it fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_graph import ImportGraph

PACKAGE = Path(__file__).resolve().parents[2] / "calimero_devnet"

# Which part of the package may import each external system directly.
SEAMS = {
    "textual": ("tui",),
    "textual_serve": ("tui",),
    "aiomqtt": ("node.bus.session",),
    "rocksdict": ("node.state.store",),
    "wasmtime": ("node.runtime",),
    "watchfiles": ("cluster.deploy.watch",),
}
PURE_CORE = "node.sync"
PURE_CORE_FORBIDDEN = {"asyncio", "aiomqtt", "aiohttp", "rocksdict", "wasmtime"}
PURE_CORE_FORBIDDEN_MODULES = ("node.state.store",)


def seam_breaches(graph: ImportGraph) -> list[str]:
    """``module imports system`` for every import of a system outside its seam."""
    found = []
    for module, outer in sorted(graph.outer.items()):
        local = module.removeprefix(graph.package + ".")
        for system in sorted(outer & SEAMS.keys()):
            if not any(local == seam or local.startswith(seam + ".") for seam in SEAMS[system]):
                found.append(f"{local} imports {system}")
    return found


def pure_core_breaches(graph: ImportGraph) -> list[str]:
    """Import chains from the pure core to I/O, as ``a → b → system``."""
    forbidden = {f"{graph.package}.{name}" for name in PURE_CORE_FORBIDDEN_MODULES}
    found = set()
    for start in graph.modules_under(f"{graph.package}.{PURE_CORE}"):
        for module, chain in graph.reach(start).items():
            if module in forbidden:
                found.add(" → ".join(chain))
            for system in graph.outer.get(module, set()) & PURE_CORE_FORBIDDEN:
                found.add(" → ".join([*chain, system]))
    return sorted(found)


def layer_breaches(graph: ImportGraph, lower: str, upper: str) -> list[str]:
    """``a imports b`` for every module of ``lower`` importing one of ``upper``."""
    top = f"{graph.package}.{upper}"
    return [
        f"{module} imports {target}"
        for module in graph.modules_under(f"{graph.package}.{lower}")
        for target in sorted(graph.inner[module])
        if target == top or target.startswith(top + ".")
    ]


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return ImportGraph.read(PACKAGE)


def test_each_external_system_is_imported_in_its_seam_only(graph: ImportGraph) -> None:
    assert seam_breaches(graph) == []


def test_the_pure_replication_core_reaches_no_io(graph: ImportGraph) -> None:
    assert graph.modules_under(f"calimero_devnet.{PURE_CORE}")  # the rule checks something
    assert pure_core_breaches(graph) == []


def test_the_node_never_imports_the_manager(graph: ImportGraph) -> None:
    assert layer_breaches(graph, "node", "cluster") == []


def test_the_cluster_library_never_imports_the_ui(graph: ImportGraph) -> None:
    # Only the verbs (cluster/commands/, the outermost layer) may open the UI.
    breaches = layer_breaches(graph, "cluster", "tui")
    assert [b for b in breaches if not b.startswith("calimero_devnet.cluster.commands.")] == []
    assert layer_breaches(graph, "node", "tui") == []


def test_the_ui_drives_the_library_not_the_verbs(graph: ImportGraph) -> None:
    assert layer_breaches(graph, "tui", "cluster.commands") == []


def test_no_module_imports_another_in_a_circle(graph: ImportGraph) -> None:
    assert graph.cycles() == []


def _stdout_of(script: str) -> str:
    """What a fresh interpreter running ``script`` prints (it starts with no module loaded)."""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def test_core_modules_never_load_textual() -> None:
    script = (
        "import sys\n"
        "import calimero_devnet.cli, calimero_devnet.node.service\n"
        "import calimero_devnet.node.state.core, calimero_devnet.cluster.manager\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "print(','.join(loaded))\n"
    )
    assert _stdout_of(script) == ""


# What a node process must not load: the manager's and the UI's libraries, and the parts of
# cryptography it has no use for (each is megabytes of RSS and tens of ms per node).
NODE_PROCESS_FORBIDDEN = (
    "textual",
    "httpx",
    "calimero_devnet.cluster",
    "calimero_devnet.toolchain",
    "calimero_devnet.tui",
    "cryptography.hazmat.primitives.serialization",
)


def test_a_node_process_loads_only_what_a_node_needs() -> None:
    script = (
        "import sys\n"
        "import calimero_devnet.node.__main__, calimero_devnet.node.service\n"
        "import calimero_devnet.node.state.core, calimero_devnet.node.replication.replicator\n"
        f"bad = {NODE_PROCESS_FORBIDDEN!r}\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(bad))))\n"
    )
    assert _stdout_of(script) == ""


def test_importing_the_pure_core_loads_no_io() -> None:
    # The static graph skips package __init__ files run on the way; this checks for real.
    script = (
        "import importlib, pkgutil, sys\n"
        "import calimero_devnet.node.sync as core\n"
        "for info in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module(f'calimero_devnet.node.sync.{info.name}')\n"
        f"bad = {sorted(PURE_CORE_FORBIDDEN)!r}\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in bad)))\n"
    )
    assert _stdout_of(script) == ""


# A package breaking each rule once: the checks above must name every breach.
BROKEN = {
    "__init__.py": "",
    "node/__init__.py": "",
    "node/sync/__init__.py": "",
    "node/sync/dag.py": "from brokenpkg.node.sync import helpers\n",
    "node/sync/helpers.py": "def later() -> None:\n    import asyncio\n",
    "node/state/__init__.py": "",
    "node/state/store.py": "import rocksdict\n",
    "node/sync/fetch.py": "from brokenpkg.node.state.store import x\n",
    "node/service.py": "from brokenpkg.cluster.handle import Cluster\n",
    "cluster/__init__.py": "",
    "cluster/handle.py": "from brokenpkg.cluster import rollout\n",
    "cluster/rollout.py": "from brokenpkg.cluster.handle import Cluster\nimport textual\n",
}


@pytest.fixture
def broken(tmp_path: Path) -> ImportGraph:
    root = tmp_path / "brokenpkg"
    for name, text in BROKEN.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return ImportGraph.read(root)


def test_a_seam_breach_is_found(broken: ImportGraph) -> None:
    assert seam_breaches(broken) == ["cluster.rollout imports textual"]


def test_io_reached_from_the_pure_core_is_found_with_its_chain(broken: ImportGraph) -> None:
    assert pure_core_breaches(broken) == [
        "brokenpkg.node.sync.dag → brokenpkg.node.sync.helpers → asyncio",
        "brokenpkg.node.sync.fetch → brokenpkg.node.state.store",
        "brokenpkg.node.sync.fetch → brokenpkg.node.state.store → rocksdict",
        "brokenpkg.node.sync.helpers → asyncio",
    ]


def test_a_node_module_importing_the_manager_is_found(broken: ImportGraph) -> None:
    assert layer_breaches(broken, "node", "cluster") == [
        "brokenpkg.node.service imports brokenpkg.cluster.handle"
    ]


def test_a_circle_is_found(broken: ImportGraph) -> None:
    assert broken.cycles() == [["brokenpkg.cluster.handle", "brokenpkg.cluster.rollout"]]
