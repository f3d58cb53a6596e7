"""Provides the manager's end of the node fork server (``calimero_devnet/node/forkserver.py``).

``ForkServer.start`` runs the server and waits for its imports; ``spawn`` asks it for a
node and returns a ``ForkedChild``, which a ``NodeProcess`` drives as it would an asyncio
subprocess: ``pid``, ``stdout``, ``send_signal``, ``wait``, ``returncode``. Signals go
through the child's pidfd, so a pid the system gave to another program is never hit.

The server is the children's parent and reports their exit codes. Should it die first,
each child still running is watched through its pidfd and ends with ``LOST_EXIT`` (the
real code died with the server); new nodes are then started without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import sys
from typing import Any

from calimero_devnet.cluster.processes.node_events import LOST_EXIT
from calimero_devnet.errors import ClusterError
from calimero_devnet.node.forkserver import MAX_PACKET, NODE_ENTRY

log = logging.getLogger(__name__)
SERVER_PROGRAM = (sys.executable, "-m", "calimero_devnet.node.forkserver")
READY_TIMEOUT_S = 60.0  # the imports, on a loaded machine
CLOSE_TIMEOUT_S = 5.0
SPAWN_TIMEOUT_S = 30.0  # a fork takes ms: a server this slow is stuck


class ForkServerGone(ClusterError):
    """The fork server cannot take an ask (gone, or stopped answering): start the node
    another way."""


class ForkedChild:
    """A node forked by the server, as much of ``asyncio.subprocess.Process`` as a node needs."""

    def __init__(self, pid: int, pidfd: int, stdout: asyncio.StreamReader) -> None:
        """A running child ``pid`` (signalled through ``pidfd``), its stdout read by us."""
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._pidfd = pidfd
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def send_signal(self, sig: int) -> None:
        """Signal the child; ``ProcessLookupError`` once it has ended."""
        if self.returncode is not None:
            raise ProcessLookupError(self.pid)
        signal.pidfd_send_signal(self._pidfd, sig)

    async def wait(self) -> int:
        """Wait until the child has ended; return its exit code (-N: killed by signal N)."""
        return await asyncio.shield(self._exit)

    def watch_pidfd(self) -> None:
        """Notice the end through the pidfd alone (no one is left to say the code)."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self._pidfd, self.ended, LOST_EXIT)

    def ended(self, code: int) -> None:
        """Record the child's end (once)."""
        if self.returncode is not None:
            return
        self.returncode = code
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._exit.set_result(code)


class ForkServer:
    """One fork server process and the children it forked for us."""

    def __init__(self, process: asyncio.subprocess.Process, sock: socket.socket) -> None:
        """Talk to the running server ``process`` over ``sock`` (our end of its socket pair)."""
        self.process = process
        self.lost = False
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._gone: asyncio.Future[None] = self._loop.create_future()  # set once lost
        self._closing = False
        self._asks: dict[int, tuple[asyncio.Future[ForkedChild], asyncio.StreamReader]] = {}
        self._children: dict[int, ForkedChild] = {}
        self._ids = itertools.count(1)
        self._loop.add_reader(sock.fileno(), self._on_readable)
        self._stderr = asyncio.ensure_future(self._relay_stderr())

    @classmethod
    async def start(cls, env: dict[str, str], within: float = READY_TIMEOUT_S) -> ForkServer:
        """Run a server with ``env`` and wait until it has imported the node.

        Raises:
            ClusterError: it could not start, failed its imports or was not ready in time.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = await asyncio.create_subprocess_exec(
                *SERVER_PROGRAM, str(theirs.fileno()), pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
            )  # fmt: skip
        except BaseException as exc:  # cancelled too: our end must not leak
            ours.close()
            if isinstance(exc, OSError):
                raise ClusterError(f"cannot start the node fork server: {exc}") from exc
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        server = cls(process, ours)
        try:
            ready = await asyncio.wait_for(asyncio.shield(server._ready), within)
        except BaseException:
            await server.close()
            raise
        if not ready.get("ready"):
            await server.close()
            raise ClusterError(f"the node fork server failed its imports: {ready.get('error')}")
        log.info("node fork server %d ready (imports took %.2f s)", process.pid, ready["seconds"])
        return server

    async def spawn(
        self, argv: list[str], env: dict[str, str], stderr: int, title: str = "",
        entry: str = NODE_ENTRY,
    ) -> ForkedChild:  # fmt: skip
        """Fork a child running ``entry(argv)`` with ``env``, stderr on the fd ``stderr``.

        A child forked for a spawn that was cancelled or timed out meanwhile is killed as
        soon as the server names it: no child runs that no one drives.

        Raises:
            ForkServerGone: the ask did not reach the server, or it stopped answering.
            ClusterError: it could not fork, or died with the ask in hand.
        """
        if self.lost:
            raise ForkServerGone("the node fork server is gone")
        ask_id = next(self._ids)
        ask = {"id": ask_id, "entry": entry, "argv": argv, "env": env, "title": title}
        answer: asyncio.Future[ForkedChild] = self._loop.create_future()
        reader = asyncio.StreamReader()
        read_end, write_end = os.pipe()
        pipe = os.fdopen(read_end, "rb", buffering=0)  # the transport owns it once made
        try:
            transport, _protocol = await self._loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), pipe
            )
        except BaseException:
            pipe.close()
            os.close(write_end)
            raise
        stdin = os.open(os.devnull, os.O_RDONLY)
        try:
            self._asks[ask_id] = (answer, reader)
            await self._send(ask, [stdin, write_end, stderr])
            return await asyncio.wait_for(asyncio.shield(answer), SPAWN_TIMEOUT_S)
        except TimeoutError:
            self._asks.pop(ask_id, None)
            answer.cancel()
            transport.close()
            self._lose(f"the node fork server did not answer within {SPAWN_TIMEOUT_S:g} s")
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()  # it must not fork later for an ask we gave up on
            raise ForkServerGone("the node fork server stopped answering") from None
        except BaseException:
            self._asks.pop(ask_id, None)
            answer.cancel()  # a child named later is killed (``_dispatch``)
            transport.close()
            raise
        finally:
            os.close(write_end)
            os.close(stdin)

    async def close(self) -> None:
        """Stop the server (its children serve on; the supervisor stops them first).

        Our end stops writing, so the server answers what it already has and exits; a
        child it names meanwhile is killed (nobody asked for it any more).
        """
        if not self.lost:
            self._closing = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._gone), CLOSE_TIMEOUT_S)
        self._lose("the node fork server was closed")
        self._sock.close()
        try:
            await asyncio.wait_for(self.process.wait(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        await asyncio.gather(self._stderr, return_exceptions=True)

    async def _send(self, message: dict[str, Any], fds: list[int]) -> None:
        packet = [json.dumps(message).encode()]
        while True:
            try:
                socket.send_fds(self._sock, packet, fds)
                return
            except BlockingIOError:
                await self._writable()
            except OSError as exc:
                self._lose(f"the node fork server is gone ({exc})")
                raise ForkServerGone("the node fork server is gone") from exc

    async def _writable(self) -> None:
        done: asyncio.Future[None] = self._loop.create_future()
        self._loop.add_writer(self._sock.fileno(), _resolve, done)
        try:
            await done
        finally:
            self._loop.remove_writer(self._sock.fileno())

    def _on_readable(self) -> None:
        while not self.lost:
            try:
                data, fds, _flags, _addr = socket.recv_fds(
                    self._sock, MAX_PACKET, 1, socket.MSG_CMSG_CLOEXEC
                )
            except BlockingIOError:
                return
            except OSError as exc:
                self._lose(f"the node fork server is gone ({exc})")
                return
            if not data:
                self._lose("the node fork server exited")
                return
            self._dispatch(json.loads(data), fds)

    def _dispatch(self, message: dict[str, Any], fds: list[int]) -> None:
        if "ready" in message:
            if not self._ready.done():
                self._ready.set_result(message)
        elif "started" in message:
            answer, reader = self._asks.pop(message["started"], (None, asyncio.StreamReader()))
            child = ForkedChild(message["pid"], fds[0], reader)
            self._children[child.pid] = child  # its exit is still reported, and reaped
            if answer is None or answer.done() or self._closing:
                child.send_signal(signal.SIGKILL)  # nobody waits for it any more
            else:
                answer.set_result(child)
        elif "exited" in message:
            ended = self._children.pop(message["exited"], None)
            if ended is not None:
                ended.ended(message["code"])
        elif "failed" in message:
            pending = self._asks.pop(message["failed"], None)
            if pending is not None and not pending[0].done():
                pending[0].set_exception(ClusterError(f"fork server: {message['error']}"))
            elif pending is None:
                log.warning("node fork server: %s", message["error"])

    def _lose(self, why: str) -> None:
        """Stop talking to the server: pending asks fail, running children are watched alone."""
        if self.lost:
            return
        self.lost = True
        self._loop.remove_reader(self._sock.fileno())
        if not self._ready.done():
            self._ready.set_result({"ready": False, "error": why})
        self._gone.set_result(None)
        for answer, _reader in self._asks.values():
            if not answer.done():  # it may have forked: not a reason to start another way
                answer.set_exception(ClusterError(f"{why}, with the start in hand"))
        self._asks.clear()
        for child in self._children.values():
            child.watch_pidfd()
        self._children.clear()

    async def _relay_stderr(self) -> None:
        """The server's own stderr (an import warning, a crash) goes to our log."""
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            log.warning("node fork server: %s", line.decode(errors="replace").rstrip())


def _resolve(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)
