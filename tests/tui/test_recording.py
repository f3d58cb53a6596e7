"""Pilot test of `w`: the session saved as a workflow that `devnet run` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from calimero_devnet.workflows.model import Workflow
from calimero_devnet.workflows.parse import parse_workflow
from tests.tui.harness import SIZE, make_app, settle


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as the current folder, with the templates the fake's app lives in."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").symlink_to(Path(__file__).resolve().parents[2] / "templates")
    return tmp_path


def saved_workflow(folder: Path) -> Workflow:
    [saved] = folder.glob("devnet-session-*.yml")
    return parse_workflow(saved.relative_to(folder), folder)


async def test_the_session_is_saved_as_a_workflow_devnet_run_accepts(project: Path) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("a", "tab", "1", "ctrl+r")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.press("p")
        app.screen.query_one("#groups", DataTable).move_cursor(row=2)
        await pilot.press("space", "enter")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
    workflow = saved_workflow(project)
    assert [step.kind for step in workflow.steps] == [
        "install_application", "create_mesh", "call", "wait_converged", "partition", "heal",
        "wait_converged",
    ]  # fmt: skip
    assert workflow.steps[2].fields["args"] == {"key": "a", "value": "1"}
