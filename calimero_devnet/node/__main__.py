"""Provides the node process entry: ``python -m calimero_devnet.node --home DIR ...``.

Kept light at import time (argparse only) so ``devnet --help`` stays fast; the server and
the core load after the arguments are parsed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from calimero_devnet.auth import BEARER_RULE, ENV_VAR, valid_token
from calimero_devnet.errors import ConfigError, DevnetError
from calimero_devnet.exits import exit_now, guarded
from calimero_devnet.node.config import NodeConfig
from calimero_devnet.node.join_options import (
    add_broker_arguments,
    broker_of,
    default_name,
    joined_home,
    listen_address,
)

MAX_INDEX = 1023  # the low bits of every timestamp (HOST-ABI time_now)
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMAT = "%(asctime)s %(levelname)-7s {name} %(name)s: %(message)s"


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the node's command-line options (shared by ``devnet node``)."""
    add = parser.add_argument
    add("--home", type=Path, metavar="DIR", help="node data directory (required without --join)")
    add("--rpc-port", type=int, default=0, metavar="P", help="HTTP port (default 0: a free one)")
    add("--name", metavar="NAME", help="node name in logs (default: the home directory's name)")
    add("--index", type=int, metavar="N", help=f"devnet index 0..{MAX_INDEX} (keeps clocks apart)")
    add_broker_arguments(parser)
    add("--cluster", default="devnet", metavar="ID", help="cluster id: bus topic prefix")
    add(
        "--host",
        metavar="HOST",
        help="address to bind (default loopback; with --join: the one facing the broker)",
    )
    add("--module-cache", type=Path, metavar="DIR",
        help="compiled-module cache, shareable by nodes (default: <home>/wasm-cache)")  # fmt: skip
    add("--log-level", choices=LOG_LEVELS, default="info")
    add("--manager-pid", type=int, metavar="PID",
        help="the devnet manager that started it: say in the log when it is gone")  # fmt: skip
    add("--shutdown-timeout", type=float, default=10.0, metavar="SECONDS",
        help="how long to let in-flight calls finish on SIGINT/SIGTERM")  # fmt: skip


def node_config(args: argparse.Namespace) -> NodeConfig:
    """Validate parsed options into a ``NodeConfig``; ``ConfigError`` names the option."""

    if not 0 <= args.rpc_port <= 65535:
        raise ConfigError(f"--rpc-port {args.rpc_port} is not a port: use 0..65535")
    if args.index is not None and not 0 <= args.index <= MAX_INDEX:
        raise ConfigError(f"--index {args.index} is out of range: use 0..{MAX_INDEX}")
    broker = broker_of(args)
    if args.join:
        name = args.name or default_name()
        home = joined_home(args, name)
    elif args.data_dir is not None:
        raise ConfigError("--data-dir goes with --join; a node of this machine takes --home DIR")
    elif args.home is None:
        raise ConfigError("--home DIR is required (or --join URL to join a cluster elsewhere)")
    else:
        home = args.home.expanduser().resolve()
        name = args.name or home.name
    _check_name(name)
    host, advertise = listen_address(args, broker)
    token = os.environ.get(ENV_VAR) or None
    if token is not None and not valid_token(token):
        raise ConfigError(f"${ENV_VAR} is not a valid bearer token: use {BEARER_RULE}")
    return NodeConfig(
        home=home,
        rpc_port=args.rpc_port,
        module_cache=args.module_cache.expanduser().resolve() if args.module_cache else None,
        name=name,
        index=args.index,
        host=host,
        broker=broker.secret_url if broker else None,
        advertise=advertise,
        join=bool(args.join),
        cluster=args.cluster,
        shutdown_timeout=args.shutdown_timeout,
        access_log=args.log_level == "debug",
        manager_pid=args.manager_pid,
        token=token,
    )


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
    if config.join and config.broker:
        _check_joinable(config.broker)
    configure_logging(config.home, args.log_level, config.name)
    from calimero_devnet.node.service import run_node  # noqa: PLC0415  (loads aiohttp)

    try:
        return run_node(config)
    except DevnetError:
        raise  # the caller prints it as one line
    except Exception:
        logging.getLogger(__name__).exception("node %s crashed", config.name)
        return 1


def _check_name(name: str) -> None:
    from calimero_devnet.node.bus.wire import check_name  # noqa: PLC0415  (kept off --help)

    try:
        check_name(name)
    except ValueError as exc:
        raise ConfigError(f"--name: {exc}") from exc


def _check_joinable(broker_url: str) -> None:
    """Refuse, in one line, a broker that is not there or will not take our login."""
    import asyncio  # noqa: PLC0415  (only a joining node waits on the broker first)

    from calimero_devnet.node.bus.session import broker_address, check_broker  # noqa: PLC0415

    asyncio.run(check_broker(broker_address(broker_url)))


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run a node; errors become one line on stderr and an exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m calimero_devnet.node", description="Run one devnet node."
    )
    add_node_arguments(parser)
    args = parser.parse_args(argv)
    return guarded(lambda: run_from_args(args))


if __name__ == "__main__":
    exit_now(main())
