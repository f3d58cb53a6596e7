"""Provides our ``snapshot`` and ``restore`` steps: save the whole cluster, put it back.

``snapshot`` replaces a snapshot of the same name an earlier run of the file left in its
data dir, so a workflow runs the same every time; ``restore`` puts every node back to it
and returns once the nodes have converged (within ``timeout``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepResult

Response = dict[str, Any]


async def snapshot(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: snapshot every node as ``snapshot`` (its name); output ``checksum``."""
    name = str(fields["snapshot"])
    if disk.snapshot_dir(ctx.cluster.data_dir, name).is_dir():
        await asyncio.to_thread(disk.remove, ctx.cluster.data_dir, name)
    manifest = await ctx.cluster.save_snapshot(name)
    return {"name": name, "checksum": manifest.checksum, "files": len(manifest.files)}


async def restore(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: put every node back to snapshot ``snapshot``, converged."""
    manifest = await ctx.cluster.restore_snapshot(str(fields["snapshot"]), ctx.timeout(fields))
    return {"name": manifest.name, "checksum": manifest.checksum}
