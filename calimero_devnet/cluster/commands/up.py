"""Provides ``devnet up``: run a cluster in this terminal until Ctrl-C (or ``devnet down``).

The first Ctrl-C (or SIGTERM) stops gracefully: nodes get SIGINT and a grace period, then
SIGKILL, said aloud. A second one forces: every node and the broker get SIGKILL at once.
Exit status: 0 after a clean stop, 1 if a node died without being asked to, 130 if
interrupted before the cluster was ready; start-up failures keep the error's own code
(3 build, 4 cluster).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TextIO

from calimero_devnet.cluster.commands.headless import JsonPrinter, LogPrinter, say
from calimero_devnet.cluster.events import Progress
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.config.load import find_config, load_config
from calimero_devnet.config.model import DevnetConfig, Overrides
from calimero_devnet.exits import INTERRUPTED


def config_from_args(args: argparse.Namespace) -> DevnetConfig:
    """The config ``devnet up`` runs: ``--config`` or ./devnet.toml, plus the overrides."""
    path = Path(args.config) if args.config else find_config()
    overrides = Overrides(
        nodes=args.nodes, broker=args.broker,
        data_dir=Path(args.data_dir) if args.data_dir else None, fresh=args.fresh,
        from_snapshot=args.from_snapshot,
    )  # fmt: skip
    return load_config(path, overrides)


def run_up(args: argparse.Namespace) -> int:
    """``devnet up``: detach, or run here until stopped."""
    config = config_from_args(args)
    if args.detach:
        from calimero_devnet.cluster.commands.detach import start_detached  # noqa: PLC0415

        return start_detached(config, args)
    if wants_tui(args):
        from calimero_devnet.tui.run import run_owner  # noqa: PLC0415  (loads Textual)

        return run_owner(config, watch=not args.no_watch)
    names = [node.name for node in config.nodes]
    printer = JsonPrinter() if args.json else LogPrinter(names)
    return asyncio.run(serve(config, printer, watch=not args.no_watch))


def wants_tui(args: argparse.Namespace) -> bool:
    """The UI, unless asked for the log (``--headless``, ``--json``) or not on a terminal."""
    return not (args.headless or args.json) and sys.stdout.isatty() and sys.stdin.isatty()


class _Stopper:
    """Turns SIGINT/SIGTERM into a graceful stop, and a second one into a forced stop."""

    def __init__(self, main: asyncio.Task[int], out: TextIO) -> None:
        self.main = main
        self.cluster: Cluster | None = None
        self.ready = False
        self.signals = 0
        self.forcing: asyncio.Future[None] | None = None
        self._out = out

    def __call__(self, sig: signal.Signals) -> None:
        self.signals += 1
        if self.signals == 1:
            say(f"{sig.name}: stopping gracefully (again to force)", self._out)
            if self.ready and self.cluster is not None:
                self.cluster.close()
            else:
                self.main.cancel()
        elif self.cluster is not None:
            say(f"{sig.name} again: killing every process now", self._out)
            self.forcing = asyncio.ensure_future(self.cluster.force_stop())


async def serve(config: DevnetConfig, printer: Progress, *, watch: bool = True) -> int:
    """Run ``config``'s cluster until a signal; return the exit status."""
    from calimero_devnet.cluster.manager import open_cluster  # noqa: PLC0415

    main = asyncio.current_task()
    assert main is not None
    stopper = _Stopper(main, sys.stdout)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopper, sig)
    try:
        async with open_cluster(
            config, printer, watch=watch, on_handle=lambda c: setattr(stopper, "cluster", c)
        ) as cluster:
            stopper.ready = True
            if stopper.signals:  # a signal arrived as start-up finished
                cluster.close()
            await cluster.wait_closed()
            failures = list(cluster.failures)
    except asyncio.CancelledError:
        if stopper.signals == 0:
            raise
        print("devnet: interrupted before the cluster was ready", file=sys.stderr)
        return INTERRUPTED
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if failures:
        names = ", ".join(sorted({failure.name for failure in failures}))
        print(f"devnet: {names} died during the run (see its log): exit status 1", file=sys.stderr)
        return 1
    return 0
