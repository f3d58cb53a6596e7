"""Provides the ``devnet`` command: parse arguments, call the library, map errors to exit codes.

Adding a subcommand: write a ``_add_<name>(subparsers)`` function that declares its parser
and sets ``handler`` (a function of the parsed namespace returning an exit code), and list it
in ``COMMANDS``. Import heavy modules inside the handler, not here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from calimero_devnet import __version__
from calimero_devnet.exits import exit_now, guarded

Handler = Callable[[argparse.Namespace], int]


def _add_node(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Imported on use: the node's modules are not needed by the other commands.
    from calimero_devnet.node.__main__ import add_node_arguments  # noqa: PLC0415

    parser = subparsers.add_parser("node", help="run one node (what `devnet up` spawns)")
    add_node_arguments(parser)
    parser.set_defaults(handler=_run_node)


def _run_node(args: argparse.Namespace) -> int:
    from calimero_devnet.node.__main__ import run_from_args  # noqa: PLC0415

    return run_from_args(args)


def _add_build(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from calimero_devnet.toolchain.cli import add_build_command  # noqa: PLC0415

    add_build_command(subparsers)


def _add_new(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from calimero_devnet.templates import add_new_command  # noqa: PLC0415

    add_new_command(subparsers)


def _add_cluster(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from calimero_devnet.cluster.commands.cli import add_cluster_commands  # noqa: PLC0415

    add_cluster_commands(subparsers)


COMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    _add_node,
    _add_build,
    _add_new,
    _add_cluster,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``devnet`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="devnet", description="A local Calimero-style devnet.")
    parser.add_argument("--version", action="version", version=f"devnet {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``devnet`` command in this process; return its exit code."""
    return _main(argv)[0]


def console() -> NoReturn:
    """The ``devnet`` console script: run the command, then end the process.

    A command that finished everything it started (``devnet run``, ``exit_at_once``) ends
    without the interpreter's teardown, which costs ~0.5 s after a cluster ran.
    """
    code, args = _main(None)
    if getattr(args, "exit_at_once", False):
        exit_now(code)
    sys.exit(code)


def _main(argv: list[str] | None) -> tuple[int, argparse.Namespace]:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2, args
    return guarded(lambda: handler(args)), args


if __name__ == "__main__":
    console()
