"""Provides cross-context calls: what ``xcall`` queued, run after the call that queued it.

As upstream's node does: each queued call runs, in order, once the calling call has been
persisted, on this node, against the target context, by the same executor, as a call of
its own (it commits, replicates and notifies like any other). A failing one is logged and
reported in the calling call's result; it never undoes the calling call or stops the
others. A queued call may queue more; they run depth first, at most ``MAX_DEPTH`` deep
(HOST-ABI §4), and a call deeper than that is refused, not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from calimero_devnet.errors import FunctionCallError, NodeError
from calimero_devnet.ids import to_b58

if TYPE_CHECKING:
    from calimero_devnet.node.runtime.types import XCall

MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class XCallResult:
    """How one queued cross-context call went: its output, or the error it failed with."""

    context_id: bytes
    method: str
    depth: int
    output: bytes | None = None
    error: NodeError | None = None


class Ran(Protocol):
    """What ``Execute`` returns (an ``ExecuteResult``)."""

    @property
    def output(self) -> bytes | None:
        """The call's return bytes."""
        ...

    @property
    def xcalls(self) -> tuple[XCallResult, ...]:
        """How the calls it queued went."""
        ...


Execute = Callable[[bytes, str, bytes, int], Ran]
"""Runs one call ``(context, method, args, depth)`` as ``NodeCore.execute`` does."""


def run_xcalls(
    queued: Iterable[XCall], depth: int, execute: Execute, warn: Callable[[str], None]
) -> tuple[XCallResult, ...]:
    """Run the calls a call at ``depth`` queued; return every result, nested ones included."""
    results: list[XCallResult] = []
    for xcall in queued:
        ctx, method, inner = xcall.context_id, xcall.function, depth + 1
        where = f"xcall {method} on context {to_b58(ctx)}"
        if inner > MAX_DEPTH:
            error: NodeError = FunctionCallError(
                f"{where} was not run: cross-context calls nest at most {MAX_DEPTH} deep"
            )
        else:
            try:
                result = execute(ctx, method, xcall.params, inner)
            except NodeError as exc:
                error = exc
            else:
                results.append(XCallResult(ctx, method, inner, output=result.output))
                results.extend(result.xcalls)
                continue
        warn(f"{where} failed: {error}")
        results.append(XCallResult(ctx, method, inner, error=error))
    return tuple(results)
