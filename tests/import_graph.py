"""Provides the import graph of a package, read from its source, for the import-contract tests.

Every ``import`` counts, wherever it stands (module level, ``TYPE_CHECKING``, inside a
function): a contract broken lazily is still broken.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportGraph:
    """Modules of one package, the package modules each imports, and its outside imports."""

    package: str
    paths: dict[str, Path] = field(default_factory=dict)
    inner: dict[str, set[str]] = field(default_factory=dict)
    outer: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path) -> ImportGraph:
        """Read every module below ``root`` (a package folder)."""
        graph = cls(root.name)
        for path in sorted(root.rglob("*.py")):
            graph.paths[_module_name(root, path)] = path
        for name, path in graph.paths.items():
            graph._add(name, ast.parse(path.read_text(encoding="utf-8")))
        return graph

    def _add(self, name: str, tree: ast.Module) -> None:
        inner, outer = self.inner.setdefault(name, set()), self.outer.setdefault(name, set())
        for imported in _imported_names(tree):
            if imported.split(".")[0] == self.package:
                target = self._resolve(imported)
                if target is not None and target != name:
                    inner.add(target)
            else:
                outer.add(imported.split(".")[0])

    def _resolve(self, dotted: str) -> str | None:
        """The module ``dotted`` names, or the nearest enclosing one that exists."""
        while dotted and dotted not in self.paths:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    def modules_under(self, prefix: str) -> list[str]:
        """Modules whose dotted name is ``prefix`` or starts with ``prefix.``."""
        return [m for m in self.paths if m == prefix or m.startswith(prefix + ".")]

    def reach(self, start: str) -> dict[str, list[str]]:
        """Every module ``start`` imports, directly or not, with one import chain to it."""
        chains = {start: [start]}
        todo = [start]
        while todo:
            current = todo.pop()
            for nxt in sorted(self.inner.get(current, ())):
                if nxt not in chains:
                    chains[nxt] = [*chains[current], nxt]
                    todo.append(nxt)
        return chains

    def cycles(self) -> list[list[str]]:
        """Groups of modules that import each other in a circle (strongly connected)."""
        return [sorted(group) for group in _strong_components(self.inner) if len(group) > 1]


def _module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from pkg import mod`` imports the module pkg.mod when there is one.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _strong_components(edges: dict[str, set[str]]) -> Iterable[list[str]]:
    """Tarjan's algorithm, iterative (the graph can be deeper than the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    yield group
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
