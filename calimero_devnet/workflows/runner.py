"""Provides ``run_steps``: a parsed workflow's steps run in order on a ``Cluster``.

Per step: resolve its placeholders, run its action (``actions.ACTIONS``), apply
``expected_failure``/``expected_error``, capture its ``outputs:``. The first failed step
stops the workflow (merobox's fail-fast); ``repeat`` and ``parallel`` run their nested
steps here, each reported as a child of its step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from calimero_devnet.errors import DevnetError
from calimero_devnet.workflows.actions import ACTIONS, Context
from calimero_devnet.workflows.model import Group, Step
from calimero_devnet.workflows.outputs import capture
from calimero_devnet.workflows.placeholders import resolve
from calimero_devnet.workflows.results import StepFailed, StepResult

Report = Callable[[StepResult, int], None]
RAW_FIELDS = ("statements",)  # assertions bind their placeholders themselves


async def run_steps(ctx: Context, steps: Sequence[Step], report: Report,
                    depth: int = 0, tag: str = "") -> list[StepResult]:  # fmt: skip
    """Run ``steps`` in order until one fails; ``report`` each result as it is known
    (``tag`` marks the iteration of a ``repeat`` they belong to, ``#2``)."""
    results = []
    for step in steps:
        result = await run_step(ctx, step, report, depth, tag)
        results.append(result)
        if not result.ok:
            break
    return results


async def run_step(ctx: Context, step: Step, report: Report, depth: int,
                   tag: str = "") -> StepResult:  # fmt: skip
    """Run one step (and its nested ones); report and return its result."""
    started = time.perf_counter()
    result = StepResult(step.where + tag, step.kind, step.label, ok=True, seconds=0.0)
    try:
        if step.kind == "repeat":
            await _repeat(ctx, step, result, report, depth=depth, tag=tag)
        elif step.kind == "parallel":
            await _parallel(ctx, step, result, report, depth=depth, tag=tag)
        else:
            await _action(ctx, step, result)
    except (StepFailed, DevnetError) as exc:
        result.ok, result.detail = False, str(exc)
    result.seconds = time.perf_counter() - started
    report(result, depth)
    return result


async def _action(ctx: Context, step: Step, result: StepResult) -> None:
    fields = {k: v if k in RAW_FIELDS else resolve(v, ctx.values) for k, v in step.fields.items()}
    node = fields.get("node")
    try:
        response = await ACTIONS[step.kind](ctx, fields, result)
    except (StepFailed, DevnetError) as exc:
        if not step.expected_failure or not getattr(exc, "excusable", True):
            raise
        expected = resolve(step.expected_error, ctx.values) if step.expected_error else None
        if expected is not None and str(expected) not in str(exc):
            raise StepFailed(f"failed as expected, but not with {expected!r}: {exc}") from exc
        failure = exc.response if isinstance(exc, StepFailed) else {"error": str(exc)}
        ctx.values.update(capture(step.outputs, failure, node, failed=True))
        result.warning = f"failed as expected: {exc}"
        return
    if step.expected_failure:
        if step.kind != "call" or step.expected_error:
            raise StepFailed("succeeded, but the step expects a failure (expected_failure)")
        result.warning = "succeeded though expected_failure is set (a call only warns)"
    ctx.values.update(capture(step.outputs, response, node))


async def _repeat(ctx: Context, step: Step, result: StepResult, report: Report,
                  *, depth: int, tag: str) -> None:  # fmt: skip
    count = int(resolve(step.fields["count"], ctx.values))
    for index in range(count):
        counters = {"iteration": index + 1, "iteration_index": index,
                    "iteration_number": index + 1, "total_iterations": count}  # fmt: skip
        ctx.values.update(counters)
        ctx.values.update({target: counters.get(str(source), source)
                           for target, source in step.outputs.items()})  # fmt: skip
        children = await run_steps(ctx, step.steps, report, depth + 1, f"{tag}#{index + 1}")
        result.children.extend(children)
        if not all(child.ok for child in children):
            raise StepFailed(f"iteration {index + 1} of {count} failed")


async def _parallel(ctx: Context, step: Step, result: StepResult, report: Report,
                    *, depth: int, tag: str) -> None:  # fmt: skip
    mode = step.fields.get("failure_mode", "fail-slow")

    async def group(g: Group) -> list[StepResult]:
        done = await run_steps(ctx, g.steps, report, depth + 1, tag)
        if mode == "fail-fast" and not all(r.ok for r in done):
            raise StepFailed(f"group {g.name!r} failed")
        return done

    tasks = [asyncio.create_task(group(g)) for g in step.groups]
    try:
        outcomes: list[Any] = await asyncio.gather(*tasks, return_exceptions=mode != "fail-fast")
    except StepFailed:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    failed = []
    for g, outcome in zip(step.groups, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            raise outcome
        result.children.extend(outcome)
        if not all(r.ok for r in outcome):
            failed.append(g.name)
    if failed and (mode == "fail-slow" or len(failed) == len(step.groups)):
        raise StepFailed(f"groups failed: {', '.join(failed)}")
    if failed:
        result.warning = f"groups failed (continue-on-error): {', '.join(failed)}"
