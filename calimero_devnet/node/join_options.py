"""Provides the broker options of a node: ``--broker`` / ``--join`` and their login.

``devnet node --join mqtt[s]://HOST:PORT --cluster NAME`` starts a node on another machine
that joins a running cluster through its shared broker: it serves HTTP on the address it
reaches the broker from (so the manager's machine can reach it too) and announces that
address in its presence. ``--username``, ``--password`` (or ``$DEVNET_BROKER_PASSWORD``)
and ``--ca-file`` go with either option.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.broker_url import (
    PASSWORD_ENV,
    BrokerAddress,
    parse_broker_url,
    with_env_password,
    with_login,
)

ANY_ADDRESS = ("0.0.0.0", "::")
JOINED_HOMES = Path(".devnet") / "joined"  # under the current directory, one per node name


def add_broker_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--broker``, ``--join`` and the broker login options."""
    add = parser.add_argument
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--broker",
        metavar="URL",
        help="MQTT broker, mqtt[s]://[USER@]HOST:PORT (enables replication)",
    )
    where.add_argument(
        "--join", metavar="URL", help="join a running cluster on another machine through its broker"
    )
    add("--username", metavar="USER", help="broker login (or USER@ in the URL)")
    add("--password", metavar="PASSWORD", help=f"broker password (better: ${PASSWORD_ENV})")
    add("--ca-file", type=Path, metavar="PEM", help="CA certificate(s) to trust for mqtts://")
    add(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"with --join: the node's data directory (default {JOINED_HOMES}/NAME)",
    )
    add("--advertise", metavar="HOST|URL",
        help="the host (or http://HOST:PORT) others reach this node at (default: where it "
             "listens)")  # fmt: skip


def broker_of(args: argparse.Namespace) -> BrokerAddress | None:
    """The broker ``--broker`` or ``--join`` names, with the login options applied.

    Raises:
        ConfigError: a bad URL or option, naming it.
    """
    url = args.join or args.broker
    if url is None:
        if args.username or args.password or args.ca_file:
            raise ConfigError("--username, --password and --ca-file need --broker or --join")
        return None
    option = "--join" if args.join else "--broker"
    try:
        address = parse_broker_url(url)
    except ConfigError as exc:
        raise ConfigError(f"{option}: {exc}") from exc
    address = with_login(address, args.username, args.password, args.ca_file)
    if address.ca_file is not None and not address.ca_file.is_file():
        raise ConfigError(f"--ca-file {address.ca_file}: no such file")
    return with_env_password(address, os.environ)


def joined_home(args: argparse.Namespace, name: str) -> Path:
    """The data directory of a joining node (``--data-dir``, ``--home`` or the default)."""
    home: Path = args.data_dir or args.home or JOINED_HOMES / name
    return home.expanduser().resolve()


def listen_address(
    args: argparse.Namespace, broker: BrokerAddress | None
) -> tuple[str, str | None]:
    """Where the node listens, and the host or URL it announces (None: where it listens).

    Without ``--join``: ``--host`` or loopback. With it: ``--host`` or the address facing
    the broker; listening on every address (``0.0.0.0``) announces the one facing the broker.
    """
    if not args.join or broker is None:
        return args.host or "127.0.0.1", args.advertise
    if args.host in (None, *ANY_ADDRESS) and args.advertise is None:
        facing = address_towards(broker)
        return args.host or facing, None if args.host is None else facing
    return args.host, args.advertise


def address_towards(broker: BrokerAddress) -> str:
    """The local address this machine reaches ``broker`` from (no packet is sent).

    Raises:
        ConfigError: the broker's host name does not resolve, or no route leads there.
    """
    try:
        family, kind, proto, _, target = socket.getaddrinfo(
            broker.host, broker.port, type=socket.SOCK_DGRAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.connect(target)  # UDP: picks the route and source address only
            return str(probe.getsockname()[0])
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the broker at {broker.url}: {exc}; check the host name and the route"
        ) from exc


def default_name() -> str:
    """This machine's name, cut to what a node name may hold."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())
    return (name.strip("-") or "remote")[:48]
