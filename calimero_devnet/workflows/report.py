"""Provides the run's output: one ✓/✗ line per step with its time, and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.workflows.results import StepResult

PASS, FAIL = "✓", "✗"


def step_lines(result: StepResult, depth: int = 0) -> list[str]:
    """``✓ 3 call 'Set a key' (0.01 s)``, then why it failed or what it warns, indented."""
    pad = "  " * (depth + 1)
    mark = PASS if result.ok else FAIL
    name = f" {result.label!r}" if result.label != result.kind else ""
    lines = [f"{pad}{mark} {result.where} {result.kind}{name} ({result.seconds:.2f} s)"]
    if result.detail:
        lines.append(f"{pad}    {result.detail}")
    if result.warning:
        lines.append(f"{pad}    ! {result.warning}")
    return lines


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """One workflow file's results (``error``: it did not get to run its steps)."""

    path: Path
    name: str
    results: Sequence[StepResult]
    seconds: float
    error: str = ""
    bundle: Path | None = None  # the failure bundle, when the steps failed

    @property
    def ok(self) -> bool:
        """True when every step ran and passed."""
        return not self.error and all(result.ok for result in self.results)


def _flat(results: Sequence[StepResult]) -> Iterator[StepResult]:
    for result in results:
        yield result
        yield from _flat(result.children)


def junit_xml(outcomes: Sequence[FileOutcome]) -> str:
    """JUnit XML: a suite per file, a case per step (nested steps too)."""
    suites = ET.Element("testsuites")
    for outcome in outcomes:
        cases = list(_flat(outcome.results))
        failures = sum(not case.ok for case in cases) + bool(outcome.error)
        suite = ET.SubElement(suites, "testsuite", name=outcome.name, tests=str(len(cases)),
                              failures=str(failures), time=f"{outcome.seconds:.3f}",
                              file=str(outcome.path))  # fmt: skip
        if outcome.bundle is not None:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="failure-bundle", value=str(outcome.bundle))
        if outcome.error:
            case = ET.SubElement(suite, "testcase", name="start-up", classname=outcome.name)
            ET.SubElement(case, "failure", message=outcome.error)
        for result in cases:
            case = ET.SubElement(
                suite, "testcase", classname=outcome.name, time=f"{result.seconds:.3f}",
                name=f"{result.where} {result.kind} {result.label}",
            )  # fmt: skip
            if not result.ok:
                failure = ET.SubElement(case, "failure", message=result.detail or "failed")
                if outcome.bundle is not None:
                    failure.text = f"failure bundle: {outcome.bundle} (why.txt says why)"
            elif result.warning:
                ET.SubElement(case, "system-out").text = result.warning
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
