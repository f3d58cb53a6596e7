"""Provides ``StepResult`` (one step's outcome) and ``StepFailed`` (how an action fails)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class StepFailed(Exception):
    """A step did not do what it says; ``response`` is the error report outputs may read."""

    def __init__(
        self, message: str, response: dict[str, Any] | None = None, *, excusable: bool = True
    ) -> None:
        """Say why; keep what ``outputs:`` may capture from the failure. ``excusable``
        False: ``expected_failure`` does not cover it (wrong bytes, not missing ones)."""
        super().__init__(message)
        self.response = response if response is not None else {"error": message}
        self.excusable = excusable


@dataclass(slots=True)
class StepResult:
    """What became of one step: ``ok``, its time, why not, a warning, its nested steps."""

    where: str
    kind: str
    label: str
    ok: bool
    seconds: float
    detail: str = ""
    warning: str = ""
    children: list[StepResult] = field(default_factory=list)
