"""`devnet node --join` against a real mosquitto that wants TLS and a password."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificate(where: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA) and its key."""
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """mosquitto on a loopback port: TLS only, user ``dev`` with password ``right``."""
    if shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("needs openssl and mosquitto_passwd (Debian: openssl, mosquitto)")
    cert, key = _certificate(tmp_path)
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "dev", "right"],
                   check=True, capture_output=True, timeout=30)  # fmt: skip
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    # user: as root, mosquitto would drop to user "mosquitto", who cannot read tmp_path
    user = f"user {os.getlogin() if os.getuid() else 'root'}\n"
    conf.write_text(f"listener {port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}\n"
                    f"password_file {passwords}\nallow_anonymous false\n{user}")  # fmt: skip
    log = tmp_path / "mosquitto.log"
    with log.open("wb") as out:
        broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=out, stderr=out)
    try:
        _wait_listening(port, log)
        yield port, cert
    finally:
        broker.terminate()
        broker.wait(10)


def _wait_listening(port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"mosquitto did not listen on {port}: {log.read_text(errors='replace')}")


def _join(tmp_path: Path, url: str, *argv: str, env: dict[str, str] | None = None,
          wait: bool = True) -> subprocess.Popen[str]:  # fmt: skip
    command = [sys.executable, "-m", "calimero_devnet.cli", "node", "--join", url,
               "--cluster", "login", "--name", "far-1", "--data-dir", str(tmp_path / "far"),
               *argv]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment)  # fmt: skip


def _refused(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def test_a_wrong_password_is_one_line_and_exit_2(
    tls_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = tls_broker
    code, err = _refused(
        _join(tmp_path, f"mqtts://dev:n0tit@127.0.0.1:{port}", "--ca-file", str(ca))
    )
    assert code == 2
    assert err.strip().count("\n") == 0, err
    assert err.startswith(f"devnet: error: the broker at mqtts://dev@127.0.0.1:{port}")
    assert "refused user 'dev'" in err
    assert "n0tit" not in err


def test_an_untrusted_certificate_or_no_broker_is_one_line(
    tls_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = tls_broker
    code, err = _refused(_join(tmp_path, f"mqtts://dev:right@127.0.0.1:{port}"))
    assert code == 2
    assert err.startswith("devnet: error: cannot reach the broker at"), err
    assert "CERTIFICATE_VERIFY_FAILED" in err
    code, err = _refused(_join(tmp_path, f"mqtt://127.0.0.1:{_free_port()}"))
    assert (code, err.count("\n")) == (2, 1), err
    assert "cannot reach the broker at mqtt://127.0.0.1:" in err


def test_the_right_login_over_tls_brings_the_node_up(
    tls_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = tls_broker
    node = _join(tmp_path, f"mqtts://dev@127.0.0.1:{port}", "--ca-file", str(ca),
                 env={"DEVNET_BROKER_PASSWORD": "right"})  # fmt: skip
    try:
        assert node.stdout is not None
        ready = node.stdout.readline()
        assert '"event":"ready"' in ready, ready + (node.stderr.read() if node.stderr else "")
        assert '"name":"far-1"' in ready
    finally:
        node.terminate()
        node.communicate(timeout=15)  # and closes the pipes
    assert node.returncode == 0
