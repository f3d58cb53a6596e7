"""Refuses, at build time, an app that calls an upstream SDK function the devnet does not
serve (``toolchain/sdk/src/internal/refused.ts``): the SDK marks each one's body, the
bundler keeps only the functions an app calls, and the marks left name them."""

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


def check_bundle(bundle: Path, app: str) -> None:
    """Refuse the bundle of ``app`` if it calls a function the devnet does not serve.

    Raises:
        ToolchainError: one line naming each refused function and why.
    """
    names = refused_calls(bundle.read_text(encoding="utf-8", errors="replace"))
    if not names:
        return
    reasons = "; ".join(f"env.{name}: {WHY.get(name, 'not served here')}" for name in names)
    raise ToolchainError(
        f"{app} calls upstream SDK functions a devnet node does not serve, refused now rather "
        f"than failing when the call runs; remove these calls. {reasons}"
    )
