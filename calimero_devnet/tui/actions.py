"""Provides ``Actions``: what the UI's keys and command palette do to the cluster.

Every action that changes the cluster is one ``ClusterSource`` call in a worker: success
is a short notification, a ``DevnetError`` is a notification with the node's or manager's
own message, and a fresh status poll follows so the nodes view shows the change at once.
Destructive ones (kill, stop, reset, quit while owning the cluster) ask once; ``ctrl+k``
kills without asking, as in k9s. Each one that a workflow step can replay goes into the
session's ``Recorder``; ``w`` writes the session as a workflow file (``recording.py``).
The actions that only change what is shown are in ``view_actions.py``.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from calimero_devnet.errors import DevnetError
from calimero_devnet.tui.call import CallRequest, CallScreen, Method, describe_result
from calimero_devnet.tui.dialogs import (
    ConfirmScreen,
    LatencyScreen,
    LinkFault,
    PartitionScreen,
    SnapshotNameScreen,
    SnapshotPickScreen,
)
from calimero_devnet.tui.keys import KEYS, VIEWS, key_label
from calimero_devnet.tui.recording import save_session, session_setup
from calimero_devnet.tui.view_actions import ViewActions
from calimero_devnet.workflows.record import Recorder


class Actions(ViewActions):
    """The actions half of ``DevnetApp`` (``app.py`` holds the layout and the data flow)."""

    methods: list[Method]
    apps: list[dict[str, Any]]
    history: list[CallRequest]
    recorder: Recorder

    BINDINGS = [  # noqa: RUF012
        Binding(key, action, label, show=bool(label), priority=key in {"ctrl+c"})
        for key, action, label, _ in KEYS
        if action  # Enter belongs to the lists themselves
    ]

    # --- plumbing ------------------------------------------------------------------------
    def stop_cluster(self) -> None:
        """Stop the owned cluster, then quit (``DevnetApp`` defines it)."""
        raise NotImplementedError

    def act(
        self, label: str, job: Callable[[], Awaitable[Any]],
        record: Callable[[bool], None] | None = None,
    ) -> None:  # fmt: skip
        """Run one library call in a worker; say how it went; refresh the status after.

        ``record`` puts a done action into the session's journal, told whether the
        cluster had converged when the user acted.
        """
        app = self

        async def run() -> None:
            if app.source is None:
                app.notify("the cluster is not up yet", severity="warning")
                return
            converged = self.converged_now()
            try:
                answer = await job()
            except DevnetError as exc:
                app.notify(str(exc), title=f"{label} failed", severity="error", timeout=8)
                return
            if record is not None:
                record(converged)
            app.notify(answer if isinstance(answer, str) else f"{label}: done", timeout=3)
            await self.poll_status()

        app.run_worker(run(), group="actions", description=label)

    async def poll_status(self) -> None:
        """Ask every node now (so an action shows at once, not at the next poll)."""
        app = self
        if app.source is not None:
            with contextlib.suppress(DevnetError):  # the next poll will say it
                app.model.apply_status(await app.source.status(), app.clock())

    def converged_now(self) -> bool:
        """Whether the context shown has converged (the recorder's cue for a wait)."""
        verdict = self.model.verdict()
        return verdict is not None and verdict.converged

    def _node_or_say(self) -> str | None:
        node = self.selected_node()
        if node is None:
            self.notify("select a node first", severity="warning")
        return node

    # --- calls ---------------------------------------------------------------------------
    def action_call(self) -> None:
        app = self
        if app.source is None:
            app.notify("the cluster is not up yet", severity="warning")
            return
        screen = CallScreen(app.model.node_names, app.methods, self._traced_call, app.history,
                            node=self.selected_node())  # fmt: skip
        app.push_screen(screen)

    async def _traced_call(self, request: CallRequest) -> dict[str, Any]:
        app = self
        assert app.source is not None
        context, converged = self._context_name(), self.converged_now()
        record = functools.partial(app.recorder.call, request.node, context or "",
                                   request.method, request.args, converged=converged)  # fmt: skip
        try:
            result = await app.source.call(request.node, request.method, request.args, context)
        except DevnetError as exc:
            if context is not None:
                record(error=str(exc))
            raise
        app.history.append(request)
        if context is not None:
            record(result=result)
        return result

    def action_rerun(self) -> None:
        app = self
        if not app.history:
            app.notify("no call yet: press c", severity="warning")
            return
        request = app.history[-1]

        async def job() -> str:
            return describe_result(await self._traced_call(request)).plain.strip()[:300]

        self.act(f"call {request.label()}", job)

    # --- nodes ---------------------------------------------------------------------------
    def _node_action(self, action: str, ask: bool) -> None:
        app = self
        node = self._node_or_say()
        if node is None:
            return

        def go(confirmed: bool | None = True) -> None:
            if confirmed and app.source is not None:
                source = app.source
                self.act(f"{action} {node}", lambda: source.node_action(node, action),
                         lambda c: app.recorder.node_action(action, node, converged=c))  # fmt: skip

        if ask:
            app.push_screen(ConfirmScreen(f"{action} {node}?"), go)
        else:
            go()

    def action_kill(self) -> None:
        self._node_action("kill", ask=True)

    def action_kill_now(self) -> None:
        self._node_action("kill", ask=False)

    def action_stop(self) -> None:
        self._node_action("stop", ask=True)

    def action_start(self) -> None:
        self._node_action("start", ask=False)

    def action_restart(self) -> None:
        self._node_action("restart", ask=False)

    # --- network -------------------------------------------------------------------------
    def action_partition(self) -> None:
        app = self
        current = {name: node.group or "A" for name, node in app.model.nodes.items()}

        def apply(groups: list[list[str]] | None) -> None:
            if groups is None or app.source is None:
                return
            source = app.source
            if len(groups) < 2:
                self.act("heal", source.heal, lambda c: app.recorder.heal(converged=c))
            else:
                self.act("partition", lambda: source.partition(groups),
                         lambda c: app.recorder.partition(groups, converged=c))  # fmt: skip

        app.push_screen(PartitionScreen(app.model.node_names, current), apply)

    def action_heal(self) -> None:
        source, recorder = self.source, self.recorder
        if source is not None:
            self.act("heal", source.heal, lambda c: recorder.heal(converged=c))

    def action_latency(self) -> None:
        app = self

        def apply(fault: LinkFault | None) -> None:
            if fault is None or app.source is None:
                return
            source = app.source
            link = (fault.sender, fault.receiver, fault.ms, fault.loss)
            self.act(
                f"link {fault.sender}>{fault.receiver}",
                lambda: source.latency(*link, fault.both),
                lambda calm: app.recorder.link_fault(*link, both=fault.both, converged=calm),
            )

        app.push_screen(LatencyScreen(app.model.node_names, self.selected_node()), apply)

    # --- apps and contexts ---------------------------------------------------------------
    def action_redeploy(self) -> None:
        app = self
        if not app.apps or app.source is None:
            app.notify("no app to redeploy", severity="warning")
            return
        source, name = app.source, str(app.apps[0]["name"])
        self.act(f"redeploy {name}", lambda: source.redeploy(name),
                 lambda _: app.recorder.not_replayable(f"redeploy {name}"))  # fmt: skip

    def action_reset(self) -> None:
        app = self
        context = self._context_name()
        if context is None or app.source is None:
            return
        source = app.source

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.act(f"reset {context}", lambda: source.reset(context),
                         lambda _: app.recorder.not_replayable(f"reset {context}"))  # fmt: skip

        app.push_screen(ConfirmScreen(f"reset {context}? Its state is lost on every node."), go)

    def action_snapshot(self) -> None:
        app = self
        if app.source is None:
            return
        source = app.source

        def go(name: str | None) -> None:
            if name:
                self.act(f"snapshot {name}", lambda: source.save_snapshot(name),
                         lambda calm: app.recorder.snapshot(name, converged=calm))  # fmt: skip

        app.push_screen(SnapshotNameScreen(time.strftime("snap-%Y%m%d-%H%M%S")), go)

    def action_restore(self) -> None:
        app = self
        if app.source is None:
            return
        source, names = app.source, app.source.snapshots()
        if not names:
            app.notify("no snapshot yet: press s to save one", severity="warning")
            return

        async def restore(name: str) -> None:
            # Every node goes down for a while: say so, not "DIVERGED: node-1 down; …".
            app.model.busy = f"RESTORING {name}: the nodes stop, get their stores back, start"
            app.model.bump("header")
            try:
                await source.restore_snapshot(name)
            finally:
                app.model.busy = None
                app.model.bump("header")

        def go(name: str | None) -> None:
            if name:
                self.act(f"restore {name}", lambda: restore(name),
                         lambda calm: app.recorder.restore(name, converged=calm))  # fmt: skip

        app.push_screen(SnapshotPickScreen(names), go)

    def action_next_context(self) -> None:
        model = self.model
        names = list(model.contexts)
        if len(names) > 1:
            current = model.selected_context()
            model.context = names[(names.index(current) + 1) % len(names) if current else 0]
            model.bump("nodes", "deltas", "header")
            self.redraw_view()

    def action_save_workflow(self) -> None:
        app = self
        if not app.recorder.steps:
            app.notify("nothing recorded yet: calls, partitions, heals and node actions are",
                       severity="warning")  # fmt: skip
            return
        app.recorder.finish(converged=self.converged_now())
        cwd = Path.cwd()
        try:
            path = save_session(app.recorder, session_setup(app.model, app.apps, cwd), cwd)
        except (OSError, ValueError) as exc:
            app.notify(str(exc), title="not saved", severity="error", timeout=8)
            return
        title = f"saved {len(app.recorder.steps)} steps to {path.name}"
        app.notify(f"replay it: devnet run {path.name}", title=title, timeout=8)

    # --- quitting ------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; when this UI owns the cluster, ask first and stop it (Textual's ctrl+q too)."""
        app = self
        source = app.source
        running = [n for n in app.model.nodes.values() if n.state in {"ready", "starting"}]
        if source is None or not source.owner or not running:
            app.exit(0)
            return

        def go(confirmed: bool | None) -> None:
            if confirmed:
                app.stop_cluster()

        question = f"Stop the cluster ({len(running)} nodes running) and quit?"
        app.push_screen(ConfirmScreen(question), go)

    # --- the command palette -------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, action, _, text in KEYS:
            if action in {"", "quit", "clear", "pause"}:
                continue
            yield SystemCommand(f"{action.replace('_', ' ')} ({key_label(key)})", text,
                                getattr(self, f"action_{action}"))  # fmt: skip
        for view in VIEWS:
            yield SystemCommand(
                f"view :{view}", f"go to the {view} view", lambda v=view: self.show_view(v)
            )
