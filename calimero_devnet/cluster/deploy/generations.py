"""Provides context generations: how ``devnet reset CONTEXT`` starts a context afresh.

A reset gives the context a new id rather than emptying the old one in place: deltas and
heads announcements of the old context still in flight (or held by a node that was down
during the reset) then name an id nobody replicates any more, and can never merge into the
new state. Generation ``n`` of a context derives its id from ``<seed>#reset-<n>``; the
numbers live in ``<data_dir>/generations.json`` so a restarted cluster finds the same ids.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from calimero_devnet.cluster.deploy.install import context_id
from calimero_devnet.config.model import ContextSettings
from calimero_devnet.errors import ClusterError

GENERATIONS_FILE = "generations.json"


def seed_of(seed: str, generation: int) -> str:
    """The seed of a context's ``generation`` (0: the configured seed itself)."""
    return seed if generation == 0 else f"{seed}#reset-{generation}"


def at_generation(context: ContextSettings, generation: int) -> ContextSettings:
    """``context`` with the seed of its ``generation``."""
    return replace(context, seed=seed_of(context.seed, generation))


def earlier_ids(context: ContextSettings, generation: int) -> list[str]:
    """The ids of every generation of ``context`` before ``generation``."""
    return [context_id(seed_of(context.seed, older)) for older in range(generation)]


def load_generations(data_dir: Path) -> dict[str, int]:
    """Context name → its generation (missing: 0).

    Raises:
        ClusterError: the file exists but is not what this module writes.
    """
    path = data_dir / GENERATIONS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ClusterError(f"{path} is unreadable ({exc}): remove it or use --fresh") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in data.items()
    ):
        raise ClusterError(f"{path} must map context names to generations: remove it")
    return data


def save_generations(data_dir: Path, generations: dict[str, int]) -> None:
    """Write the generations atomically."""
    path = data_dir / GENERATIONS_FILE
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(generations, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)
