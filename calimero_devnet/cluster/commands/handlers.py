"""Provides the handlers of the control-plane commands (``devnet status``, ``call``, ...).

Each finds the running cluster through ``cluster.json`` in the data dir (``RemoteCluster``),
does one thing, prints a line or a table (or JSON with ``--json``) and returns the exit
status; errors propagate to ``exits.guarded``, which prints them and picks the code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.control import netctl
from calimero_devnet.cluster.convergence import SAME
from calimero_devnet.cluster.netstate import network_words
from calimero_devnet.cluster.processes.broker_watch import BrokerHealth
from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.cluster.status import render_table
from calimero_devnet.config.load import find_config, load_config
from calimero_devnet.errors import ConfigError


def data_dir_of(args: argparse.Namespace) -> Path:
    """``--data-dir``, else the data dir of ``--config`` or ./devnet.toml, else ``.devnet``."""
    if args.data_dir is not None:
        return Path(args.data_dir).resolve()
    path = Path(args.config) if args.config else find_config()
    return load_config(path).cluster.data_dir


def _attach(args: argparse.Namespace) -> RemoteCluster:
    return RemoteCluster.attach(data_dir_of(args))


def emit(args: argparse.Namespace, data: Any, text: str) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)
    return 0


def read_args_text(text: str) -> str:
    """The call's JSON text: as given, from ``@FILE``, or from stdin for ``-`` (a 1 MB value
    does not fit on a command line: "Argument list too long").

    Raises:
        ConfigError: the file cannot be read, or is not UTF-8.
    """
    if text == "-":
        return sys.stdin.read()
    if not text.startswith("@"):
        return text
    path = Path(text[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"arguments file {str(path)!r}: cannot read it ({reason})") from None


def _start(text: str) -> str:
    """``text`` quoted, cut at 100 characters: arguments from a file may be megabytes."""
    return repr(text) if len(text) <= 100 else f"{text[:100]!r}…"


def parse_json(text: str, what: str) -> Any:
    """Parse a JSON argument, or explain how to quote it.

    Raises:
        ConfigError: not JSON.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"{what} {_start(text)} is not JSON ({exc}): quote it for the shell, e.g. "
            """'{"key": "a", "value": "1"}'"""
        ) from None


def run_status(args: argparse.Namespace) -> int:
    """``devnet status``: every node, every context, convergence; net rules and versions."""
    cluster = _attach(args)
    status = asyncio.run(cluster.status(standing=True))
    manager = {"pid": cluster.state.manager_pid, "running": not cluster.manager_gone}
    data, text = status.to_json() | {"manager": manager}, render_table(status)
    if cluster.manager_gone:  # its nodes serve on: show them, and say what is missing
        return emit(args, data, f"{text}\n{_manager_gone(cluster)}")
    if cluster.state.control_url is not None:
        extra = asyncio.run(cluster.manager_status())
        broker = BrokerHealth.from_json(extra.get("broker"))  # None from an older manager
        keys = ("net", "versions", "behind", "failures", "restarts")
        extra = {key: extra.get(key, []) for key in keys}
        data |= extra | {"broker": None if broker is None else broker.to_json()}
        versions = ", ".join(f"{app} v{v}" for app, v in extra["versions"].items())
        network = network_words(extra["net"]["text"], broker, status.bus)
        text += f"\nnetwork: {network}\napps: {versions}"
        text += "".join(f"\n  {line}" for line in extra["behind"])
        text += "".join(f"\nfailure: {failure}" for failure in extra["failures"])
        text += "".join(f"\nhistory: {line}" for line in extra["restarts"])
    return emit(args, data, text)


def _manager_gone(cluster: RemoteCluster) -> str:
    serving = [ref.name for ref in cluster.refs() if ref.running]
    return (
        f"manager: pid {cluster.state.manager_pid} is gone; {len(serving)} node(s) serve on "
        f"without it ({', '.join(serving)}): network, kill/restart and redeploys need a "
        "manager: `devnet up` stops them and starts one on the same data, `devnet down` "
        "stops them"
    )


def run_call(args: argparse.Namespace) -> int:
    """``devnet call NODE METHOD JSON|@FILE|-``: print the method's output as JSON."""
    call_args = parse_json(read_args_text(args.args), "arguments")
    cluster = _attach(args)
    output = asyncio.run(cluster.call(args.node, args.method, call_args, args.context))
    data = {"node": args.node, "method": args.method, "output": output}
    return emit(args, data, json.dumps(output, ensure_ascii=False))  # keep "值" readable


def run_wait(args: argparse.Namespace) -> int:
    """``devnet wait-converged [--value METHOD JSON] [--expect JSON]``."""
    cluster = _attach(args)
    if args.value is None:
        reports = asyncio.run(cluster.wait_converged(args.timeout, args.context))
    else:
        if len(args.value) > 2:
            raise ConfigError("--value takes METHOD and, optionally, its JSON arguments")
        method, raw = args.value[0], args.value[1] if len(args.value) == 2 else "{}"
        expected = SAME if args.expect is None else parse_json(args.expect, "--expect")
        call_args = parse_json(raw, "arguments")
        waiting = cluster.wait_value(
            method, call_args, args.timeout, expected=expected, context=args.context
        )
        reports = [asyncio.run(waiting)]
    data = [{"context": r.context, "what": r.what, "seconds": r.elapsed_s} for r in reports]
    return emit(args, data, "\n".join(report.summary() for report in reports))


def run_partition(args: argparse.Namespace) -> int:
    """``devnet partition node-1,node-2 / node-3``."""
    cluster = _attach(args)
    groups = netctl.parse_groups(args.groups, [ref.name for ref in cluster.refs()])
    rules = asyncio.run(cluster.partition(groups))
    return emit(args, rules, f"network: {rules['text']}")


def run_heal(args: argparse.Namespace) -> int:
    """``devnet heal``."""
    rules = asyncio.run(_attach(args).heal())
    return emit(args, rules, f"network: {rules['text']}")


def run_latency(args: argparse.Namespace) -> int:
    """``devnet latency FROM>TO MS [--loss F]``."""
    cluster = _attach(args)
    sender, receiver, both = netctl.parse_link(args.link, [ref.name for ref in cluster.refs()])
    rules = asyncio.run(cluster.latency(sender, receiver, args.ms, args.loss, both))
    return emit(args, rules, f"network: {rules['text']}")


def run_node_action(args: argparse.Namespace) -> int:
    """``devnet kill|restart|stop|start NODE`` (through the manager)."""
    data = asyncio.run(_attach(args).node_action(args.node, args.action))
    state = "running" if data["running"] else "down"
    return emit(args, data, f"{args.node}: {args.action} done ({state})")


def run_reset(args: argparse.Namespace) -> int:
    """``devnet reset [CONTEXT]``: start a context afresh (the only one when not named)."""
    cluster = _attach(args)
    names = list(cluster.contexts)
    if args.context is None and len(names) != 1:
        raise ConfigError(f"name the context to reset: {', '.join(names) or '(none)'}")
    data = asyncio.run(cluster.reset(args.context or names[0]))
    return emit(args, data, data["text"])


def run_down(args: argparse.Namespace) -> int:
    """``devnet down``: stop the manager (and anything it left behind)."""
    from calimero_devnet.cluster.commands.down import stop_cluster  # noqa: PLC0415

    report = stop_cluster(data_dir_of(args), args.timeout)
    data = {"managerPid": report.manager_pid, "graceful": report.graceful,
            "stopped": list(report.stopped), "killed": list(report.killed),
            "removedUnreadable": report.removed_unreadable, "seconds": report.seconds}  # fmt: skip
    return emit(args, data, "\n".join(report.lines()))


def run_logs(args: argparse.Namespace) -> int:
    """``devnet logs [NODE] [-f]``."""
    from calimero_devnet.cluster.commands import logs  # noqa: PLC0415
    from calimero_devnet.cluster.commands.headless import use_colour  # noqa: PLC0415

    data_dir = data_dir_of(args)
    names = logs.known_nodes(data_dir)
    if args.node is not None and args.node not in names:
        raise ConfigError(f"no node {args.node!r} in {data_dir} (nodes: {', '.join(names)})")
    chosen = [args.node] if args.node else names
    files = logs.node_logs(data_dir, chosen)
    paint = logs.Painter(names, use_colour(sys.stdout) and not args.json)

    def write(node: str, line: str) -> None:
        text = json.dumps({"node": node, "line": line}) if args.json else paint(node, line)
        print(text, flush=True)

    for node, line in logs.merged(files, args.lines):
        write(node, line)
    if args.follow:
        logs.follow(files, write, stop=lambda: False)
    return 0
