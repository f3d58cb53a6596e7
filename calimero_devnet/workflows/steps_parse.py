"""Provides ``StepParser``: the ``steps:`` of a workflow, each checked against the catalogue.

It walks the steps in order, keeping the variables set so far (``outputs:`` targets and
what steps set themselves), so a placeholder no earlier step sets is an error at its line.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from calimero_devnet.workflows import catalogue as cat
from calimero_devnet.workflows.errors import WorkflowError
from calimero_devnet.workflows.model import Group, Step
from calimero_devnet.workflows.placeholders import PLACEHOLDER, names_in
from calimero_devnet.workflows.source import Located, LocatedList

REPEAT_VARIABLES = ("iteration", "iteration_index", "iteration_number", "total_iterations")
FAILURE_MODES = ("fail-slow", "fail-fast", "continue-on-error")
NODE_FIELDS = ("node", "nodes", "context_node", "peers", "from", "to")


def check_keys(
    path: Path,
    raw: Located,
    allowed: Iterable[str],
    *,
    notes: list[str] | None = None,
    not_applicable: Iterable[str] = (),
    where: str = "",
    step: str | None = None,
) -> None:
    """Refuse keys of ``raw`` not in ``allowed``; add each not-applicable one to ``notes``."""
    allowed, skipped = set(allowed), set(not_applicable)
    for key, line in raw.key_lines.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            name = f"{where}.{key}" if where else key
            raise WorkflowError(path, line, f"unknown key {name!r}{hint}", step)
        if key in skipped and notes is not None:
            name = f"{where}.{key}" if where else key
            notes.append(f"{step + ': ' if step else ''}{name} (line {line}): not applicable here")


class StepParser:
    """Parses the steps of one file (``notes`` collects the not-applicable keys)."""

    def __init__(self, path: Path, cwd: Path, nodes: list[str], notes: list[str]) -> None:
        """Check against ``nodes``; resolve paths against ``cwd``."""
        self.path = path
        self.cwd = cwd
        self.nodes = nodes
        self.notes = notes
        self.defined: set[str] = set()
        self.unsupported: list[str] = []

    def parse_list(self, raw: Any, prefix: str = "", line: int = 1) -> tuple[Step, ...]:
        """Parse a ``steps:`` list; at the top (no ``prefix``) fail on unsupported steps."""
        if raw is None:
            raw = LocatedList()
        if not isinstance(raw, list):
            raise WorkflowError(self.path, line, f"{prefix or 'steps'}: give a list of steps")
        steps = tuple(self._step(item, f"{prefix}{i}", line) for i, item in enumerate(raw, start=1))
        if not prefix and self.unsupported:
            listed = "; ".join(self.unsupported)
            raise WorkflowError(
                self.path,
                0,
                f"uses steps devnet run does not support: "
                f"{listed} (docs/workflows.md lists what runs)",
            )
        return steps

    def _step(self, raw: Any, where: str, line: int) -> Step:
        if not isinstance(raw, Located):
            raise WorkflowError(
                self.path, getattr(raw, "line", line), f"step {where}: give a mapping with a type"
            )
        kind = raw.get("type")
        label = f"step {where} ({kind}" + (f" {raw['name']!r})" if raw.get("name") else ")")
        if not isinstance(kind, str):
            raise WorkflowError(self.path, raw.line, f"step {where}: it has no type")
        if kind in cat.NOT_HERE:
            self._unsupported(raw, kind, where, "needs node features devnet lacks")
            return Step(kind, str(raw.get("name") or kind), raw.line, where, dict(raw))
        spec = cat.STEPS.get(kind)
        if spec is None:
            close = difflib.get_close_matches(kind, [*cat.STEPS, *cat.NOT_HERE], 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise WorkflowError(
                self.path, raw.key_lines["type"], f"unknown step type {kind!r}{hint}", label
            )
        return self._checked(raw, kind, spec, where, label)

    def _unsupported(self, raw: Located, kind: str, where: str, why: str) -> None:
        self.unsupported.append(f"{kind} at line {raw.line} (step {where}: {why})")
        outputs = raw.get("outputs")
        if isinstance(outputs, dict):
            self.defined.update(self._targets(outputs, raw.get("node")))

    def _checked(self, raw: Located, kind: str, spec: cat.StepSpec, where: str, label: str) -> Step:
        check_keys(
            self.path,
            raw,
            spec.fields | cat.COMMON,
            notes=self.notes,
            not_applicable=spec.not_applicable,
            step=label,
        )
        for key in sorted(spec.required - raw.keys()):
            raise WorkflowError(self.path, raw.line, f"{key!r} is required", label)
        self._check_common(raw, label)
        self._check_nodes(raw, label)
        from calimero_devnet.workflows.steps_check import check_step  # noqa: PLC0415

        problem = check_step(kind, raw, self.cwd)
        if problem is not None:
            if problem.unsupported:
                self._unsupported(raw, kind, where, problem.text)
            else:
                raise WorkflowError(self.path, problem.line or raw.line, problem.text, label)
        nested, groups = self._children(raw, kind, where)
        self._check_placeholders(raw, label)
        if kind == "repeat" and isinstance(raw.get("outputs"), dict):
            pass  # renamed counters are set inside the repeat; checked in _children
        else:
            self.defined.update(self._targets(raw.get("outputs") or {}, raw.get("node")))
        self.defined.update(_set_by(kind, raw))
        return Step(
            kind,
            str(raw.get("name") or kind),
            raw.line,
            where,
            {k: v for k, v in raw.items() if k not in _nested(kind)},
            dict(raw.get("outputs") or {}),
            bool(raw.get("expected_failure", False)),
            raw.get("expected_error"),
            nested,
            groups,
        )

    def _check_common(self, raw: Located, label: str) -> None:
        outputs = raw.get("outputs")
        if outputs is not None and not isinstance(outputs, dict):
            raise WorkflowError(
                self.path,
                raw.key_lines["outputs"],
                "outputs: give a mapping of variable: response field",
                label,
            )
        for flag in ("expected_failure",):
            if flag in raw and not isinstance(raw[flag], bool):
                raise WorkflowError(
                    self.path, raw.key_lines[flag], f"{flag}: give true or false", label
                )
        if "expected_error" in raw and raw.get("expected_failure") is not True:
            raise WorkflowError(
                self.path,
                raw.key_lines["expected_error"],
                "expected_error needs expected_failure: true",
                label,
            )

    def _check_nodes(self, raw: Located, label: str) -> None:
        for key in NODE_FIELDS:
            if key not in raw:
                continue
            value = raw[key]
            names = value if isinstance(value, list) else [value]
            for name in names:
                if not isinstance(name, str):
                    raise WorkflowError(
                        self.path, raw.key_lines[key], f"{key}: give node names", label
                    )
                if not PLACEHOLDER.search(name) and name not in self.nodes:
                    raise WorkflowError(
                        self.path,
                        raw.key_lines[key],
                        f"{key}: no node named {name!r} (nodes: {', '.join(self.nodes)})",
                        label,
                    )

    def _check_placeholders(self, raw: Located, label: str) -> None:
        for key, value in raw.items():
            if key in _nested(str(raw.get("type"))):
                continue
            for name in names_in(value):
                if name not in self.defined:
                    raise WorkflowError(
                        self.path,
                        raw.key_lines[key],
                        f"{{{{{name}}}}} is not set by any earlier step's outputs",
                        label,
                    )
        if raw.get("type") in ("assert", "json_assert"):
            self._check_statements(raw, label)

    def _check_statements(self, raw: Located, label: str) -> None:
        statements = raw["statements"]
        line = raw.key_lines["statements"]
        if not isinstance(statements, list) or not statements:
            raise WorkflowError(self.path, line, "statements: give a list of statements", label)
        lines = getattr(statements, "item_lines", [line] * len(statements))
        for item, at in zip(statements, lines, strict=True):
            text = item.get("statement") if isinstance(item, dict) else item
            if not isinstance(text, str):
                problem = "a statement is text, or {statement, message}"
                raise WorkflowError(self.path, at, problem, label)
            try:
                ast.parse(PLACEHOLDER.sub("_v", text).strip(), mode="eval")
            except SyntaxError:
                problem = f"cannot read the statement {text!r} (docs/workflows.md)"
                raise WorkflowError(self.path, at, problem, label) from None

    def _children(
        self, raw: Located, kind: str, where: str
    ) -> tuple[tuple[Step, ...], tuple[Group, ...]]:
        if kind == "repeat":
            outer = set(self.defined)
            self.defined.update(REPEAT_VARIABLES)
            self.defined.update(str(key) for key in (raw.get("outputs") or {}))
            steps = self.parse_list(raw["steps"], f"{where}.", raw.key_lines["steps"])
            self.defined = outer | (self.defined - set(REPEAT_VARIABLES))
            return steps, ()
        if kind == "parallel":
            return (), self._groups(raw, where)
        return (), ()

    def _groups(self, raw: Located, where: str) -> tuple[Group, ...]:
        groups = raw["groups"]
        line = raw.key_lines["groups"]
        if not isinstance(groups, list) or not groups:
            raise WorkflowError(
                self.path, line, f"step {where}: groups: give a list of {{name, steps}}"
            )
        parsed = []
        for index, group in enumerate(groups, start=1):
            if not isinstance(group, Located) or "steps" not in group:
                raise WorkflowError(
                    self.path,
                    getattr(group, "line", line),
                    f"step {where}: group {index}: give name and steps",
                )
            check_keys(
                self.path,
                group,
                {"name", "steps"},
                where=f"groups[{index}]",
                step=f"step {where}",
            )
            steps = self.parse_list(group["steps"], f"{where}.{index}.", group.line)
            parsed.append(Group(str(group.get("name") or f"group {index}"), steps))
        return tuple(parsed)

    def _targets(self, outputs: dict[str, Any], node: Any) -> set[str]:
        return {str(key).replace("{node_name}", str(node or "")) for key in outputs}


def _nested(kind: str) -> tuple[str, ...]:
    """The keys of a step that are not its own fields (checked on their own)."""
    return {"repeat": ("steps", "outputs"), "parallel": ("groups", "outputs")}.get(
        kind, ("outputs",)
    )


def _set_by(kind: str, raw: Located) -> set[str]:
    """The variables a step sets by itself (merobox's convenience names)."""
    if kind == "install_application":
        return {f"install.{raw.get('node')}"}
    if kind == "create_context":
        return {f"context.{raw.get('node')}"}
    if kind == "create_identity":
        return {f"public_key_{raw.get('node')}"}
    if kind in ("create_namespace", "create_group"):
        return {f"namespace_id_{raw.get('node')}"}
    if kind == "create_mesh":
        nodes = raw.get("nodes") or []
        names = [raw.get("context_node"), *(nodes if isinstance(nodes, list) else [nodes])]
        return {
            f"{prefix}_{name}" for name in names for prefix in ("public_key", "member_identity")
        }
    return set()
