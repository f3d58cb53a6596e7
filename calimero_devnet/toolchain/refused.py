"""Refuses, at build time, an app that calls an upstream SDK function the devnet does not
serve (``toolchain/sdk/src/internal/refused.ts``): the SDK marks each one's body and the
bundler keeps the functions an app may reach, so the marks left name the candidates; a
candidate counts when the app's own sources name it. (The bundler cannot drop one function
of a namespace used as a value, as `import { env } from '@calimero/sdk'` is: every mark of
`env` stays then, whatever the app calls.)"""

from __future__ import annotations

import re
from pathlib import Path

from calimero_devnet.errors import ToolchainError

_MARK = re.compile(r"__calimero_refused__:(\w+)")

WHY = {
    "contextAddMember": "members are the nodes that join a context (`devnet join`, no "
    "invitation needed), not ones an app adds",
    "contextRemoveMember": "a devnet has no context governance: every node may join any context",
    "contextCreate": "contexts are made through the admin API (`devnet up`, `POST "
    "/admin-api/contexts`), not by apps",
    "contextDelete": "contexts are deleted through the admin API (`devnet reset`), not by apps",
    "contextResolveAlias": "apps create no child contexts here, so there are no aliases to resolve",
}


def refused_calls(bundle_text: str) -> list[str]:
    """The refused SDK functions ``bundle_text`` calls, sorted, each once."""
    return sorted(set(_MARK.findall(bundle_text)))


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".mjs")


def named_in_sources(sources: Path, names: list[str]) -> list[str]:
    """The ``names`` that the files under ``sources`` mention outside comments."""
    if not names:
        return []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    found: set[str] = set()
    for path in sorted(sources.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts:
            code = _COMMENT.sub("", path.read_text(encoding="utf-8", errors="replace"))
            found.update(pattern.findall(code))
    return sorted(found)


def check_bundle(bundle: Path, app: str, sources: Path) -> None:
    """Refuse the bundle of ``app`` if its sources call a function the devnet does not serve.

    Raises:
        ToolchainError: one line naming each refused function and why.
    """
    marked = refused_calls(bundle.read_text(encoding="utf-8", errors="replace"))
    names = named_in_sources(sources, marked)
    if not names:
        return
    reasons = "; ".join(f"env.{name}: {WHY.get(name, 'not served here')}" for name in names)
    raise ToolchainError(
        f"{app} calls upstream SDK functions a devnet node does not serve, refused now rather "
        f"than failing when the call runs; remove these calls. {reasons}"
    )
