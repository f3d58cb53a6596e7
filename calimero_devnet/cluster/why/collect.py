"""Provides ``collect_why``: the why report of each context, read from the running nodes.

Every running node is asked, at once, for its record of the context, its DAG and its state
listing (``admin_why``); a node that answers 404 is not a member and is left out, one that
does not answer is in the report with why.
"""

from __future__ import annotations

import asyncio
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


async def collect_why(access: ClusterAccess, context: str | None = None) -> list[WhyReport]:
    """The report of the named context (default: every context of the cluster)."""
    chosen = [access.context_id(context)] if context is not None else None
    names = {cid: name for name, cid in access.contexts.items()}
    ids = chosen if chosen is not None else sorted(set(access.contexts.values()))
    return [await context_why(access, cid, names.get(cid, "")) for cid in ids]


async def context_why(access: ClusterAccess, context: str, name: str = "") -> WhyReport:
    """The report of one context over every running node of ``access``."""
    refs = access.refs()
    running = [ref for ref in refs if ref.running and ref.url]
    left_out = [(ref.name, "is not running") for ref in refs if ref not in running]
    answers = await asyncio.gather(*(_facts(ref, context, access.token) for ref in running))
    facts = [found for found in answers if found is not None]
    left_out += [(ref.name, NOT_MEMBER) for ref, found in zip(running, answers, strict=True)
                 if found is None]  # fmt: skip
    return why_report(context, facts, name=name, left_out=left_out)


async def _facts(ref: NodeRef, context: str, token: str | None) -> NodeFacts | None:
    """What ``ref`` says of ``context`` (None: it does not have it)."""
    async with NodeClient(ref.name, str(ref.url), REQUEST_S, token) as client:
        try:
            record, dag, state = await asyncio.gather(
                _data(client, f"contexts/{context}"),
                _data(client, f"contexts/{context}/dag"),
                _data(client, f"contexts/{context}/state"),
            )
        except AdminError as exc:
            if exc.status == 404:
                return None
            return NodeFacts(ref.name, error=str(exc).removeprefix(f"{ref.name}: "))
        except ClusterError as exc:
            return NodeFacts(ref.name, error=str(exc).removeprefix(f"{ref.name}: "))
    return facts_from_json(ref.name, record, dag, state)


async def _data(client: NodeClient, path: str) -> Any:
    return await client.admin("GET", path)
