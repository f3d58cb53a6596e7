"""Provides where the project's data folders are: ``templates/`` and ``toolchain/``.

They live at the top of the repository; ``calimero_devnet/_templates`` and
``calimero_devnet/_toolchain`` are symlinks to them, which a wheel ships as real folders
(``pyproject.toml``'s package data), so a checkout, an editable install and an installed
wheel all find them inside the package. An environment variable overrides each.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str, env: str) -> Path:
    """The folder ``name`` (``templates`` or ``toolchain``): ``$env``, the wheel's, or the
    checkout's."""
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser().resolve()
    packaged = PACKAGE / f"_{name}"
    return packaged.resolve() if packaged.is_dir() else PACKAGE.parent / name
