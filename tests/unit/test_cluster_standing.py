"""Where a node that differs stands (ahead, behind, diverged), as ``devnet status`` shows it.

The nodes are fakes: small HTTP servers answering the two admin routes status reads (a
context's heads and root, and the recent DAG slice), over a DAG given per node.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from aiohttp import web

from calimero_devnet.cluster.standing import Known, standing
from calimero_devnet.cluster.status import NodeRef, collect_status, render_table

CTX = "FXEy9vvnvLt9o4jwHnKqfZZ2t9H6MBPmd49zVf2DXe6n"
APP = "3FSyJkKFnew"
Dag = Mapping[str, Sequence[str]]  # delta id -> its parents; the heads are the last key


def fake_node(dag: Dag, root: str | None = None) -> web.Application:
    """A node storing the deltas of ``dag`` (its head: the last one) at state ``root``."""
    heads = [list(dag)[-1]] if dag else []

    async def context(_: web.Request) -> web.Response:
        data = {"applicationId": APP, "dagHeads": heads, "rootHash": root or f"root-{heads}",
                "pending": 0}  # fmt: skip
        return web.json_response({"data": data})

    async def recent(_: web.Request) -> web.Response:
        deltas = [{"id": d, "parents": list(p)} for d, p in reversed(list(dag.items()))]
        return web.json_response({"data": {"heads": heads, "deltas": deltas, "truncated": False}})

    app = web.Application()
    app.add_routes([web.get(f"/admin-api/contexts/{CTX}", context),
                    web.get(f"/admin-api/contexts/{CTX}/deltas", recent)])  # fmt: skip
    return app


@asynccontextmanager
async def serving(apps: Mapping[str, web.Application]) -> AsyncIterator[list[NodeRef]]:
    """Each app on a free loopback port, as a running node of that name."""
    async with AsyncExitStack() as stack:
        refs: list[NodeRef] = []
        for name, app in apps.items():
            runner = web.AppRunner(app)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            refs.append(NodeRef(name, f"http://127.0.0.1:{port}", 1000 + len(refs), True))
        yield refs


async def sync_column(**nodes: Dag | web.Application) -> dict[str, str]:
    """The SYNC column ``devnet status`` prints for these nodes (a DAG: a fake holding it)."""
    apps = {name.replace("_", "-"): node if isinstance(node, web.Application) else fake_node(node)
            for name, node in nodes.items()}  # fmt: skip
    async with serving(apps) as refs:
        status = await collect_status("devnet", refs, {"kv": CTX}, {"kv": APP}, standing=True)
    rows = [line.split() for line in render_table(status).splitlines()[1:-1]]
    return {row[0]: row[-1] for row in rows}


BASE = {"A": ()}
AB = {"A": (), "B": ("A",)}


async def test_a_node_that_wrote_while_cut_off_is_ahead() -> None:
    # The case: node-3 partitioned away, written to; the others have not seen it.
    sync = await sync_column(node_1=BASE, node_2=BASE, node_3=AB)
    assert sync == {"node-1": "ok", "node-2": "ok", "node-3": "ahead"}


async def test_a_node_that_missed_writes_is_behind() -> None:
    sync = await sync_column(node_1=AB, node_2=AB, node_3=BASE)
    assert sync == {"node-1": "ok", "node-2": "ok", "node-3": "behind"}


async def test_both_sides_written_while_apart_have_diverged() -> None:
    sync = await sync_column(node_1=AB, node_2=AB, node_3={"A": (), "C": ("A",)})
    assert sync["node-3"] == "diverged"


async def test_a_snapshot_joiner_knows_the_deltas_its_own_names_as_parents() -> None:
    # node-3 joined from a snapshot at A (stores no body of A), then wrote B on top.
    sync = await sync_column(node_1=BASE, node_2=BASE, node_3={"B": ("A",)})
    assert sync["node-3"] == "ahead"


def known(*ids: str, complete: bool = True) -> Known:
    return Known(frozenset(ids), complete)


@pytest.mark.parametrize(
    ("mine", "my_heads", "theirs", "their_heads", "expected"),
    [
        (known("A", "B"), ["B"], known("A"), ["A"], "ahead"),
        (known("A"), ["A"], known("A", "B"), ["B"], "behind"),
        (known("A", "C"), ["C"], known("A", "B"), ["B"], "diverged"),
        (known("C", complete=False), ["C"], known("A", "B"), ["B"], "differs"),  # cut slice
        (None, ["C"], known("A"), ["A"], "differs"),  # the node did not answer
    ],
)
def test_standing_from_what_each_side_knows(
    mine: Known | None, my_heads: list[str], theirs: Known, their_heads: list[str], expected: str
) -> None:
    assert standing(mine, theirs, my_heads, their_heads) == expected


async def test_the_same_deltas_in_another_state_is_diverged() -> None:
    sync = await sync_column(node_1=AB, node_2=AB, node_3=fake_node(AB, root="other"))
    assert sync["node-3"] == "diverged"
