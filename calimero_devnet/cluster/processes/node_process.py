"""Provides ``NodeProcess``: one node as an OS process the manager starts, stops and watches.

The node runs in its own session, so a Ctrl-C in the terminal reaches only the manager,
which then stops the nodes itself (a node that saw the terminal's SIGINT and then the
manager's would take the second one as "force"). A watcher task reads the ready line, then
waits for the exit; an exit nobody asked for is reported as ``NodeExited``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from calimero_devnet.auth import ENV_VAR
from calimero_devnet.cluster.processes.forked import ForkedChild, ForkServer, ForkServerGone
from calimero_devnet.cluster.processes.node_events import (
    RUN_MARKER,
    NodeExited,
    NodeReady,
    NodeStarting,
    NodeStopped,
    NodeStopping,
    Report,
    StopEscalated,
    exit_reason,
    log_tail,
    parse_ready_line,
    signal_name,
)
from calimero_devnet.errors import ClusterError
from calimero_devnet.node.bus.broker_url import PASSWORD_ENV, parse_broker_url

log = logging.getLogger(__name__)
NODE_PROGRAM = (sys.executable, "-m", "calimero_devnet.node")
NODE_TITLE = ("python", "-m", "calimero_devnet.node")  # a forked node's command line in `ps`
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """How to start one node: its options (``docs/rpc.md``) and the program to run."""

    name: str
    home: Path
    rpc_port: int = 0  # 0: a free port, kept across restarts once known
    index: int | None = None
    broker: str | None = None  # mqtt://HOST:PORT; None runs the node without replication
    cluster: str = "devnet"
    log_level: str = "info"
    shutdown_timeout: float = 3.0  # the node's own grace for in-flight calls
    module_cache: Path | None = None  # shared by the cluster's nodes (one compile per build)
    program: tuple[str, ...] = NODE_PROGRAM  # tests swap in a fake child
    manager_pid: int | None = None  # the node logs when this parent of it is gone
    token: str | None = field(default=None, repr=False)  # passed in the environment, not argv

    def argv(self, rpc_port: int) -> list[str]:
        """The command line of this node on ``rpc_port``."""
        args = ["--home", str(self.home), "--rpc-port", str(rpc_port), "--name", self.name]
        args += ["--cluster", self.cluster, "--log-level", self.log_level]
        args += ["--shutdown-timeout", f"{self.shutdown_timeout:g}"]
        args += ["--index", str(self.index)] if self.index is not None else []
        args += ["--broker", parse_broker_url(self.broker).url] if self.broker else []
        args += ["--module-cache", str(self.module_cache)] if self.module_cache else []
        args += ["--manager-pid", str(self.manager_pid)] if self.manager_pid else []
        return [*self.program, *args]


def _ignore(_event: object) -> None:
    """The default report: say nothing."""


ForkServerOf = Callable[[], Awaitable[ForkServer | None]]  # the server to fork from, if any


class NodeProcess:
    """One node's process: ``start``, ``wait_ready``, ``stop``, ``kill``, ``restart``."""

    def __init__(
        self, spec: NodeSpec, report: Report = _ignore, ready_timeout: float = 30.0,
        forks: ForkServerOf | None = None,
    ) -> None:  # fmt: skip
        """Describe (not start) the node of ``spec``; ``report`` receives its events.

        With ``forks``, a node of the real program is forked from the fork server it gives
        (``forked.py``); without one (or for another program) it is its own new process.
        """
        self.spec = spec
        self._forks = forks if spec.program == NODE_PROGRAM else None
        self.ready: NodeReady | None = None  # of the current run
        self.returncode: int | None = None
        self._port = spec.rpc_port  # once known, kept: a restarted node keeps its URL
        self._report = report
        self._ready_timeout = ready_timeout
        self._process: asyncio.subprocess.Process | ForkedChild | None = None
        self._watcher: asyncio.Task[int] | None = None
        self._first_line: asyncio.Future[bytes] | None = None
        self._stopping = False
        self._started = 0.0

    @property
    def name(self) -> str:
        """The node's name."""
        return self.spec.name

    @property
    def stderr_log(self) -> Path:
        """Where the node's stderr goes (its log lines, plus anything printed outside logging)."""
        return self.spec.home / "stderr.log"

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self._watcher is not None and not self._watcher.done()

    @property
    def pid(self) -> int | None:
        """The process id of the current (or last) run."""
        return self._process.pid if self._process is not None else None

    @property
    def url(self) -> str | None:
        """``http://<host>:<port>`` once ready."""
        return f"http://{self.ready.host}:{self.ready.rpc_port}" if self.ready else None

    async def start(self) -> None:
        """Launch the process (without waiting for it to be ready)."""
        if self.running:
            raise ClusterError(f"{self.name} is already running (pid {self.pid}): stop it first")
        self.spec.home.mkdir(parents=True, exist_ok=True)
        self._report(NodeStarting(self.name))
        self.ready, self.returncode, self._stopping = None, None, False
        self._started = time.perf_counter()
        server = await self._forks() if self._forks is not None else None
        with self.stderr_log.open("ab") as stderr:
            stderr.write(f"{RUN_MARKER}{self.name} at {time.ctime()} ---\n".encode())
            stderr.flush()
            self._process = await self._launch(stderr.fileno(), server)
        self._first_line = asyncio.get_running_loop().create_future()
        self._watcher = asyncio.create_task(self._watch(self._process), name=f"watch-{self.name}")

    async def _launch(
        self, stderr: int, server: ForkServer | None
    ) -> asyncio.subprocess.Process | ForkedChild:
        """Fork the node from ``server``, or (without one, or once it is gone) exec it."""
        argv = self.spec.argv(self._port)
        env = child_env(self.spec.token, self.spec.broker)
        if server is not None:
            args = argv[len(NODE_PROGRAM) :]
            try:
                return await server.spawn(args, env, stderr, shlex.join([*NODE_TITLE, *args]))
            except ForkServerGone as exc:
                log.warning("%s: %s; starting it as a process of its own", self.name, exc)
            except ClusterError as exc:
                raise ClusterError(f"cannot start {self.name}: {exc}") from exc
        try:
            return await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=stderr, env=env, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            raise ClusterError(f"cannot start {self.name}: {exc}") from exc

    async def wait_ready(self, within: float | None = None) -> NodeReady:
        """Wait up to ``within`` seconds (default: ``ready_timeout``) for the ready line.

        Raises:
            ClusterError: it exited first, timed out or printed something else; the process
                is gone and the message quotes its stderr.
        """
        if self._first_line is None:
            raise ClusterError(f"{self.name} was never started: call start() first")
        timeout = self._ready_timeout if within is None else within
        try:
            line = await asyncio.wait_for(asyncio.shield(self._first_line), timeout)
        except TimeoutError:
            await self._force_stop()
            raise ClusterError(
                f"{self.name} was not ready within {timeout:g} s: see {self.stderr_log}"
            ) from None
        except BaseException:
            await self._force_stop()  # cancelled: leave no process behind
            raise
        if not line:
            raise self._early_exit(await self.wait_exit())
        try:
            ready = parse_ready_line(self.name, line, time.perf_counter() - self._started)
        except ClusterError:
            await self._force_stop()
            raise
        self.ready, self._port = ready, ready.rpc_port
        self._report(ready)
        return ready

    async def stop(self, grace: float = 5.0) -> int | None:
        """Stop politely (SIGINT), then SIGKILL after ``grace`` seconds; return the exit code.

        The escalation is said aloud: a ``StopEscalated`` event and a warning in the log.
        """
        if not self.running or self._process is None or self._watcher is None:
            return self.returncode
        self._stopping = True
        started = time.perf_counter()
        self._report(NodeStopping(self.name))
        self._signal(signal.SIGINT)
        try:
            code = await asyncio.wait_for(asyncio.shield(self._watcher), grace)
        except TimeoutError:
            escalated = StopEscalated(self.name, grace)
            log.warning("%s", escalated)
            self._report(escalated)
            code = await self._force_stop()
        self._report(NodeStopped(self.name, code, time.perf_counter() - started))
        return code

    async def kill(self) -> int | None:
        """SIGKILL the node, as a crash would; the watcher reports it as ``NodeExited``."""
        if not self.running or self._watcher is None:
            return self.returncode
        self._signal(signal.SIGKILL)
        return await asyncio.shield(self._watcher)

    async def restart(self, grace: float = 5.0) -> NodeReady:
        """Stop (if running), start again on the same home and port, and wait until ready."""
        await self.stop(grace)
        await self.start()
        return await self.wait_ready()

    async def wait_exit(self) -> int:
        """Wait until the current run ends; return its exit code."""
        if self._watcher is None:
            raise ClusterError(f"{self.name} was never started: call start() first")
        return await asyncio.shield(self._watcher)

    async def _force_stop(self) -> int:
        self._stopping = True
        self._signal(signal.SIGKILL)
        assert self._watcher is not None
        return await asyncio.shield(self._watcher)

    def _signal(self, sig: signal.Signals) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(sig)

    async def _watch(self, process: asyncio.subprocess.Process | ForkedChild) -> int:
        assert process.stdout is not None
        assert self._first_line is not None
        first = await process.stdout.readline()
        if not self._first_line.done():
            self._first_line.set_result(first)
        while line := await process.stdout.readline():  # the node prints nothing more; drain
            log.debug("%s stdout: %s", self.name, line.decode(errors="replace").rstrip())
        code = await process.wait()
        self.returncode = code
        if self.ready is not None and not self._stopping:
            self._report(NodeExited(self.name, code, signal_name(code), log_tail(self.stderr_log)))
        return code

    def _early_exit(self, code: int) -> ClusterError:
        tail = " | ".join(log_tail(self.stderr_log, 3)) or "(nothing on stderr)"
        return ClusterError(
            f"{self.name} exited before it was ready ({exit_reason(code)}): {tail}; "
            f"full log: {self.stderr_log}"
        )


def child_env(token: str | None, broker: str | None = None) -> dict[str, str]:
    """Our environment with the node's token (or none) and the broker password of its URL
    (the command line shows the URL without it); run from a checkout, the checkout first on
    the children's path."""
    env = {key: value for key, value in os.environ.items() if key != ENV_VAR}
    env |= {ENV_VAR: token} if token is not None else {}
    password = parse_broker_url(broker).password if broker else None
    env |= {PASSWORD_ENV: password} if password is not None else {}
    if not (PACKAGE_ROOT / "pyproject.toml").is_file():
        return env  # installed: the children find the same package on their own
    paths = [str(PACKAGE_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}
