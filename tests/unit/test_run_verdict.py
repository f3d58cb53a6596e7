"""The last line ``devnet run`` prints per file: where to look when it failed."""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.cluster.commands.run import _verdict
from calimero_devnet.workflows.report import FileOutcome
from calimero_devnet.workflows.results import StepResult

BAD = StepResult("3", "wait_converged", "Agree", ok=False, seconds=1.0)


def test_a_failed_file_points_at_its_bundle_or_else_the_node_logs() -> None:
    with_bundle = FileOutcome(Path("f.yml"), "f", [BAD], 2.5, bundle=Path("/d/failure"))
    assert _verdict(with_bundle, Path("/d")) == (
        "  ✗ f.yml: FAILED in 2.50 s; failure bundle: /d/failure"
    )
    without = FileOutcome(Path("f.yml"), "f", [BAD], 2.5)
    assert _verdict(without, Path("/d")).endswith("; node logs: /d/nodes")


def test_a_passed_file_says_so_with_its_time() -> None:
    good = FileOutcome(Path("f.yml"), "f", [], 1.0)
    assert _verdict(good, Path("/d")) == "  f.yml: passed in 1.00 s"
