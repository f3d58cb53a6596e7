"""Provides convergence waits over nodes' HTTP endpoints (SYNC.md "Convergence").

``wait_converged`` polls ``GET /admin-api/contexts/<id>`` on every node until all report the
same DAG heads and root hash (for JS apps the host's collection digest) and nothing pending.
``wait_value`` polls a read until it returns the same value everywhere (or the expected
one): hash equality alone has fooled users, a read is what they see. Both raise
``ConvergenceTimeout`` with a report naming each node that differs, and how.

Example::

    async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
        report = await wait_converged([a, b], context_id, timeout=10)
        await wait_value([a, b], context_id, "get", {"key": "k"}, expected="v")
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from calimero_devnet.cluster.nodeclient import JSON_HEADERS, json_body
from calimero_devnet.errors import ClusterError
from calimero_devnet.ids import to_b58

POLL_S = 0.1
# The least time one poll gives a node to answer, however little of the wait is left: a
# healthy node must get a fair chance; a hung one then costs the wait at most this much more.
MIN_REQUEST_S = 0.5
SAME: Any = object()  # wait_value's default: any value, as long as every node agrees


@dataclass(frozen=True, slots=True)
class NodeView:
    """What one node reported about a context (``error`` set if it could not say)."""

    node: str
    heads: tuple[str, ...] = ()
    root: str | None = None
    pending: int = 0
    error: str | None = None

    def key(self) -> tuple[tuple[str, ...], str | None]:
        """What must be equal on every node."""
        return self.heads, self.root


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of a wait: every node's view and the differences found."""

    context: str
    what: str
    elapsed_s: float
    views: tuple[Any, ...]
    differences: tuple[str, ...]

    @property
    def converged(self) -> bool:
        """True if no node differs."""
        return not self.differences

    def summary(self) -> str:
        """One paragraph for an error message or a log line."""
        state = "converged" if self.converged else "did not converge"
        lines = [f"context {self.context} {state} on {self.what} after {self.elapsed_s:.1f} s"]
        return "\n  ".join(lines + list(self.differences))


class ConvergenceTimeout(ClusterError):
    """The nodes did not agree in time; ``report`` says which node differs and how."""

    def __init__(self, report: Report) -> None:
        """Keep the report; the message is its summary."""
        super().__init__(report.summary())
        self.report = report


def _context_text(context: str | bytes) -> str:
    return context if isinstance(context, str) else to_b58(context)


def _name(client: httpx.AsyncClient) -> str:
    return str(client.base_url).rstrip("/")


def _request_timeout(deadline: float) -> float:
    """Seconds one request may take: what is left of the wait (a node that does not answer
    by then is reported as such, so the wait ends at its timeout, not a client's)."""
    return max(deadline - time.monotonic(), MIN_REQUEST_S)


def _unreachable(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "did not answer in time (hung, stopped or overloaded?)"
    return f"unreachable ({type(exc).__name__}: {exc})"


async def _view(client: httpx.AsyncClient, context: str, deadline: float) -> NodeView:
    name = _name(client)
    try:
        response = await client.get(
            f"/admin-api/contexts/{context}", timeout=_request_timeout(deadline)
        )
    except httpx.HTTPError as exc:
        return NodeView(name, error=_unreachable(exc))
    body = response.json() if response.content else {}
    if response.status_code != 200:
        return NodeView(name, error=f"HTTP {response.status_code}: {body.get('error', body)}")
    data = body["data"]
    heads = tuple(sorted(data.get("dagHeads", [])))
    return NodeView(name, heads, data.get("rootHash"), int(data.get("pending", 0)))


def state_differences(views: Sequence[NodeView]) -> list[str]:
    """How each node differs from what most report: errors, pending deltas, heads, root."""
    problems = [f"{v.node}: {v.error}" for v in views if v.error is not None]
    answered = [v for v in views if v.error is None]
    problems += [f"{v.node}: {v.pending} delta(s) pending" for v in answered if v.pending]
    if not answered:
        return problems
    common, _ = Counter(v.key() for v in answered).most_common(1)[0]
    for view in answered:
        if view.heads != common[0]:
            problems.append(
                f"{view.node}: heads {_short(view.heads)} where most have {_short(common[0])}"
            )
        if view.root != common[1]:
            problems.append(f"{view.node}: root {view.root} where most have {common[1]}")
    return problems


def _short(heads: tuple[str, ...]) -> str:
    return "[" + ", ".join(h[:8] for h in heads) + "]"


async def wait_converged(
    clients: Sequence[httpx.AsyncClient],
    context: str | bytes,
    timeout: float = 30.0,  # noqa: ASYNC109  (a deadline for polling, not for one await)
) -> Report:
    """Wait until every node has the same heads and root and nothing pending.

    Args:
        clients: one client per node, each with ``base_url`` set to the node's URL.
        context: the context id (base58 text or 32 bytes).
        timeout: seconds to wait.

    Raises:
        ConvergenceTimeout: with the last report (which node differs and how).
    """
    text = _context_text(context)
    started = time.monotonic()
    while True:
        deadline = started + timeout
        views = await asyncio.gather(*(_view(client, text, deadline) for client in clients))
        report = Report(
            text, "heads, root hash and pending deltas", time.monotonic() - started,
            tuple(views), tuple(state_differences(views)),
        )  # fmt: skip
        if report.converged:
            return report
        if report.elapsed_s >= timeout:
            raise ConvergenceTimeout(report)
        await asyncio.sleep(POLL_S)


async def _read(
    client: httpx.AsyncClient, context: str, call: tuple[str, Any], deadline: float
) -> tuple[str, Any, str | None]:
    method, args = call
    params = {"contextId": context, "method": method, "argsJson": args}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    try:
        content = json_body(body)
        response = await client.post("/jsonrpc", content=content, headers=JSON_HEADERS,
                                     timeout=_request_timeout(deadline))  # fmt: skip
        answer = response.json()
    except httpx.HTTPError as exc:
        return _name(client), None, _unreachable(exc)
    except ValueError as exc:
        return _name(client), None, f"answered something not JSON ({exc})"
    if "result" not in answer:
        return _name(client), None, f"error {answer.get('error')}"
    return _name(client), answer["result"]["output"], None


def _value_differences(reads: Sequence[tuple[str, Any, str | None]], expected: Any) -> list[str]:
    problems = [f"{node}: {error}" for node, _, error in reads if error is not None]
    values = [(node, value) for node, value, error in reads if error is None]
    if expected is not SAME:
        problems += [
            f"{n}: returned {v!r}, expected {expected!r}" for n, v in values if v != expected
        ]
    elif values:
        first_node, first = values[0]
        problems += [f"{n}: returned {v!r} but {first_node} returned {first!r}"
                     for n, v in values[1:] if v != first]  # fmt: skip
    return problems


async def wait_value(
    clients: Sequence[httpx.AsyncClient],
    context: str | bytes,
    method: str,
    args: Any = None,
    *,
    expected: Any = SAME,
    timeout: float = 30.0,  # noqa: ASYNC109  (a deadline for polling, not for one await)
) -> Report:
    """Wait until ``method(args)`` returns the same value on every node.

    Args:
        clients: one client per node, each with ``base_url`` set to the node's URL.
        context: the context id (base58 text or 32 bytes).
        method: a read method of the app.
        args: its JSON arguments.
        expected: the value every node must return (None waits for null); by default any
            value, as long as all nodes return it.
        timeout: seconds to wait.

    Raises:
        ConvergenceTimeout: with every node's last answer.
    """
    text = _context_text(context)
    started = time.monotonic()
    while True:
        deadline = started + timeout
        reads = await asyncio.gather(*(_read(c, text, (method, args), deadline) for c in clients))
        report = Report(
            text, f"{method}({args!r})", time.monotonic() - started, tuple(reads),
            tuple(_value_differences(reads, expected)),
        )  # fmt: skip
        if report.converged:
            return report
        if report.elapsed_s >= timeout:
            raise ConvergenceTimeout(report)
        await asyncio.sleep(POLL_S)
