"""Provides the UI's side of recording a session: the cluster's setup, and the saved file.

The journal itself (``workflows/record.py``) knows the workflow format; this module knows
the UI's model: which apps run (from the cluster's app list), which contexts exist, which
app each runs and on which nodes (from the status views).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calimero_devnet.tui.model import TuiModel
from calimero_devnet.workflows.record import AppSetup, ContextSetup, Recorder, Setup, workflow_text


def session_setup(model: TuiModel, apps: Sequence[dict[str, Any]], cwd: Path) -> Setup:
    """The nodes, apps and contexts a replay must build first."""
    contexts = []
    for name in model.contexts:
        members = tuple(n.name for n in model.nodes.values() if name in n.views)
        app_ids = (n.views[name].app_id for n in model.nodes.values() if name in n.views)
        app = next((model.app_versions[i][0] for i in app_ids if i in model.app_versions), name)
        contexts.append(ContextSetup(name, app, members or tuple(model.node_names)))
    known = tuple(
        AppSetup(str(app["name"]), _relative(Path(str(app["path"])), cwd))
        for app in apps
        if app.get("path")
    )
    return Setup(tuple(model.node_names), known, tuple(contexts))


def save_session(recorder: Recorder, setup: Setup, cwd: Path) -> Path:
    """Write the session to ``devnet-session-<date>-<time>.yml`` in ``cwd``; its path.

    Raises:
        ValueError: a context the session used runs an app this UI does not know the path of.
        OSError: the file cannot be written.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = cwd / f"devnet-session-{stamp}.yml"
    path.write_text(workflow_text(recorder, setup, f"devnet session {stamp}"), encoding="utf-8")
    return path


def _relative(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when inside it (a file others can replay), else as is."""
    try:
        return "./" + str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return os.fspath(path)
