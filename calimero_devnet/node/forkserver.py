"""Provides the node fork server: one process imports the node once, then forks a node per ask.

A node spends ~90 % of its start-up importing (aiohttp, pydantic, cryptography, wasmtime,
rocksdict, aiomqtt): ~1.4 s of CPU each on this machine, so ten nodes on two cores took ten
imports. Here the imports happen once; each node is a ``fork()`` of this process (ms), its
module pages shared copy-on-write (``gc.freeze`` keeps the collector from touching them).

The manager talks to it over a ``SOCK_SEQPACKET`` socket pair (fd number in ``argv[1]``),
one JSON message per packet (``docs/decisions.md``, "Nodes fork from one fork server"):

- ``{"ready": true, "pid": P, "seconds": S}`` once, after the imports (or ``"error"``);
- ask ``{"id": N, "entry": "module:function", "argv": [...], "env": {...}, "title": T}``
  with three file descriptors: the child's stdin, stdout and stderr;
- answer ``{"started": N, "pid": P}`` with the child's pidfd (race-free signals; it stays
  valid after the child exits), or ``{"failed": N, "error": E}``;
- ``{"exited": P, "code": C}`` when a child ends (C as asyncio's returncode: -9 is SIGKILL).

The child leaves the server's session, takes the three descriptors as 0/1/2, closes every
other one, takes the asked environment and runs the entry, whose return is its exit code.
A child the manager cannot be told of (its end is gone) is killed. The server exits when
the manager's end closes; its children then serve on (as a node the manager started itself
would), reparented, and ``orphans.py`` finds them by their title or their stderr.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from setproctitle import setproctitle  # a child shows its node's command line in `ps`

from calimero_devnet.exits import exit_now

NODE_ENTRY = "calimero_devnet.node.__main__:main"
# What a node imports before it is ready, and on its first call (the runtime, the
# collections' host functions): all of it loaded here, before any fork.
PRELOAD = (
    "calimero_devnet.node.__main__",
    "calimero_devnet.node.service",
    "calimero_devnet.node.state.core",
    "calimero_devnet.node.runtime",
    "calimero_devnet.node.collections.imports",
    "calimero_devnet.node.replication.replicator",
    "calimero_devnet.node.bus.session",
    "calimero_devnet.node.bus.wire",
)
MAX_PACKET = 1 << 17  # an ask is its argv and environment: a few KiB
STDIO_FDS = 3


@dataclass(frozen=True, slots=True)
class Ask:
    """One fork asked for: what the child runs, with which streams."""

    id: int
    entry: str
    argv: list[str]
    env: dict[str, str]
    title: str
    fds: list[int]


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """Send one message (and ``fds``) as one packet."""
    socket.send_fds(sock, [json.dumps(message).encode()], fds or [])


def preload(modules: tuple[str, ...] = PRELOAD) -> float:
    """Import ``modules``; return the seconds it took."""
    started = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    return time.perf_counter() - started


class BadAsk(ValueError):
    """An ask that cannot be run (a manager's bug): answered ``failed``, the server serves on."""

    def __init__(self, ask_id: object, why: str) -> None:
        """The ask ``ask_id`` (None if unreadable) is refused for ``why``."""
        super().__init__(why)
        self.ask_id = ask_id


def read_ask(sock: socket.socket) -> Ask | None:
    """The next ask, or None once the manager's end is closed.

    Raises:
        BadAsk: it is not an ask (its descriptors are closed).
    """
    data, fds, flags, _addr = socket.recv_fds(sock, MAX_PACKET, STDIO_FDS, socket.MSG_CMSG_CLOEXEC)
    if not data and not fds:
        return None
    ask_id = None
    try:
        body = json.loads(data)
        ask_id = body.get("id") if isinstance(body, dict) else None
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(fds) != STDIO_FDS:
            raise ValueError(f"{len(fds)} descriptors (3 wanted) or a packet cut short")
        title = body.get("title", "")
        ask = Ask(
            int(body["id"]), str(body["entry"]), list(body["argv"]), dict(body["env"]), title, fds
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        _close(fds)
        raise BadAsk(ask_id, f"bad ask: {exc}") from exc
    return ask


def serve(sock: socket.socket) -> Ask | None:
    """Fork a child per ask and report the exits; return the ask in a child, None when done."""
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    while True:
        for key, _events in selector.select():
            if key.data is not None:  # a child's pidfd: it ended
                _reap(sock, selector, key.fd, key.data)
                continue
            try:
                ask = read_ask(sock)
            except BadAsk as exc:
                _tell(sock, {"failed": exc.ask_id, "error": str(exc)})
                continue
            if ask is None:
                return None
            if _fork(sock, selector, ask):
                selector.close()
                sock.close()
                return ask


def _fork(sock: socket.socket, selector: selectors.BaseSelector, ask: Ask) -> bool:
    """Fork for ``ask``; True in the child. The parent answers and watches the child.

    A child the manager cannot be told of is killed: nobody would drive it.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:
        _close(ask.fds)
        _tell(sock, {"failed": ask.id, "error": f"fork: {exc}"})
        return False
    if pid == 0:
        return True
    _close(ask.fds)
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as exc:  # out of descriptors: the child cannot be watched, so it goes
        os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still this child's
        os.waitpid(pid, 0)
        _tell(sock, {"failed": ask.id, "error": f"pidfd_open: {exc}"})
        return False
    selector.register(pidfd, selectors.EVENT_READ, pid)  # reaped when it ends, told or not
    if not _tell(sock, {"started": ask.id, "pid": pid}, [pidfd]):
        os.kill(pid, signal.SIGKILL)
    return False


def _tell(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> bool:
    """Send ``message``; False if the manager's end is gone (the next read says so)."""
    try:
        send(sock, message, fds)
    except OSError:
        return False
    return True


def _reap(sock: socket.socket, selector: selectors.BaseSelector, pidfd: int, pid: int) -> None:
    selector.unregister(pidfd)
    os.close(pidfd)
    _pid, status = os.waitpid(pid, 0)
    _tell(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def run_child(ask: Ask) -> int:
    """In a forked child: take the ask's streams and environment, then run its entry."""
    os.setsid()  # out of the server's session: the terminal's Ctrl-C reaches only the manager
    for target, fd in enumerate(ask.fds):
        os.dup2(fd, target)
    os.closerange(STDIO_FDS, os.sysconf("SC_OPEN_MAX"))  # the server's and the siblings' ends
    if ask.title:  # before the environment changes: the title takes the space of the old one
        setproctitle(ask.title)
    os.environ.clear()
    os.environ.update(ask.env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.argv = [ask.entry, *ask.argv]
    return int(_entry(ask.entry)(ask.argv))


def _entry(spec: str) -> Callable[[list[str]], int]:
    module, _, function = spec.partition(":")
    entry: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return entry


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def main(argv: list[str]) -> int:
    """Serve the manager on the socket whose fd is ``argv[0]``; in a child, run its node."""
    sock = socket.socket(fileno=int(argv[0]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the manager stops us by closing its end
    try:
        seconds = preload()
    except Exception as exc:  # an import that fails: the manager starts nodes itself
        send(sock, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    gc.freeze()  # what is loaded stays shared with the children
    send(sock, {"ready": True, "pid": os.getpid(), "seconds": round(seconds, 3)})
    ask = serve(sock)
    return 0 if ask is None else run_child(ask)


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
