"""Provides ``WorkflowError``: a problem in a workflow file, naming the file, line and step."""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.errors import ConfigError


class WorkflowError(ConfigError):
    """``FILE:LINE: step N (type "name"): problem`` (the step part when there is one)."""

    def __init__(self, path: Path, line: int, problem: str, step: str | None = None) -> None:
        """Say where, in which step, and what is wrong."""
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {step + ': ' if step else ''}{problem}")
        self.path = path
        self.line = line
        self.step = step
