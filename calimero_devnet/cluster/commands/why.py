"""Provides ``devnet why [--context ID] [--json]``: why a running cluster's contexts differ.

Prints the report of ``cluster/why`` for every context (or the named one): one line for a
context whose nodes agree, else per node its heads, the deltas it lacks and who has them,
what waits on which missing parent, and the state keys whose values differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from calimero_devnet.cluster.commands.handlers import data_dir_of
from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.cluster.why.collect import collect_why


def run_why(args: argparse.Namespace) -> int:
    """``devnet why``: print the report of each context (exit 0 whether or not they agree)."""
    cluster = RemoteCluster.attach(data_dir_of(args))
    reports = asyncio.run(collect_why(cluster, args.context))
    if args.json:
        print(json.dumps([report.to_json() for report in reports], indent=2))
    else:
        print("\n".join(report.text() for report in reports) or "this cluster has no contexts")
    return 0
