"""Provides the ``fuzz`` step: seeded random calls across nodes, then a convergence check.

The whole sequence (``fuzz_plan``) is drawn before the first call and written to
``<data dir>/fuzz/step-<n>.jsonl``, one event a line, so a run is replayed by its seed and
can be read afterwards. Calls run ``concurrency`` at a time; a cut or a heal waits for the
calls before it. A failed call fails the step (``allow_errors``: counted, a warning).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calimero_devnet.errors import NodeError
from calimero_devnet.workflows import actions_waits as waits
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.fuzz_plan import FuzzCall, FuzzCut, FuzzEvent, event_json, plan_fuzz
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]
SHOWN_ERRORS = 3  # failed calls named in a warning


async def fuzz(ctx: Context, fields: Response, result: StepResult) -> Response:
    """Extension: run the seeded calls on ``nodes`` of ``context_id``, then wait converged."""
    cid = str(fields["context_id"])
    nodes = waits.member_nodes(ctx, fields, cid)
    seed = int(fields["seed"]) if "seed" in fields else random.SystemRandom().randrange(2**31)
    events = plan_fuzz(fields["methods"], nodes, calls=int(fields["calls"]), seed=seed,
                       partitions=int(fields.get("partitions", 0)))  # fmt: skip
    log = ctx.cluster.data_dir / "fuzz" / f"step-{result.where.replace('#', '-')}.jsonl"
    digest = await asyncio.to_thread(_write_log, log, seed, events)
    cuts = sum(isinstance(event, FuzzCut) for event in events)
    ctx.say(f"    fuzz seed {seed}: {fields['calls']} calls on {len(nodes)} nodes, "
            f"{cuts} partition(s); the sequence is in {log}")  # fmt: skip
    errors = await _run(ctx, cid, events, int(fields.get("concurrency", 1)))
    if errors and not fields.get("allow_errors"):
        raise StepFailed(f"seed {seed}: {len(errors)} call(s) failed: {errors[0]}")
    if errors:
        shown = "; ".join(errors[:SHOWN_ERRORS])
        result.warning = f"{len(errors)} call(s) failed (allow_errors): {shown}"
    await waits.wait_converged(ctx, {"context_id": cid, "nodes": nodes,
                                     "timeout": ctx.timeout(fields)}, result)  # fmt: skip
    return {"seed": seed, "calls": int(fields["calls"]), "failed": len(errors),
            "digest": digest, "log": str(log)}  # fmt: skip


async def _run(ctx: Context, cid: str, events: Sequence[FuzzEvent], concurrency: int) -> list[str]:
    """Run the events in order, calls ``concurrency`` at a time; the failed calls, in words."""
    errors: list[str] = []
    batch: list[FuzzCall] = []

    async def flush() -> None:
        outcomes = await asyncio.gather(*(_call(ctx, cid, call) for call in batch))
        errors.extend(outcome for outcome in outcomes if outcome is not None)
        batch.clear()

    try:
        for event in events:
            if isinstance(event, FuzzCall):
                batch.append(event)
                if len(batch) >= concurrency:
                    await flush()
                continue
            await flush()
            if isinstance(event, FuzzCut):
                await ctx.cluster.partition([list(group) for group in event.groups])
            else:
                await ctx.cluster.unpartition()
        await flush()
    finally:
        if any(isinstance(event, FuzzCut) for event in events):
            await ctx.cluster.unpartition()  # a failed run leaves no cut behind
    return errors


async def _call(ctx: Context, cid: str, call: FuzzCall) -> str | None:
    try:
        await ctx.client(call.node).execute(cid, call.method, call.args)
    except NodeError as exc:
        args = json.dumps(call.args, sort_keys=True)
        return f"call {call.number} {call.method}({args}) on {call.node}: {exc.type_name}: {exc}"
    return None


def _write_log(path: Path, seed: int, events: Sequence[FuzzEvent]) -> str:
    """Write the sequence, one JSON event a line after a ``seed`` line; its sha256 (hex)."""
    lines = [json.dumps({"seed": seed})]
    lines += [json.dumps(event_json(event), sort_keys=True) for event in events]
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()
