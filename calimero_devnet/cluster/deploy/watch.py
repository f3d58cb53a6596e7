"""Provides the source watcher of ``devnet up``: a save → one rebuild → a hot redeploy.

Every app with ``watch = true`` is watched (the bundled default app is not): a TypeScript
app's folder, for source files only (build output, ``node_modules`` and dot-folders are
ignored, so a build never triggers the next one), or a ``.wasm`` app's file. Changes that
arrive together (an editor writing several files, a formatter on save) are one rebuild
(``DEBOUNCE_MS``). A failed build (or one with type errors: the redeploy type-checks
next to the build) keeps the running version and prints the compiler's errors; a good
one is installed on every node and their contexts switch to it, keeping their state
(the ``redeploy`` it is given: ``Cluster.redeploy``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import watchfiles

from calimero_devnet.cluster.events import ClusterEvent, Problem, Step
from calimero_devnet.config.model import AppSettings

log = logging.getLogger(__name__)
DEBOUNCE_MS = 150
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".js", ".mjs", ".json")
IGNORED_DIRS = ("build", "dist", "node_modules", ".work", ".devnet", ".git")


class SourceFilter(watchfiles.DefaultFilter):
    """Source files of the watched apps; never build output, dependencies or dot-folders."""

    def __init__(self, apps: Sequence[AppSettings]) -> None:
        """Accept the sources of these apps only."""
        super().__init__(ignore_dirs=(*watchfiles.DefaultFilter.ignore_dirs, *IGNORED_DIRS))
        self._wasm = {app.path for app in apps if app.kind == "wasm"}
        self._folders = [app.path for app in apps if app.kind == "typescript"]

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        """Whether a change of ``path`` can change an app."""
        where = Path(path)
        if where in self._wasm:
            return change != watchfiles.Change.deleted  # a rebuild in progress; wait for it
        if not path.endswith(SOURCE_SUFFIXES) or not super().__call__(change, path):
            return False
        for folder in self._folders:
            if where.is_relative_to(folder):
                inside = where.relative_to(folder).parts[:-1]
                return not any(part.startswith(".") or part in IGNORED_DIRS for part in inside)
        return False


def sources_stamp(app: AppSettings) -> frozenset[tuple[str, int, int]]:
    """(path, size, mtime) of every source of ``app``: equal stamps, unchanged sources.

    Taken before and after a build, it tells whether a save was still being written while
    the build read the files, so that build is never deployed.
    """
    if app.kind == "wasm":
        files = [app.path]
    else:
        files = []
        for folder, dirs, names in os.walk(app.path):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS]
            files += [Path(folder, n) for n in names if n.endswith(SOURCE_SUFFIXES)]
    stamp = set()
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue  # deleted meanwhile: its absence is the difference
        stamp.add((str(path), info.st_size, info.st_mtime_ns))
    return frozenset(stamp)


def watched(apps: Sequence[AppSettings]) -> list[AppSettings]:
    """The apps to watch: ``watch = true`` and not the bundled default."""
    return [app for app in apps if app.watch and not app.bundled]


def watch_root(app: AppSettings) -> Path:
    """What to watch for ``app``: its folder, or the folder holding its ``.wasm``."""
    return app.path if app.kind == "typescript" else app.path.parent


def apps_touched(apps: Sequence[AppSettings], paths: Sequence[str]) -> list[str]:
    """The names of the apps ``paths`` belong to, in config order."""
    touched = []
    for app in apps:
        for raw in paths:
            path = Path(raw)
            hit = path == app.path if app.kind == "wasm" else path.is_relative_to(app.path)
            if hit:
                touched.append(app.name)
                break
    return touched


async def watch_apps(
    configured: Sequence[AppSettings],
    redeploy: Callable[[str], Awaitable[object]],
    emit: Callable[[ClusterEvent], None],
) -> None:
    """Watch the apps and ``redeploy`` each changed one by name, until cancelled."""
    apps = watched(configured)
    if not apps:
        return
    roots = sorted({watch_root(app) for app in apps})
    names = ", ".join(app.name for app in apps)
    emit(Step(f"watching {names} for changes (save to rebuild and redeploy)"))
    changes = watchfiles.awatch(
        *roots, watch_filter=SourceFilter(apps), debounce=DEBOUNCE_MS, step=30
    )
    async for batch in changes:
        paths = sorted({path for _change, path in batch})
        for name in apps_touched(apps, paths):
            shown = ", ".join(Path(p).name for p in paths[:3])
            emit(Step(f"{name}: {shown} changed, rebuilding…"))
            try:
                await redeploy(name)
            except Exception as exc:  # a node refused it: say so, keep watching
                log.exception("redeploy of %s failed", name)
                emit(Problem(f"redeploy of {name} failed: {exc}"))
