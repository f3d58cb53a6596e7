"""Provides the cluster commands of ``devnet``: ``up`` and the control plane around it.

``add_cluster_commands(subparsers)`` declares them; each handler lives in ``up``,
``handlers`` (status, call, wait-converged, network and node control, down), ``snapshot``
or ``logs``.
Every command takes ``--config FILE`` / ``--data-dir DIR`` to find its cluster (default:
./devnet.toml's ``cluster.data_dir``, else ``.devnet``) and ``--json``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``module`` only when the command runs (keeps --help fast)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib  # noqa: PLC0415

        run: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"calimero_devnet.cluster.commands.{module}"), name
        )
        return run(args)

    return handler


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="devnet.toml to use "
                        "(default: ./devnet.toml when it exists)")  # fmt: skip
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="the cluster's data dir (default: cluster.data_dir)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON")


def _command(sub: Subparsers, name: str, help_: str, module: str, func: str,
             **extra: Any) -> argparse.ArgumentParser:  # fmt: skip
    parser = sub.add_parser(name, help=help_, description=help_, **extra)
    _common(parser)
    parser.set_defaults(handler=_lazy(module, func))
    return parser


def _add_up(sub: Subparsers) -> None:
    up = _command(sub, "up", "start the cluster: broker, nodes, apps, contexts", "up", "run_up")
    up.add_argument("--nodes", type=int, metavar="N", help="run N nodes (1..64)")
    up.add_argument("--broker", metavar="URL", help="mqtt://HOST:PORT, embedded or mosquitto")
    up.add_argument("--headless", action="store_true", help="print a live log instead of the UI")
    up.add_argument("--fresh", action="store_true", help="wipe the data dir's nodes first")
    up.add_argument("--detach", action="store_true",
                    help="run the manager in the background; return once ready")  # fmt: skip
    up.add_argument("--no-watch", action="store_true", help="do not rebuild apps on save")
    up.add_argument("--from-snapshot", metavar="NAME",
                    help="start from the stores of snapshot NAME")  # fmt: skip


def _add_snapshot(sub: Subparsers) -> None:
    text = "save, restore and move whole-cluster snapshots (every node's store)"
    snapshot = sub.add_parser("snapshot", help=text, description=text)
    verbs = snapshot.add_subparsers(dest="snapshot_verb", metavar="VERB", required=True)
    for verb, help_ in (
        ("save", "snapshot every node of the running cluster as NAME"),
        ("restore", "put every node back to snapshot NAME (writes since are lost), converged"),
        ("rm", "delete snapshot NAME"),
    ):
        _command(verbs, verb, help_, "snapshot", f"run_{verb}").add_argument("name", metavar="NAME")
    _command(verbs, "list", "list the snapshots of the data dir", "snapshot", "run_list")
    export = _command(verbs, "export", "write snapshot NAME to one file (a .tar.gz)",
                      "snapshot", "run_export")  # fmt: skip
    export.add_argument("name", metavar="NAME")
    export.add_argument("file", metavar="FILE")
    imported = _command(verbs, "import", "add the snapshot in FILE, every checksum verified",
                        "snapshot", "run_import")  # fmt: skip
    imported.add_argument("file", metavar="FILE")
    imported.add_argument("--name", metavar="NAME", help="import it under another name")


def _add_control(sub: Subparsers) -> None:
    _command(sub, "status", "show every node: state, heads, root, convergence", "handlers",
             "run_status")  # fmt: skip
    call = _command(sub, "call", "run an app method on a node", "handlers", "run_call")
    call.add_argument("node", help="the node to run it on, e.g. node-1")
    call.add_argument("method", help="the app method, e.g. set (its ABI names the methods)")
    call.add_argument("args", nargs="?", default="{}", metavar="JSON",
                      help="arguments: JSON, @FILE to read a file, - to read stdin")  # fmt: skip
    call.add_argument("--context", metavar="NAME", help="context name or id (default: the only)")
    down = _command(sub, "down", "stop a cluster started elsewhere", "handlers", "run_down")
    down.add_argument("--timeout", type=float, default=30.0, metavar="S",
                      help="how long the manager may take before it is killed")  # fmt: skip
    part = _command(sub, "partition", "cut the network: devnet partition node-1,node-2 / node-3",
                    "handlers", "run_partition")  # fmt: skip
    part.add_argument("groups", nargs="+", metavar="GROUPS",
                      help="groups of comma-separated node names, separated by '/'; nodes in "
                           "no group form one more group")  # fmt: skip
    _command(sub, "heal", "remove every partition and link fault", "handlers", "run_heal")
    lat = _command(sub, "latency", "delay a link: devnet latency node-1>node-2 50", "handlers",
                   "run_latency")  # fmt: skip
    lat.add_argument("link", metavar="FROM>TO", help="FROM>TO one way, A<>B both ways")
    lat.add_argument("ms", type=float, metavar="MS", help="milliseconds (0 with no loss clears)")
    lat.add_argument("--loss", type=float, default=0.0, metavar="F", help="drop fraction 0..1")
    for action, text in (
        ("kill", "SIGKILL a node, as a crash would"),
        ("restart", "stop a node and start it again"),
        ("stop", "stop a node politely"),
        ("start", "start a stopped node"),
    ):
        node = _command(sub, action, text, "handlers", "run_node_action")  # fmt: skip
        node.add_argument("node")
        node.set_defaults(action=action)
    reset = _command(sub, "reset", "start a context afresh from init on the current build "
                     "(its state is lost)", "handlers", "run_reset")  # fmt: skip
    reset.add_argument("context", nargs="?", metavar="CONTEXT", help="(default: the only one)")
    wait = _command(sub, "wait-converged", "wait until the nodes agree", "handlers", "run_wait")
    wait.add_argument(
        "--value",
        nargs="+",
        metavar=("METHOD", "JSON"),
        help="wait until METHOD(JSON) returns the same value on every node",
    )
    wait.add_argument("--expect", metavar="JSON", help="... and that value is this one")
    wait.add_argument("--timeout", type=float, default=30.0, metavar="S")
    wait.add_argument("--context", metavar="NAME", help="context name or id (default: all)")
    why = _command(sub, "why", "say why the nodes do not agree on a context", "why", "run_why")
    why.add_argument("--context", metavar="NAME", help="context name or id (default: all)")
    logs = _command(sub, "logs", "show the nodes' logs, merged", "handlers", "run_logs")
    logs.add_argument("node", nargs="?", help="one node (default: all)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=20, metavar="N",
                      help="lines per node to show first (default 20)")  # fmt: skip


def _add_run(sub: Subparsers) -> None:
    text = "run merobox workflow files (YAML), each on a fresh local cluster"
    run = sub.add_parser("run", help=text, description=text)
    run.add_argument("files", nargs="+", type=Path, metavar="FILE.yml")
    run.add_argument("--keep", action="store_true",
                     help="leave the cluster up after the steps (Ctrl-C stops)")  # fmt: skip
    run.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML to PATH")
    run.add_argument("--data-dir", type=Path, metavar="DIR",
                     help="the cluster's data dir (default: .devnet/run/<file name>)")  # fmt: skip
    # Every cluster it started is down when it returns: it ends at once (cli.console).
    run.set_defaults(handler=_lazy("run", "run_files"), exit_at_once=True)


def _add_tui(sub: Subparsers) -> None:
    tui = _command(sub, "tui", "open the terminal UI on a cluster that runs elsewhere "
                   "(`devnet up --detach`, another terminal)", "tui", "run_tui")  # fmt: skip
    tui.add_argument("--web", nargs="?", type=int, const=8000, metavar="PORT",
                     help="serve the UI in a browser on 127.0.0.1:PORT (default 8000)")  # fmt: skip


def add_cluster_commands(sub: Subparsers) -> None:
    """Declare ``up``, ``run``, ``tui`` and the control-plane commands on the sub-parsers."""
    _add_up(sub)
    _add_run(sub)
    _add_tui(sub)
    _add_control(sub)
    _add_snapshot(sub)
