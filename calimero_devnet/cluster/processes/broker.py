"""Provides the MQTT brokers of a devnet: embedded amqtt (default) and Debian's mosquitto.

Both listen on a free loopback port and come as async context managers yielding a
``BrokerHandle``; ``restart`` brings the broker back on the same port (what a node sees
when the broker restarts mid-run), ``kill`` simulates a crash. Processes are stopped
politely, then forcefully: SIGTERM, a timeout, SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from calimero_devnet.errors import ClusterError

MOSQUITTO = "/usr/sbin/mosquitto"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class BrokerHandle:
    """A broker process listening on ``host:port``; the caller owns its lifetime."""

    def __init__(self, kind: str, host: str, port: int, argv: Sequence[str], log: Path) -> None:
        """Describe (not start) a broker run by ``argv``, appending its stderr to ``log``."""
        self.kind = kind
        self.host = host
        self.port = port
        self.log = log
        self._argv = list(argv)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``mqtt://host:port`` URL clients connect to."""
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id of the broker started last (None: not started or stopped by us)."""
        return None if self._process is None else self._process.pid

    def exit_code(self) -> int | None:
        """How the broker ended on its own (negative: the signal); None while it runs or
        once it was stopped (or killed) through this handle."""
        return None if self._process is None else self._process.poll()

    def start(self) -> None:
        """Start the process and wait until it accepts connections (blocking).

        Raises:
            ClusterError: if it exits or stays deaf for ``START_TIMEOUT_S``, with its stderr.
        """
        # stderr goes to a file, never a pipe: an unread pipe fills up and freezes the broker.
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                self._argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _accepts(self.host, self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ClusterError(
                    f"{self.kind} broker did not start on {self.host}:{self.port} "
                    f"(is the port taken?); its log {self.log} says: {self._log_tail()}"
                )
            time.sleep(0.01)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """Stop with SIGTERM, then SIGKILL after ``timeout_s``; return the exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the broker (a crash: no goodbye to clients)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    async def restart(self, down_s: float = 0.0) -> None:
        """Stop, stay down ``down_s`` seconds, and start again on the same port."""
        await asyncio.to_thread(self.stop)
        await asyncio.sleep(down_s)
        await asyncio.to_thread(self.start)

    def _log_tail(self) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return "(no log)"
        return text[-2000:] or "(nothing)"


def embedded_broker(workdir: Path, host: str = "127.0.0.1", port: int = 0) -> BrokerHandle:
    """Describe an amqtt broker subprocess logging to ``workdir`` (``port=0``: a free one)."""
    port = port or free_port(host)
    argv = [sys.executable, "-m", "calimero_devnet.cluster.processes.broker", "--host", host,
            "--port", str(port)]  # fmt: skip
    return BrokerHandle("amqtt", host, port, argv, workdir / "amqtt.log")


def mosquitto_broker(workdir: Path, port: int = 0) -> BrokerHandle:
    """Describe a mosquitto process whose config file and log live in ``workdir``.

    Raises:
        ClusterError: when mosquitto is not installed (Debian package ``mosquitto``).
    """
    if not Path(MOSQUITTO).exists() and shutil.which("mosquitto") is None:
        raise ClusterError(
            f"mosquitto is not installed ({MOSQUITTO} missing): "
            "run `sudo apt-get install mosquitto` or use the embedded broker"
        )
    binary = MOSQUITTO if Path(MOSQUITTO).exists() else str(shutil.which("mosquitto"))
    port = port or free_port()
    config = workdir / "mosquitto.conf"
    config.write_text(mosquitto_config(port), encoding="utf-8")
    return BrokerHandle("mosquitto", "127.0.0.1", port, [binary, "-c", str(config)],
                        workdir / "mosquitto.log")  # fmt: skip


def mosquitto_config(port: int) -> str:
    """Return a loopback-only, anonymous, memory-only mosquitto configuration."""
    return "\n".join([
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence false",
        "set_tcp_nodelay true",
        # The default (1000) silently drops QoS1 messages to a subscriber that falls behind
        # during a burst; a devnet would rather queue them ("notice" logs any drop).
        "max_queued_messages 100000",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "",
    ])  # fmt: skip


@contextlib.asynccontextmanager
async def open_embedded_broker(
    host: str = "127.0.0.1", port: int = 0, workdir: Path | None = None
) -> AsyncIterator[BrokerHandle]:
    """Run the embedded amqtt broker in a subprocess for the duration of the block.

    Its log goes to ``workdir`` (default: a temporary directory removed afterwards).
    """
    async with _workdir(workdir) as where, _running(embedded_broker(where, host, port)) as handle:
        yield handle


@contextlib.asynccontextmanager
async def open_mosquitto(port: int = 0, workdir: Path | None = None) -> AsyncIterator[BrokerHandle]:
    """Run mosquitto on a loopback port for the duration of the block (see above)."""
    async with _workdir(workdir) as where, _running(mosquitto_broker(where, port)) as handle:
        yield handle


@contextlib.asynccontextmanager
async def _workdir(workdir: Path | None) -> AsyncIterator[Path]:
    if workdir is not None:
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="devnet-broker-") as tmp:
        yield Path(tmp)


@contextlib.asynccontextmanager
async def _running(handle: BrokerHandle) -> AsyncIterator[BrokerHandle]:
    await asyncio.to_thread(handle.start)
    try:
        yield handle
    finally:
        await asyncio.to_thread(handle.stop)


def _accepts(host: str, port: int) -> bool:
    """Return True once the broker answers an MQTT 3.1.1 CONNECT with an accepting CONNACK."""
    client_id = b"devnet-probe"
    variable = b"\x00\x04MQTT\x04\x02\x00\x0a" + len(client_id).to_bytes(2, "big") + client_id
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(bytes([0x10, len(variable)]) + variable)
            connack = sock.recv(4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT: a polite goodbye, so no error is logged
    except OSError:
        return False
    return connack == b"\x20\x02\x00\x00"


if __name__ == "__main__":
    from calimero_devnet.cluster.processes.amqtt_broker import main
    from calimero_devnet.exits import exit_now

    main()
    exit_now(0)  # shut down cleanly already; skip the interpreter's teardown
