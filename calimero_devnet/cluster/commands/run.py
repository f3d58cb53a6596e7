"""Provides ``devnet run FILE.yml...``: merobox workflow files run on local nodes.

Every file is parsed first, so a malformed one (or one using steps we do not support)
fails before any node starts. Then, per file: a fresh cluster of the file's ``nodes:`` in
``.devnet/run/<file>`` (or ``--data-dir``), the steps with a ✓/✗ line each, the cluster
stopped (``--keep`` leaves it running until Ctrl-C). Exit 0 only if every step passed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from calimero_devnet.cluster.commands.headless import say
from calimero_devnet.cluster.events import BuildFinished, ClusterEvent, Problem
from calimero_devnet.config.model import (
    BrokerSettings,
    ClusterSettings,
    DevnetConfig,
    NodeSettings,
)
from calimero_devnet.errors import ConfigError, DevnetError
from calimero_devnet.workflows.model import Workflow
from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.report import FAIL, FileOutcome, junit_xml, step_lines
from calimero_devnet.workflows.results import StepResult

FAILED = 1
_KILLING: set[asyncio.Future[None]] = set()
STOP_LIMIT_S = 30.0  # a clean stop takes ~1 s; a grace period is 3 s per node at most

if TYPE_CHECKING:
    from calimero_devnet.cluster.bustrace import BusTrace
    from calimero_devnet.cluster.handle import Cluster


def run_files(args: argparse.Namespace) -> int:
    """``devnet run``: parse every file, then run each; 0 only if every step passed."""
    if args.keep and len(args.files) > 1:
        raise ConfigError("--keep keeps one cluster running: give one workflow file")
    if args.data_dir and len(args.files) > 1:
        raise ConfigError("--data-dir names one cluster's folder: give one workflow file")
    cwd = Path.cwd()
    workflows = [parse_workflow(path, cwd) for path in args.files]
    outcomes = [asyncio.run(run_workflow(w, cwd, args.data_dir, keep=args.keep))
                for w in workflows]  # fmt: skip
    if args.junit:
        try:
            (cwd / args.junit).write_text(junit_xml(outcomes), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.junit}: {exc.strerror or exc}") from exc
    passed = sum(outcome.ok for outcome in outcomes)
    say(f"{passed} of {len(outcomes)} workflow(s) passed", sys.stdout)
    return 0 if passed == len(outcomes) else FAILED


def config_for(workflow: Workflow, data_dir: Path) -> DevnetConfig:
    """A cluster of the workflow's nodes, no apps and no contexts (the steps make those)."""
    level = workflow.log_level if workflow.log_level in ("debug", "info", "warning") else "info"
    nodes = tuple(NodeSettings(plan.name, index, plan.rpc_port, level)
                  for index, plan in enumerate(workflow.nodes))  # fmt: skip
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in workflow.path.stem)[:32]
    return DevnetConfig(None, ClusterSettings(name or "run", data_dir.resolve(), level), nodes,
                        BrokerSettings("embedded"), (), (), fresh=True)  # fmt: skip


def _progress(event: ClusterEvent) -> None:
    """Only what the user must see of the cluster: problems and failed builds."""
    if isinstance(event, Problem) or (isinstance(event, BuildFinished) and event.error):
        say(f"    ! {event}", sys.stderr)


async def run_workflow(workflow: Workflow, cwd: Path, data_dir: Path | None, *,
                       keep: bool = False) -> FileOutcome:  # fmt: skip
    """Start the workflow's cluster, run its steps, stop it (unless ``keep``)."""
    # Imported here: a malformed file fails fast, before the cluster library loads (~1 s).
    from calimero_devnet.cluster.bustrace import BusTrace  # noqa: PLC0415
    from calimero_devnet.cluster.manager import open_cluster  # noqa: PLC0415
    from calimero_devnet.workflows.context import Context  # noqa: PLC0415
    from calimero_devnet.workflows.prebuild import (  # noqa: PLC0415
        app_folders,
        drop_builds,
        start_builds,
    )
    from calimero_devnet.workflows.runner import run_steps  # noqa: PLC0415

    folder = cwd / (data_dir or Path(".devnet") / "run" / workflow.path.stem)
    say(f"{workflow.path}: {workflow.name} ({len(workflow.nodes)} nodes)", sys.stdout)
    for note in workflow.notes:
        say(f"  note: {note}", sys.stdout)
    started = time.perf_counter()

    def report(result: StepResult, depth: int) -> None:
        for line in step_lines(result, depth):
            say(line, sys.stdout)

    bundle = None
    builds = start_builds(app_folders(workflow.steps, cwd), folder.resolve(),
                          lambda line: say(line, sys.stdout))  # fmt: skip
    try:
        async with open_cluster(config_for(workflow, folder), _progress) as cluster:
            say(f"  cluster up in {time.perf_counter() - started:.2f} s ({folder})", sys.stdout)
            ctx = Context(cluster, cwd, workflow.wait_timeout,
                          say=lambda line: say(line, sys.stdout), prebuilt=builds)  # fmt: skip
            async with BusTrace(cluster.broker_url, cluster.cluster_id).recording() as trace:
                results = await run_steps(ctx, workflow.steps, report)
                if not all(result.ok for result in results):
                    bundle = await _bundle(cluster, trace)
            if keep:
                cluster.write_state()  # the contexts the steps made, for devnet why/status
                await _kept(cluster)
            watchdog = asyncio.get_running_loop().call_later(STOP_LIMIT_S, _stop_hung, cluster)
        watchdog.cancel()
    except DevnetError as exc:
        await drop_builds(builds)
        say(f"  {FAIL} {workflow.path}: {exc}", sys.stdout)
        return FileOutcome(workflow.path, workflow.name, [], time.perf_counter() - started,
                           str(exc))  # fmt: skip
    await drop_builds(builds)
    outcome = FileOutcome(workflow.path, workflow.name, results, time.perf_counter() - started,
                          bundle=bundle)  # fmt: skip
    say(_verdict(outcome, folder), sys.stdout)
    return outcome


def _verdict(outcome: FileOutcome, folder: Path) -> str:
    """The file's last line: passed, or failed and where to look."""
    if outcome.ok:
        return f"  {outcome.path}: passed in {outcome.seconds:.2f} s"
    bundle = outcome.bundle
    where = f"failure bundle: {bundle}" if bundle else f"node logs: {folder / 'nodes'}"
    return f"  {FAIL} {outcome.path}: FAILED in {outcome.seconds:.2f} s; {where}"


async def _bundle(cluster: Cluster, trace: BusTrace) -> Path | None:
    """Write the failure bundle and print its why report (None: it could not be written)."""
    from calimero_devnet.workflows.bundle import write_bundle  # noqa: PLC0415

    try:
        bundle = await write_bundle(cluster, trace)
    except (OSError, DevnetError) as exc:  # the run's own outcome must still be reported
        say(f"    ! no failure bundle: {exc}", sys.stderr)
        return None
    for report in bundle.reports:
        for line in report.text().splitlines():
            say(f"    {line}", sys.stdout)
    return bundle.path


def _stop_hung(cluster: Cluster) -> None:
    """The cluster has not stopped in ``STOP_LIMIT_S``: say where it waits, then kill it.

    Seen once in ~25 runs under heavy load (every step passed, the nodes never got their
    SIGINT); the stacks of the waiting tasks are what finding the cause needs.
    """
    say(f"devnet: the cluster did not stop in {STOP_LIMIT_S:.0f} s; what it waits on:",
        sys.stderr)  # fmt: skip
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=sys.stderr)
    say("devnet: killing its nodes and broker", sys.stderr)
    _KILLING.add(
        asyncio.ensure_future(cluster.force_stop())
    )  # held: the loop only keeps a weak ref


async def _kept(cluster: Cluster) -> None:
    """Wait for Ctrl-C (or SIGTERM) with the cluster up (``--keep``)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, cluster.close)
    say("  --keep: the cluster keeps running (devnet status, devnet call ...); Ctrl-C stops it",
        sys.stdout)  # fmt: skip
    try:
        await cluster.wait_closed()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
