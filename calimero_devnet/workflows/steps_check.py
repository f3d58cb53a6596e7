"""Provides ``check_step``: the value checks of one step's fields (types, paths, modes).

A ``Problem`` is either an error in the file or, when ``unsupported``, a field value that
asks for something devnet does not have (a registry install, a Docker script target...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calimero_devnet.workflows.fuzz_plan import check_methods
from calimero_devnet.workflows.placeholders import PLACEHOLDER
from calimero_devnet.workflows.source import Located

FAILURE_MODES = ("fail-slow", "fail-fast", "continue-on-error")
NUMBER_FIELDS = (
    "seconds",
    "timeout",
    "check_interval",
    "initial_check_interval",
    "backoff_factor",
    "wait_timeout",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with a step (``line``: 0 for the step's own)."""

    text: str
    unsupported: bool = False
    line: int = 0


def check_step(kind: str, raw: Located, cwd: Path) -> Problem | None:
    """The first problem of ``raw``'s values, or None."""
    for key in NUMBER_FIELDS:
        value = raw.get(key)
        if key in raw and not _is_number(value) and not _is_placeholder(value):
            return Problem(f"{key}: give a number of seconds, not {value!r}", line=_at(raw, key))
    check = _CHECKS.get(kind)
    return check(raw, cwd) if check is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER.search(value) is not None


def _at(raw: Located, key: str) -> int:
    return raw.key_lines.get(key, raw.line)


def _install(raw: Located, cwd: Path) -> Problem | None:
    if "package" in raw or "version" in raw:
        return Problem("installs from a registry (package/version): give a path", True)
    if "path" not in raw:
        return Problem("'path' is required: a .wasm, or an app folder with src/index.ts")
    text = raw["path"]
    if not isinstance(text, str):
        return Problem("path: give a path", line=_at(raw, "path"))
    return None if _is_placeholder(text) else _app_path(raw, text, cwd)


def _app_path(raw: Located, text: str, cwd: Path) -> Problem | None:
    path = (cwd / text).resolve()
    if path.suffix == ".mpk":
        return Problem(
            f"path {text}: .mpk bundles are not supported: give the .wasm inside "
            "it, or the app's folder",
            True,
        )
    if path.is_dir() and not (path / "src" / "index.ts").is_file():
        return Problem(f"path {text}: {path} has no src/index.ts", line=_at(raw, "path"))
    if not path.is_dir() and path.suffix != ".wasm":
        return Problem(f"path {text}: give a .wasm file or an app folder", line=_at(raw, "path"))
    if not path.exists():
        return Problem(
            f"path {text}: {path} does not exist (paths resolve against the current folder)",
            line=_at(raw, "path"),
        )
    return None


def _wait_for_sync(raw: Located, _: Path) -> Problem | None:
    if "context_id" not in raw:
        if "group_id" in raw:
            return Problem("waits for a group's state (group_id): devnet has no groups", True)
        return Problem("'context_id' is required")
    if not isinstance(raw["nodes"], list) or not raw["nodes"]:
        return Problem("nodes: give a list of nodes", line=_at(raw, "nodes"))
    return None


def _repeat(raw: Located, _: Path) -> Problem | None:
    count = raw["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return Problem(f"count: give a whole number ≥ 1, not {count!r}", line=_at(raw, "count"))
    return None


def _parallel(raw: Located, _: Path) -> Problem | None:
    mode = raw.get("failure_mode", "fail-slow")
    if mode not in FAILURE_MODES:
        return Problem(
            f"failure_mode: one of {', '.join(FAILURE_MODES)}, not {mode!r}",
            line=_at(raw, "failure_mode"),
        )
    if raw.get("mode", "burst") != "burst":
        return Problem(f"mode {raw['mode']!r}: only burst (every group at once) runs here", True)
    return None


def _script(raw: Located, cwd: Path) -> Problem | None:
    target = raw.get("target", "local")
    if target in ("image", "nodes"):
        return Problem(f"script target {target!r} runs inside Docker: use target: local", True)
    if target != "local":
        return Problem(f"target: image, nodes or local, not {target!r}", line=_at(raw, "target"))
    text = raw["script"]
    if isinstance(text, str) and not _is_placeholder(text) and not (cwd / text).is_file():
        return Problem(
            f"script {text}: no such file (paths resolve against the current folder)",
            line=_at(raw, "script"),
        )
    return None


def _call(raw: Located, _: Path) -> Problem | None:
    args = raw.get("args")
    if args is not None and not isinstance(args, dict) and not _is_placeholder(args):
        return Problem("args: give a mapping of argument: value", line=_at(raw, "args"))
    return None


def _partition(raw: Located, _: Path) -> Problem | None:
    groups = raw["groups"]
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        return Problem(
            "groups: give a list of node lists, e.g. [[node-1], [node-2, node-3]]",
            line=_at(raw, "groups"),
        )
    return None


def _needs(raw: Located, fields: tuple[str, ...], what: str) -> Problem | None:
    """Refuse merobox's namespace form of an invitation step; require the context form."""
    if "namespace_id" in raw or "group_id" in raw:
        return Problem(f"{what} a namespace (namespace_id/group_id): there are no namespaces "
                       f"here; give {', '.join(fields)}", True)  # fmt: skip
    missing = [key for key in fields if key not in raw]
    return Problem(f"{missing[0]!r} is required") if missing else None


def _invite(raw: Located, _: Path) -> Problem | None:
    return _needs(raw, ("context_id", "granter_id", "grantee_id"), "invites into")


def _join(raw: Located, _: Path) -> Problem | None:
    return _needs(raw, ("context_id", "invitation"), "joins")


def _join_open(raw: Located, _: Path) -> Problem | None:
    return _needs(raw, ("invitee_id", "invitation"), "joins")


def _links(raw: Located) -> Problem | None:
    """``from`` and ``to``, or ``nodes``: one of the two ways to name links."""
    if "nodes" in raw and ("from" in raw or "to" in raw):
        return Problem("give from and to, or nodes, not both", line=_at(raw, "nodes"))
    if "nodes" not in raw and ("from" not in raw or "to" not in raw):
        return Problem("name the links: from and to (one way), or nodes (every link among them)")
    return _whole(raw, "seed", low=0)


def _amount(raw: Located, key: str, high: float, unit: str) -> Problem | None:
    if key not in raw:
        return None
    value = raw[key]
    if _is_placeholder(value) or (_is_number(value) and value <= high):
        return None
    return Problem(f"{key}: give {unit} from 0 to {high:g}, not {value!r}", line=_at(raw, key))


def _whole(raw: Located, key: str, low: int) -> Problem | None:
    value = raw.get(key)
    if key not in raw or _is_placeholder(value):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        return Problem(f"{key}: give a whole number ≥ {low}, not {value!r}", line=_at(raw, key))
    return None


def _latency(raw: Located, _: Path) -> Problem | None:
    checks = (_links(raw), _amount(raw, "ms", 60_000, "milliseconds"),
              _amount(raw, "jitter_ms", 60_000, "milliseconds"))  # fmt: skip
    return next((problem for problem in checks if problem is not None), None)


def _loss(raw: Located, _: Path) -> Problem | None:
    return _links(raw) or _amount(raw, "percent", 100, "a percentage")


def _redeploy(raw: Located, cwd: Path) -> Problem | None:
    text = raw["path"]
    if not isinstance(text, str):
        return Problem("path: give the app's folder (or a .wasm)", line=_at(raw, "path"))
    return None if _is_placeholder(text) else _app_path(raw, text, cwd)


def _fuzz(raw: Located, _: Path) -> Problem | None:
    for key, low in (("calls", 1), ("seed", 0), ("concurrency", 1), ("partitions", 0)):
        problem = _whole(raw, key, low)
        if problem is not None:
            return problem
    if "allow_errors" in raw and not isinstance(raw["allow_errors"], bool):
        return Problem("allow_errors: give true or false", line=_at(raw, "allow_errors"))
    text = check_methods(raw["methods"])
    return None if text is None else Problem(text, line=_at(raw, "methods"))


_CHECKS: dict[str, Callable[[Located, Path], Problem | None]] = {
    "invite_identity": _invite,
    "invite": _invite,
    "join": _join,
    "join_open": _join_open,
    "install_application": _install,
    "wait_for_sync": _wait_for_sync,
    "repeat": _repeat,
    "parallel": _parallel,
    "script": _script,
    "call": _call,
    "partition": _partition,
    "latency": _latency,
    "loss": _loss,
    "redeploy": _redeploy,
    "fuzz": _fuzz,
}
