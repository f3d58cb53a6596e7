"""The ✓/✗ lines and the JUnit XML of ``devnet run``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from calimero_devnet.workflows.report import FileOutcome, junit_xml, step_lines
from calimero_devnet.workflows.results import StepResult


def test_a_line_per_step_with_its_time_and_why_it_failed() -> None:
    ok = StepResult("2", "call", "Read it", ok=True, seconds=0.0123)
    bad = StepResult("3.1#2", "assert", "assert", ok=False, seconds=0.5, detail="1 == 2: false")
    warned = StepResult("4", "call", "call", ok=True, seconds=0, warning="failed as expected")
    assert step_lines(ok) == ["  ✓ 2 call 'Read it' (0.01 s)"]
    assert step_lines(bad, depth=1) == ["    ✗ 3.1#2 assert (0.50 s)", "        1 == 2: false"]
    assert step_lines(warned)[1] == "      ! failed as expected"


def test_junit_has_a_case_per_step_nested_ones_too_and_the_failures() -> None:
    child = StepResult("1.1#1", "call", "call", ok=False, seconds=0.1, detail="boom")
    parent = StepResult("1", "repeat", "repeat", ok=False, seconds=0.2, detail="iteration 1",
                        children=[child])  # fmt: skip
    broken = FileOutcome(Path("b.yml"), "b", [], 1.0, error="cluster did not start")
    text = junit_xml([FileOutcome(Path("a.yml"), "a", [parent], 2.0), broken])
    suites = ET.fromstring(text)  # noqa: S314  (our own output)
    first, second = suites.findall("testsuite")
    assert (first.get("tests"), first.get("failures"), first.get("file")) == ("2", "2", "a.yml")
    names = [case.get("name") for case in first.iter("testcase")]
    assert names == ["1 repeat repeat", "1.1#1 call call"]
    failure = first.findall("testcase")[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "boom"
    assert second.get("failures") == "1"
    assert not FileOutcome(Path("b.yml"), "b", [], 0.0, error="x").ok


def test_junit_points_at_the_failure_bundle() -> None:
    bad = StepResult("2", "wait_converged", "Agree", ok=False, seconds=1.0, detail="apart")
    outcome = FileOutcome(Path("a.yml"), "a", [bad], 2.0, bundle=Path("/d/failure"))
    suite = ET.fromstring(junit_xml([outcome])).find("testsuite")  # noqa: S314  (our own output)
    assert suite is not None
    prop = suite.find("properties/property")
    assert prop is not None
    assert (prop.get("name"), prop.get("value")) == ("failure-bundle", "/d/failure")
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.text == "failure bundle: /d/failure (why.txt says why)"
