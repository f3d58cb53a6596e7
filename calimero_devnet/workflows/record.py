"""Provides ``Recorder``: what a user did to a running cluster, written as a workflow file.

The terminal UI tells the recorder each call, partition, heal, node action and snapshot as
it happens, with whether the cluster had converged at that moment. ``workflow_text`` turns
the journal into a file ``devnet run`` replays on a fresh cluster: the apps installed and
their contexts made first, then the steps in order. Two things make the replay see what the
user saw. Where the cluster had converged since the last write, a ``wait_converged`` goes
before the next step (the user waited for it, perhaps without knowing). A read's answer
becomes a ``json_assert``, so the replay checks it; a call that failed is replayed with
``expected_failure``. What has no step (a context reset) is listed in the file's header.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class AppSetup:
    """An app the cluster runs: its ``name`` and ``path`` (sources or ``.wasm``)."""

    name: str
    path: str


@dataclass(frozen=True, slots=True)
class ContextSetup:
    """A context: its ``name``, the app it runs, and its member ``nodes`` (creator first)."""

    name: str
    app: str
    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Setup:
    """What the replay must build before the recorded steps: nodes, apps, contexts."""

    nodes: tuple[str, ...]
    apps: tuple[AppSetup, ...]
    contexts: tuple[ContextSetup, ...]


@dataclass
class Recorder:
    """The journal of one session; see the module docstring."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    contexts: set[str] = field(default_factory=set)  # the contexts the steps touch
    _unsettled: bool = False  # a change since the last wait_converged
    _snapshots: set[str] = field(default_factory=set)  # the snapshots the steps save
    _reads: int = 0

    def call(
        self, node: str, context: str, method: str, args: Any, *,
        converged: bool, result: dict[str, Any] | None = None, error: str | None = None,
    ) -> None:  # fmt: skip
        """A call and how it went: ``result`` (the node's answer) or ``error``."""
        self._settle(converged)
        self.contexts.add(context)
        label = f"{node} {method} {json.dumps(args, ensure_ascii=False)}"
        step: dict[str, Any] = {"name": label, "type": "call", "node": node,
                                "context_id": _placeholder(context), "method": method,
                                "args": args}  # fmt: skip
        wrote = bool(result and (result.get("trace") or {}).get("delta"))
        if error is not None:
            step["expected_failure"] = True
        elif result is not None and not wrote and result.get("output") is not None:
            self._reads += 1
            name = f"read_{self._reads}"
            step["outputs"] = {name: "result"}
            self.steps.append(step)
            expected = json.dumps({"output": result["output"]}, ensure_ascii=False)
            statement = f"json_equal({{{{{name}}}}}, {expected})"
            self.steps.append({"type": "json_assert", "statements": [statement]})
            return
        self.steps.append(step)
        self._unsettled = self._unsettled or wrote

    def partition(self, groups: Sequence[Sequence[str]], *, converged: bool) -> None:
        """The network cut into ``groups``."""
        self._settle(converged)
        label = " | ".join(" ".join(group) for group in groups)
        self.steps.append({"name": f"partition {label}", "type": "partition",
                           "groups": [list(g) for g in groups]})  # fmt: skip

    def heal(self, *, converged: bool) -> None:
        """Every partition and link fault removed."""
        self._settle(converged)
        self.steps.append({"type": "heal"})
        self._unsettled = True

    def link_fault(
        self, sender: str, receiver: str, ms: float, loss: float, *, both: bool, converged: bool
    ) -> None:
        """Messages ``sender`` → ``receiver`` (and back when ``both``) delayed ``ms`` and
        ``loss`` % of them dropped (0 and 0: the link is clear again)."""
        self._settle(converged)
        link: dict[str, Any] = (
            {"nodes": [sender, receiver]} if both else {"from": sender, "to": receiver}
        )
        arrow = "<>" if both else ">"
        self.steps.append({"name": f"latency {sender}{arrow}{receiver} {ms:g} ms",
                           "type": "latency", **link, "ms": ms})  # fmt: skip
        self.steps.append({"name": f"loss {sender}{arrow}{receiver} {loss:g} %",
                           "type": "loss", **link, "percent": loss})  # fmt: skip

    def node_action(self, action: str, node: str, *, converged: bool) -> None:
        """``kill``, ``stop``, ``start`` or ``restart`` of one node."""
        kinds = {"kill": "kill", "restart": "restart", "stop": "stop_node", "start": "start_node"}
        if action not in kinds:
            self.not_replayable(f"{action} {node}")
            return
        self._settle(converged)
        self.steps.append({"name": f"{action} {node}", "type": kinds[action], "nodes": [node]})
        self._unsettled = self._unsettled or action in {"restart", "start"}

    def snapshot(self, name: str, *, converged: bool) -> None:
        """The cluster saved as snapshot ``name``."""
        self._settle(converged)
        self.steps.append({"name": f"snapshot {name}", "type": "snapshot", "snapshot": name})
        self._snapshots.add(name)

    def restore(self, name: str, *, converged: bool) -> None:
        """Every node put back to snapshot ``name``; replayable only when the session saved
        it (the replay's cluster has no snapshot from before)."""
        if name not in self._snapshots:
            self.not_replayable(f"restore {name} (a snapshot from before the session)")
            return
        self._settle(converged)
        self.steps.append({"name": f"restore {name}", "type": "restore", "snapshot": name})

    def not_replayable(self, what: str) -> None:
        """Something done that no step replays (it is named in the file's header)."""
        self.skipped.append(f"{time.strftime('%H:%M:%S')} {what}")

    def finish(self, *, converged: bool) -> None:
        """The session ends here: a last wait if the cluster had settled."""
        self._settle(converged)

    def _settle(self, converged: bool) -> None:
        if converged and self._unsettled:
            self.steps.append({"name": "converged, as in the session", "type": "wait_converged",
                               "timeout": 30})  # fmt: skip
            self._unsettled = False


def workflow_text(recorder: Recorder, setup: Setup, name: str) -> str:
    """The workflow file for ``recorder``'s journal on a cluster like ``setup``.

    Raises:
        ValueError: a context the steps use runs an app ``setup`` has no path for.
    """
    header = [f"# Recorded by the devnet terminal UI on {time.strftime('%Y-%m-%d %H:%M')}.",
              "# Replay: devnet run <this file>"]  # fmt: skip
    header += [f"# not recorded (no step replays it): {what}" for what in recorder.skipped]
    document = {
        "name": name,
        "description": "A devnet terminal UI session: calls, partitions, heals, node actions.",
        "nodes": _nodes(setup.nodes),
        "steps": _setup_steps(setup, recorder.contexts) + recorder.steps,
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n\n" + body


def _nodes(names: Sequence[str]) -> dict[str, Any]:
    """``count`` + ``prefix`` when the names are ``<prefix>-1..N``, else each by name."""
    found = re.fullmatch(r"(.+)-1", names[0]) if names else None
    prefix = found.group(1) if found else None
    if prefix and list(names) == [f"{prefix}-{i}" for i in range(1, len(names) + 1)]:
        return {"count": len(names), "prefix": prefix}
    return {name: {} for name in names}


def _setup_steps(setup: Setup, used: set[str]) -> list[dict[str, Any]]:
    """Install every app a recorded context runs; make those contexts on their nodes."""
    contexts = [c for c in setup.contexts if c.name in used]
    apps = {c.app for c in contexts}
    unknown = sorted(apps - {app.name for app in setup.apps})
    if unknown:
        raise ValueError(f"the path of app {unknown[0]!r} is not known: it cannot be installed")
    steps: list[dict[str, Any]] = []
    for app in setup.apps:
        if app.name in apps:
            steps.append({"type": "install_application", "node": _creator(setup, app.name),
                          "path": app.path,
                          "outputs": {_variable("app", app.name): "applicationId"}})  # fmt: skip
    for context in contexts:
        step: dict[str, Any] = {
            "type": "create_mesh",
            "context_node": context.nodes[0],
            "application_id": _placeholder(context.app, "app"),
            "nodes": list(context.nodes[1:]),
            "outputs": {_variable("context", context.name): "contextId"},
        }
        steps.append(step)  # fmt: skip
    return steps


def _creator(setup: Setup, app: str) -> str:
    context = next(c for c in setup.contexts if c.app == app)
    return context.nodes[0]


def _variable(kind: str, name: str) -> str:
    return f"{kind}_" + re.sub(r"\W", "_", name)


def _placeholder(name: str, kind: str = "context") -> str:
    return "{{" + _variable(kind, name) + "}}"
