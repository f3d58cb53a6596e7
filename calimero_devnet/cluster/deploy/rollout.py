"""Provides ``Rollout``: which build of each app the cluster runs, and moving nodes to it.

First deployment: build every app (concurrently with the nodes' start-up), install each on
every node, create and join the contexts. Hot redeploy: rebuild one app; a failed build
keeps the running version and reports the compiler's error; a good one is installed on
every running node and each of its contexts is switched to it, keeping their state, unless
the new build cannot read that state (``StateRefused``: the old version keeps serving it).
Reset: a context starts afresh under the id of its next generation (``generations.py``).
A node that was down during a redeploy or a reset is brought up to date when it starts.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calimero_devnet.cluster.deploy import install as deploy
from calimero_devnet.cluster.deploy.generations import (
    at_generation,
    earlier_ids,
    load_generations,
    save_generations,
)
from calimero_devnet.cluster.deploy.watch import sources_stamp
from calimero_devnet.cluster.events import (
    AppDeployed,
    BuildFinished,
    ClusterEvent,
    ContextReset,
    NodeSwitched,
    Problem,
    StateRefused,
    Step,
)
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.cluster.processes.supervisor import module_cache_dir
from calimero_devnet.config.model import ContextSettings, DevnetConfig
from calimero_devnet.errors import ClusterError, ConfigError, ToolchainError
from calimero_devnet.ids import sha256, to_b58

if TYPE_CHECKING:
    from calimero_devnet.toolchain.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class AppVersion:
    """The build of an app the cluster runs: its id, a counter from 1, the file, and the ABI
    manifest that file carries (None when it carries none)."""

    name: str
    app_id: str
    version: int
    wasm: Path
    manifest: dict[str, Any] | None = None


class Rollout:
    """Builds and deploys the apps of ``config`` (one build or deploy at a time)."""

    def __init__(self, config: DevnetConfig, emit: Callable[[ClusterEvent], None]) -> None:
        """Build into ``<data_dir>/apps/<app>/``; report with ``emit``."""
        self._config = config
        self._emit = emit
        self._out = config.cluster.data_dir / "apps"
        self._lock = asyncio.Lock()
        self.current: dict[str, AppVersion] = {}
        self.contexts: dict[str, str] = {}  # context name -> id
        self.refused: dict[str, StateRefused] = {}  # context name -> the switch it refused
        self._generations: dict[str, int] = {}  # context name -> resets so far
        self.everywhere: set[str] = set()  # nodes in every context: the remote ones

    def _members(self, context: ContextSettings) -> tuple[str, ...]:
        """The configured members of ``context``, then the remote nodes."""
        extra = sorted(self.everywhere - set(context.members))
        return (*context.members, *extra)

    def _say(self, text: str) -> None:
        self._emit(Step(text))

    async def build(self, app: str, *, typecheck: bool = False) -> Path:
        """Build one app, report it, and keep a copy named by its id (what nodes install).

        The copy makes every version a file of its own: a later build overwriting the
        build output (or failing halfway through it) never changes what a node installs.
        ``typecheck``: run ``tsc`` next to the build; type errors fail it unless
        ``[build] deploy_on_type_errors`` (then they are reported as a ``Problem``).

        Raises:
            ToolchainError: the build failed (also reported as a failed ``BuildFinished``).
        """
        started = time.perf_counter()
        settings = self._config.app(app)
        try:
            (wasm, finished), diags = await asyncio.gather(
                deploy.build(settings, self._out, self._say),
                deploy.typecheck(settings, self._out) if typecheck else _no_errors(),
            )
            data = await asyncio.to_thread(wasm.read_bytes)
        except ToolchainError as exc:
            self._emit(BuildFinished(app, time.perf_counter() - started, str(exc)))
            raise
        except OSError as exc:
            self._emit(BuildFinished(app, time.perf_counter() - started, str(exc)))
            raise ToolchainError(f"app {app}: cannot read its build output: {exc}") from exc
        if diags:
            anyway = self._config.build.deploy_on_type_errors
            report = deploy.type_error_report(diags, deployed=anyway)
            if not anyway:
                self._emit(BuildFinished(app, time.perf_counter() - started, report))
                raise ToolchainError(f"app {app}: type errors\n{report}")
            self._emit(Problem(f"{app}: {report}"))
        kept = self._out / app / "deployed" / f"{to_b58(sha256(data))}.wasm"
        await asyncio.to_thread(_keep, kept, data)
        try:
            await deploy.precompile(data, module_cache_dir(self._config.cluster.data_dir))
        except ToolchainError as exc:
            self._emit(BuildFinished(app, time.perf_counter() - started, f"app {app}: {exc}"))
            raise
        self._emit(finished)
        return kept

    async def build_all(self) -> dict[str, Path]:
        """Build every app concurrently; return app name → ``.wasm``."""
        names = [app.name for app in self._config.apps]
        paths = await asyncio.gather(*(self.build(name) for name in names))
        return dict(zip(names, paths, strict=True))

    async def first_deploy(
        self, clients: Mapping[str, NodeClient], built: Mapping[str, Path]
    ) -> dict[str, str]:
        """Install every app everywhere, then create and join every context; return their ids."""
        async with self._lock:
            self._generations = load_generations(self._config.cluster.data_dir)
            for name, wasm in built.items():
                started = time.perf_counter()
                app_id = await deploy.install(list(clients.values()), wasm)
                manifest = await asyncio.to_thread(deploy.read_manifest, wasm)
                self.current[name] = AppVersion(name, app_id, 1, wasm, manifest)
                took = time.perf_counter() - started
                self._say(
                    f"installed {name} ({app_id[:8]}) on {len(clients)} nodes in {took:.2f} s"
                )
            for context in self._config.contexts:
                app_id = self.current[context.app].app_id
                cid = await deploy.ensure_context(self._now(context), app_id, clients, self._say)
                self.contexts[context.name] = cid
                members = [clients[m] for m in context.members if m in clients]
                await asyncio.gather(*(self._drop_earlier(c, context) for c in members))
        return dict(self.contexts)

    async def redeploy(self, app: str, clients: Mapping[str, NodeClient]) -> AppDeployed | None:
        """Rebuild ``app`` and move every running node to it; None if it failed or is unchanged."""
        async with self._lock:
            before = await asyncio.to_thread(sources_stamp, self._config.app(app))
            try:
                wasm = await self.build(app, typecheck=True)
            except ToolchainError:
                return None  # reported; the running version stays
            if await asyncio.to_thread(sources_stamp, self._config.app(app)) != before:
                self._say(f"{app}: sources changed during the build; not deploying a half-save")
                return None  # the watcher sees the change and builds again
            app_id = await deploy.install(list(clients.values()), wasm)
            old = self.current[app]
            if app_id == old.app_id:
                self._say(
                    f"{app}: the new build is byte-identical to v{old.version}; nothing to do"
                )
                return None
            targets = [(client, self._contexts_of(app, name)) for name, client in clients.items()]
            version = old.version + 1
            progress = itertools.count(1)

            def switched(node: str) -> None:
                self._emit(NodeSwitched(app, version, node, next(progress), len(targets)))

            done, failed = await deploy.switch_everywhere(targets, app_id, switched)
            manifest = await asyncio.to_thread(deploy.read_manifest, wasm)
            self.current[app] = AppVersion(app, app_id, version, wasm, manifest)
            why = tuple((failure.node, str(failure.error)) for failure in failed)
            event = AppDeployed(app, app_id, version, tuple(done), why)
            self._emit(event)
            self._report_refusals(app, version, [f for f in failed if f.state_refused])
            return event

    async def bring_up_to_date(self, client: NodeClient) -> None:
        """Install the current builds on a (re)started node, drop the contexts reset while it
        was down and join their new generation, and switch its contexts to the current builds."""
        async with self._lock:
            for app in self.current.values():
                await client.install(str(app.wasm.resolve()))
            for context in self._config.contexts:
                if client.name in self._members(context) and context.name in self.contexts:
                    await self._catch_up(client, context)

    async def _drop_earlier(self, client: NodeClient, context: ContextSettings) -> None:
        """Delete the generations of ``context`` before the current one from ``client`` (a
        member that was down during a reset still holds one)."""
        for old in earlier_ids(context, self._generations.get(context.name, 0)):
            if await client.context(old) is not None:
                await client.delete_context(old)
                self._say(f"{client.name}: dropped context {context.name} ({old[:8]}), reset")

    async def _catch_up(self, client: NodeClient, context: ContextSettings) -> None:
        await self._drop_earlier(client, context)
        app_id = self.current[context.app].app_id
        cid = self.contexts[context.name]
        await deploy.join_or_switch(client, context.name, cid, app_id, self._say)

    async def reset(self, name: str, clients: Mapping[str, NodeClient]) -> ContextReset:
        """Start context ``name`` afresh on the current build, under its next generation's id.

        Every running member deletes the old context; the first running member creates the
        new one (running ``init``) and the others join it. Members that are down catch up
        when they start (``bring_up_to_date``).

        Raises:
            ConfigError: no context of that name.
            ClusterError: none of its members runs.
        """
        async with self._lock:
            context = self._context(name)
            running = tuple(member for member in self._members(context) if member in clients)
            if not running:
                raise ClusterError(f"no member of context {name} is running: start one first")
            old = self.contexts.get(name)
            if old is not None:
                await asyncio.gather(*(clients[m].delete_context(old) for m in running))
            generation = self._generations.get(name, 0) + 1
            self._generations[name] = generation
            await asyncio.to_thread(
                save_generations, self._config.cluster.data_dir, self._generations
            )
            fresh = replace(at_generation(context, generation), members=running)
            app = self.current[context.app]
            cid = await deploy.ensure_context(fresh, app.app_id, clients, self._say)
            self.contexts[name] = cid
            self.refused.pop(name, None)
            event = ContextReset(name, old, cid, app.name, app.version, running)
            self._emit(event)
            return event

    def generations(self) -> dict[str, int]:
        """Context name → how often it was reset (missing: never)."""
        return dict(self._generations)

    async def adopt(self, contexts: Mapping[str, str], generations: Mapping[str, int]) -> None:
        """Take the context ids and generations of restored stores (a snapshot), and keep
        the generations on disk; call ``bring_up_to_date`` on each node next."""
        async with self._lock:
            self.contexts.clear()  # in place: the Cluster holds this very dict
            self.contexts.update(contexts)
            self._generations = dict(generations)
            self.refused.clear()
            await asyncio.to_thread(
                save_generations, self._config.cluster.data_dir, self._generations
            )

    def _now(self, context: ContextSettings) -> ContextSettings:
        """``context`` at its current generation."""
        return at_generation(context, self._generations.get(context.name, 0))

    def _context(self, name: str) -> ContextSettings:
        for context in self._config.contexts:
            if context.name == name:
                return context
        names = ", ".join(context.name for context in self._config.contexts)
        raise ConfigError(f"no context named {name!r} (contexts: {names})")

    def _report_refusals(self, app: str, version: int, refused: list[deploy.SwitchFailure]) -> None:
        # A context that took this version is no longer behind; one that refused it is.
        self.refused = {name: r for name, r in self.refused.items() if r.app != app}
        names = {cid: name for name, cid in self.contexts.items()}
        by_context: dict[str, list[deploy.SwitchFailure]] = {}
        for failure in refused:
            by_context.setdefault(failure.context, []).append(failure)
        for cid, failures in by_context.items():
            nodes = tuple(failure.node for failure in failures)
            event = StateRefused(app, version, names.get(cid, cid), nodes, failures[0].reason)
            self.refused[event.context] = event
            self._emit(event)

    def behind(self) -> list[str]:
        """Each context still on an earlier version of its app than ``versions`` says, why."""
        return [
            f"context {r.context} still runs {r.app} v{r.version - 1} or earlier on "
            f"{', '.join(r.nodes)}: v{r.version} cannot read its state ({r.reason}); "
            f"`devnet reset {r.context}` starts it afresh on v{r.version}"
            for r in self.refused.values()
        ]

    def versions(self) -> dict[str, int]:
        """App name → the version number running now."""
        return {name: app.version for name, app in self.current.items()}

    def apps_info(self) -> list[dict[str, Any]]:
        """Each deployed app, in config order: the build running now and its ABI manifest."""
        return [
            {"name": app.name, "appId": running.app_id, "version": running.version,
             "kind": app.kind, "path": str(app.path), "manifest": running.manifest}
            for app in self._config.apps if (running := self.current.get(app.name)) is not None
        ]  # fmt: skip

    def _contexts_of(self, app: str, node: str) -> list[str]:
        return [
            self.contexts[context.name]
            for context in self._config.contexts
            if context.app == app
            and node in self._members(context)
            and context.name in self.contexts
        ]


async def _no_errors() -> list[Diagnostic]:
    """The type errors of a build that is not type-checked."""
    return []


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` once, atomically (a crash never leaves half a module)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_bytes(data)
    temp.replace(path)
