"""Provides ``collect_why``: the why report of each context, read from the running nodes.

Every running node is asked, at once, for its record of the context, its DAG and its state
listing (``admin_why``); a node that answers 404 is not a member and is left out, one that
does not answer is in the report with why. ``gather_answers`` keeps the answers as the
nodes gave them (the failure bundle saves them).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from calimero_devnet.cluster.nodeclient import AdminError, NodeClient
from calimero_devnet.cluster.why.facts import NodeFacts, facts_from_json
from calimero_devnet.cluster.why.report import WhyReport, why_report
from calimero_devnet.errors import ClusterError

if TYPE_CHECKING:
    from calimero_devnet.cluster.access import ClusterAccess
    from calimero_devnet.cluster.status import NodeRef

NOT_MEMBER = "is not a member"
REQUEST_S = 10.0
PARTS = ("record", "dag", "state")


@dataclass(frozen=True, slots=True)
class Answers:
    """What one member node answered about a context (``error``: it could not say)."""

    node: str
    parts: dict[str, Any] = field(default_factory=dict)  # "record", "dag", "state" → data
    error: str | None = None

    def facts(self) -> NodeFacts:
        """The report's view of these answers."""
        if self.error is not None:
            return NodeFacts(self.node, error=self.error)
        return facts_from_json(self.node, *(self.parts[part] for part in PARTS))


async def collect_why(access: ClusterAccess, context: str | None = None) -> list[WhyReport]:
    """The report of the named context (default: every context of the cluster)."""
    return [report for report, _ in await collect_with_answers(access, context)]


async def collect_with_answers(
    access: ClusterAccess, context: str | None = None
) -> list[tuple[WhyReport, list[Answers]]]:
    """Each context's report with the answers it was built from."""
    names = {cid: name for name, cid in access.contexts.items()}
    ids = [access.context_id(context)] if context is not None else sorted(names)
    found = []
    for cid in ids:
        answers, left_out = await gather_answers(access, cid)
        report = why_report(cid, [a.facts() for a in answers], name=names.get(cid, ""),
                            left_out=left_out)  # fmt: skip
        found.append((report, answers))
    return found


async def gather_answers(
    access: ClusterAccess, context: str
) -> tuple[list[Answers], list[tuple[str, str]]]:
    """Every member's answers, and the nodes left out with why."""
    refs = access.refs()
    running = [ref for ref in refs if ref.running and ref.url]
    left_out = [(ref.name, "is not running") for ref in refs if ref not in running]
    answers = await asyncio.gather(*(_answers(ref, context, access.token) for ref in running))
    left_out += [(ref.name, NOT_MEMBER) for ref, found in zip(running, answers, strict=True)
                 if found is None]  # fmt: skip
    return [found for found in answers if found is not None], left_out


async def _answers(ref: NodeRef, context: str, token: str | None) -> Answers | None:
    """What ``ref`` says of ``context`` (None: it does not have it)."""
    paths = (f"contexts/{context}", f"contexts/{context}/dag", f"contexts/{context}/state")
    async with NodeClient(ref.name, str(ref.url), REQUEST_S, token) as client:
        try:
            data = await asyncio.gather(*(client.admin("GET", path) for path in paths))
        except AdminError as exc:
            if exc.status == 404:
                return None
            return Answers(ref.name, error=_without_name(exc, ref.name))
        except ClusterError as exc:
            return Answers(ref.name, error=_without_name(exc, ref.name))
    return Answers(ref.name, dict(zip(PARTS, data, strict=True)))


def _without_name(exc: Exception, node: str) -> str:
    return str(exc).removeprefix(f"{node}: ")
