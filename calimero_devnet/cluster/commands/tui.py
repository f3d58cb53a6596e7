"""Provides ``devnet tui [--web PORT]``: the terminal UI on a cluster another process runs.

Without ``--web`` it attaches in this terminal (quitting leaves the cluster running). With
it, textual-serve serves the same UI on ``127.0.0.1:PORT``: each browser tab runs its own
``devnet tui`` over the same cluster. Loopback only, as every devnet endpoint.
"""

from __future__ import annotations

import argparse

from calimero_devnet.cluster.commands.handlers import data_dir_of
from calimero_devnet.cluster.remote import RemoteCluster


def run_tui(args: argparse.Namespace) -> int:
    """Attach the UI (or serve it on the web) to the cluster of ``--data-dir``/devnet.toml."""
    data_dir = data_dir_of(args)
    RemoteCluster.attach(data_dir)  # no cluster there: say so now, in this terminal
    if args.web is not None:
        from calimero_devnet.tui.run import serve_web  # noqa: PLC0415  (loads textual-serve)

        return serve_web(data_dir, args.web)
    from calimero_devnet.tui.run import run_attached  # noqa: PLC0415  (loads Textual)

    return run_attached(data_dir)
