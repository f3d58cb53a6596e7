"""Provides the node process entry: ``python -m calimero_devnet.node --home DIR ...``.

Kept light at import time (argparse only) so ``devnet --help`` stays fast; the server and
the core load after the arguments are parsed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from calimero_devnet.cli import guarded
from calimero_devnet.errors import ConfigError, DevnetError

if TYPE_CHECKING:
    from calimero_devnet.node.service import NodeConfig

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMAT = "%(asctime)s %(levelname)-7s {name} %(name)s: %(message)s"


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the node's command-line options (shared by ``devnet node``)."""
    parser.add_argument("--home", type=Path, required=True, help="node data directory")
    parser.add_argument(
        "--rpc-port", type=int, default=0, help="HTTP port (default 0: pick a free one)"
    )
    parser.add_argument("--name", help="node name in logs (default: the home directory's name)")
    parser.add_argument("--index", type=int, help="node index in the devnet (keeps clocks apart)")
    parser.add_argument("--broker", help="MQTT broker, mqtt://HOST:PORT")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    parser.add_argument(
        "--shutdown-timeout", type=float, default=10.0, help="seconds to finish in-flight calls"
    )


def node_config(args: argparse.Namespace) -> NodeConfig:
    """Validate parsed options into a ``NodeConfig``; ``ConfigError`` names the option."""
    from calimero_devnet.node.service import NodeConfig  # noqa: PLC0415  (loads aiohttp)

    if not 0 <= args.rpc_port <= 65535:
        raise ConfigError(f"--rpc-port {args.rpc_port} is not a port: use 0..65535")
    if args.index is not None and args.index < 0:
        raise ConfigError(f"--index {args.index} must be 0 or more")
    if args.broker is not None:
        _check_broker(args.broker)
    home = args.home.expanduser().resolve()
    return NodeConfig(
        home=home,
        rpc_port=args.rpc_port,
        name=args.name or home.name,
        index=args.index,
        host=args.host,
        broker=args.broker,
        shutdown_timeout=args.shutdown_timeout,
        access_log=args.log_level == "debug",
    )


def _check_broker(url: str) -> None:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "mqtt" or not parts.hostname or port is None:
        raise ConfigError(f"--broker {url!r} is not mqtt://HOST:PORT (e.g. mqtt://127.0.0.1:1883)")


def configure_logging(home: Path, level: str, name: str) -> None:
    """Log to ``<home>/node.log`` and to stderr (entry points only)."""
    home.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter(LOG_FORMAT.format(name=name))
    handlers: list[logging.Handler] = [
        logging.FileHandler(home / "node.log", encoding="utf-8"),
        logging.StreamHandler(sys.stderr),
    ]
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)


def run_from_args(args: argparse.Namespace) -> int:
    """Configure logging, then run the node until it is stopped."""
    config = node_config(args)
    configure_logging(config.home, args.log_level, config.name)
    from calimero_devnet.node.service import run_node  # noqa: PLC0415  (loads aiohttp)

    try:
        return run_node(config)
    except DevnetError:
        raise  # the caller prints it as one line
    except Exception:
        logging.getLogger(__name__).exception("node %s crashed", config.name)
        return 1


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run a node; errors become one line on stderr and an exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m calimero_devnet.node", description="Run one devnet node."
    )
    add_node_arguments(parser)
    args = parser.parse_args(argv)
    return guarded(lambda: run_from_args(args))


if __name__ == "__main__":
    sys.exit(main())
