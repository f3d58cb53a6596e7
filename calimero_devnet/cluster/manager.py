"""Provides ``open_cluster``: bring a devnet up, hand out its ``Cluster``, bring it down.

Up: take the data dir's manager lock (one manager per data dir), stop what a manager that
died left running there (``processes/orphans.py``), wipe it if ``fresh``, put a
snapshot's stores in place if ``from_snapshot``,
start the broker, start the nodes while the apps build, install the apps, create and join
the contexts, write ``cluster.json``, then start the monitor (feeds, convergence), the
loopback control endpoint and, if asked, the source watcher. Down, in reverse: background
tasks, nodes (SIGINT, a grace period, then SIGKILL, said aloud), the broker, the state
file. Data stays between runs unless ``fresh``.

Example::

    async with open_cluster(load_config(None), progress=print) as cluster:
        await cluster.call("node-1", "set", {"key": "a", "value": "1"})
        await cluster.wait_value("get", {"key": "a"}, expected="1")
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from calimero_devnet.auth import GENERATE, new_token
from calimero_devnet.cluster.events import ClusterReady, EventHub, Problem, Progress, Step
from calimero_devnet.cluster.handle import Cluster, publish_rules
from calimero_devnet.cluster.monitor import ConvergenceWatch, FeedListener
from calimero_devnet.cluster.processes import orphans
from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)
from calimero_devnet.cluster.processes.broker_watch import death_reason
from calimero_devnet.cluster.processes.datadir import manager_lock, wipe
from calimero_devnet.cluster.processes.statefile import remove_state
from calimero_devnet.cluster.processes.supervisor import (
    STOP_GRACE_S,
    Supervisor,
    node_specs,
    stopping_nodes,
)
from calimero_devnet.cluster.snapshots.take import checked_for, put_back_snapshot
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.node.bus.broker_url import shown
from calimero_devnet.node.bus.net_rules import HEALTHY

log = logging.getLogger(__name__)
BACKGROUND_STOP_S = 5.0  # how long a cancelled background task may take to end


@contextlib.asynccontextmanager
async def open_cluster(
    config: DevnetConfig, progress: Progress | None = None, *, control: bool = True,
    watch: bool = False, grace: float = STOP_GRACE_S,
    on_handle: Callable[[Cluster], None] | None = None,
) -> AsyncIterator[Cluster]:  # fmt: skip
    """Run the cluster ``config`` describes for the duration of the block.

    Args:
        config: the resolved ``devnet.toml`` (``fresh`` wipes the data dir first).
        progress: called with every ``ClusterEvent``, from start-up to shutdown.
        control: serve the loopback control endpoint other ``devnet`` commands use.
        watch: rebuild and hot-redeploy apps whose ``watch`` is true when their sources change.
        grace: seconds a node gets to stop after SIGINT before SIGKILL.
        on_handle: called with the handle as soon as it exists, before the cluster is
            ready (so a second Ctrl-C during start-up can ``force_stop`` it).

    Raises:
        ClusterError: another manager owns the data dir, or a part failed to start.
        ToolchainError: an app failed to build.
    """
    hub = EventHub(progress)
    data_dir = config.cluster.data_dir
    started = time.perf_counter()
    with manager_lock(data_dir):
        async with AsyncExitStack() as stack:
            stack.callback(hub.close)
            stack.callback(remove_state, data_dir, os.getpid())
            cluster: Cluster | None = None

            def report(event: Any) -> None:
                (cluster.on_node_event if cluster is not None else hub.emit)(event)

            supervisor = Supervisor(report)
            supervisor.warm_up()  # the fork server imports while the broker starts
            stack.push_async_callback(supervisor.close)
            await _prepare_data_dir(config, hub)
            broker, url = await stack.enter_async_context(_open_broker(config, hub))
            # A healthy network to start with: retained rules outlive a cluster on an external
            # broker; and nodes that find rules at once need not wait for them.
            await publish_rules(url, config.cluster.name, HEALTHY)
            await stack.enter_async_context(stopping_nodes(supervisor, grace))
            token = _resolve_token(config.security.token)
            cluster = Cluster(config, hub, supervisor, url, broker=broker, grace=grace, token=token)
            if on_handle is not None:
                on_handle(cluster)
            stack.push_async_callback(cluster.aclose_clients)
            await _bring_up(cluster, supervisor.spawn_all(node_specs(config, url, token)))
            await stack.enter_async_context(_background(cluster, control, watch))
            cluster.write_state()
            ready = ClusterReady(time.perf_counter() - started, tuple(cluster.node_names),
                                 tuple(cluster.contexts.items()))  # fmt: skip
            hub.emit(ready)
            stack.push_async_callback(_say_down, hub)
            yield cluster


async def _prepare_data_dir(config: DevnetConfig, hub: EventHub) -> None:
    """Stop a dead manager's leftovers, wipe if ``fresh``, put a snapshot's stores in place."""
    data_dir = config.cluster.data_dir
    await _stop_orphans(data_dir, hub)  # before --fresh: they hold the stores open
    snapshot = None
    if config.from_snapshot is not None:  # checked before --fresh wipes anything
        snapshot = await asyncio.to_thread(checked_for, config, config.from_snapshot)
    if config.fresh:
        removed = wipe(data_dir)
        hub.emit(Step(f"--fresh: removed {', '.join(removed) or 'nothing'} in {data_dir}"))
    if snapshot is not None:
        await asyncio.to_thread(put_back_snapshot, config, *snapshot)
        hub.emit(Step(f"--from-snapshot: the nodes start from snapshot {config.from_snapshot}"))


async def _stop_orphans(data_dir: Path, hub: EventHub) -> None:
    """Stop what a manager that died left running on ``data_dir`` (``docs/decisions.md``):
    its nodes hold their stores' locks, so new ones could not open them."""
    found = orphans.find(data_dir)
    if not found:
        return
    names = ", ".join(leftover.what for leftover in found)
    hub.emit(Problem(f"{names} still running, left by a manager that is gone: stopping them "
                     "first (their data stays)"))  # fmt: skip
    done = await asyncio.to_thread(orphans.stop, found)
    killed = f"; killed {', '.join(done.killed)} (did not stop in time)" if done.killed else ""
    hub.emit(Step(f"stopped {len(done.stopped)} left-over process(es){killed}"))


def _resolve_token(setting: str | None) -> str | None:
    """The token of this run: ``"generate"`` makes a new one each time."""
    return new_token() if setting == GENERATE else setting


async def _bring_up(cluster: Cluster, spawning: Coroutine[Any, Any, object]) -> None:
    """Start the nodes while the apps build, then deploy."""
    spawn = asyncio.ensure_future(spawning)
    try:
        built = await cluster.rollout.build_all()
    except BaseException:
        await asyncio.gather(spawn, return_exceptions=True)  # the supervisor stops them
        raise
    await spawn
    await cluster.rollout.first_deploy(cluster.clients(), built)


@contextlib.asynccontextmanager
async def _open_broker(
    config: DevnetConfig, hub: EventHub
) -> AsyncIterator[tuple[BrokerHandle | None, str]]:
    """Start the configured broker (or use the external one); yield (handle, URL)."""
    if config.broker.kind == "external":
        url = str(config.broker.url)
        hub.emit(Step(f"using the external broker {shown(url)}"))
        yield None, url
        return
    workdir = config.cluster.data_dir / "broker"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if config.broker.kind == "mosquitto":
        opener = open_mosquitto(config.broker.port, workdir)
    else:
        opener = open_embedded_broker(port=config.broker.port, workdir=workdir)
    async with opener as handle:
        took = time.perf_counter() - started
        hub.emit(Step(f"broker {handle.kind} listening on {handle.url} ({took:.2f} s)"))
        try:
            yield handle, handle.url
        finally:
            was_running = handle.running
            code = handle.exit_code()
            if was_running:
                hub.emit(Step(f"stopping the {handle.kind} broker…"))
    if was_running:
        hub.emit(Step(f"{handle.kind} broker stopped; the cluster is down"))
    else:
        how = "it died and was not back yet" if code is None else death_reason(code)
        hub.emit(Step(f"{handle.kind} broker was not running ({how}): nothing to stop; "
                      "the cluster is down"))  # fmt: skip


@contextlib.asynccontextmanager
async def _background(cluster: Cluster, control: bool, watch: bool) -> AsyncIterator[None]:
    """Run the monitor, the control endpoint and the watcher for the block."""
    names = cluster.node_names
    feed = FeedListener(cluster.broker_url, cluster.cluster_id, names, cluster.emit)
    convergence = ConvergenceWatch(cluster.status, cluster.emit)
    feed.on_activity = convergence.poke
    feed.on_remote = cluster.remotes.on_bus
    feed.remote_names = cluster.remotes.nodes.names
    feed.on_link.append(cluster.broker_watch.note_link)
    jobs: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
        "feed": feed.run, "convergence": convergence.run, "broker": cluster.broker_watch.run,
        "remotes": cluster.remotes.run,
    }  # fmt: skip
    if watch:
        from calimero_devnet.cluster.deploy.watch import watch_apps  # noqa: PLC0415

        jobs["watch"] = lambda: watch_apps(cluster.config.apps, cluster.redeploy, cluster.emit)
    tasks = [asyncio.create_task(job(), name=f"cluster-{name}") for name, job in jobs.items()]
    for task in tasks:
        task.add_done_callback(lambda done: _said_if_crashed(cluster, done))
    async with AsyncExitStack() as stack:
        if control:
            from calimero_devnet.cluster.control.endpoint import serve_control  # noqa: PLC0415

            cluster.control_url = await stack.enter_async_context(serve_control(cluster))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: an MQTT client that never hears its disconnect acknowledged must not
            # hold the shutdown forever (seen as a rare hang at the end of a run).
            _, stuck = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_S)
            for task in stuck:
                log.warning("%s did not stop within %g s; leaving it", task.get_name(),
                            BACKGROUND_STOP_S)  # fmt: skip


def _said_if_crashed(cluster: Cluster, task: asyncio.Task[None]) -> None:
    """A background task must not die silently: log it and tell the user."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("%s crashed", task.get_name(), exc_info=task.exception())
    cluster.emit(Problem(f"{task.get_name()} stopped: {task.exception()} (see the log)"))


async def _say_down(hub: EventHub) -> None:
    hub.emit(Step("shutting down…"))
