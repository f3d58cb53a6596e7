"""Provides the model in words: the headline, node rows, delta rows, the build line.

Pure functions of ``TuiModel`` (and the time), so what the screen says is tested without a
terminal. The convergence verdict is always said in words, never by colour alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from rich.text import Text

from calimero_devnet.cluster.status import ContextView
from calimero_devnet.tui.model import BuildInfo, DeltaRecord, NodeInfo, TuiModel
from calimero_devnet.tui.palette import level_style

STATE_LEVEL = {
    "ready": "ok", "starting": "busy", "stopping": "busy", "stopped": "muted",
    "killed": "warning", "crashed": "error", "gone": "warning",
}  # fmt: skip


def short(value: str | None, size: int = 6) -> str:
    """A short form of an id (``-`` for none)."""
    return value[:size] + "…" if value and len(value) > size else (value or "-")


def seconds(span: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 1 min``."""
    span = max(0, int(span))
    if span < 60:
        return f"{span} s"
    if span < 3600:
        return f"{span // 60} min {span % 60} s"
    return f"{span // 3600} h {span % 3600 // 60} min"


def _not_judged(model: TuiModel) -> tuple[str, str] | None:
    """Starting, stopped, or busy as a whole: no verdict to give."""
    if not model.ready:
        return f"STARTING: {model.progress}", "busy"
    if model.stopped:
        return "STOPPED: the cluster was stopped (`devnet up` starts it again)", "muted"
    return (model.busy, "busy") if model.busy else None


def headline(model: TuiModel, now: float) -> tuple[str, str]:
    """The cluster's verdict in words, and its level (ok / warning / error / busy)."""
    if (state := _not_judged(model)) is not None:
        return state
    verdict = model.verdict()
    partitioned = bool(model.net_rules.get("partitions"))
    down = [n.name for n in model.nodes.values() if n.state != "ready"]
    if verdict is None:
        return "NO CONTEXT", "muted"
    age = seconds(now - verdict.since)
    if verdict.converged:
        if partitioned:
            return f"PARTITIONED {_groups(model)}: same heads so far, {age}", "warning"
        extra = f" ({', '.join(down)} down)" if down else ""
        return f"CONVERGED {age}{extra}", "ok"
    return f"DIVERGED {age}: {_why(model, verdict.differences, down)}", "error"


def _groups(model: TuiModel) -> str:
    by_group: dict[str, list[str]] = {}
    for node in model.nodes.values():
        by_group.setdefault(node.group or "?", []).append(node.name)
    return " │ ".join(f"{g}: {' '.join(names)}" for g, names in sorted(by_group.items()))


def _why(model: TuiModel, differences: Sequence[str], down: Sequence[str]) -> str:
    verdict = model.verdict()
    reasons = []
    if model.net_rules.get("partitions"):
        reasons.append(f"partitioned ({_groups(model)})")
    lacking = verdict.lacking if verdict else {}
    reasons += [f"{name} lacks {count} delta(s)" for name, count in sorted(lacking.items())]
    if not lacking and differences:
        reasons.append(differences[0])
    reasons += [f"{name} down" for name in down]
    return "; ".join(reasons) or "nodes disagree"


def mib(value: int | None) -> str:
    """Bytes as MiB."""
    return "-" if value is None else f"{value / 2**20:.0f}M"


def node_row(model: TuiModel, node: NodeInfo, now: float) -> tuple[str, ...]:
    """The cells of one node's row (see ``NODE_COLUMNS``)."""
    view = node.views.get(model.selected_context() or "")
    heads = heads_cell(view.heads) if view else "-"
    version = _app_version(model, view.app_id if view else None)
    age = "-" if node.last_delta_at is None else seconds(now - node.last_delta_at)
    sync = _sync_cell(model, node.name, view)
    state = node.state if node.remote is None else f"{node.state} (remote)"
    return (
        node.name, state, str(node.pid or "-"), mib(node.rss),
        "-" if node.cpu is None else f"{node.cpu:.0f}%", version, heads,
        short(view.root if view else None, 6), str(view.pending if view else "-"),
        f"{node.rate_in(now):.1f}", f"{node.rate_out(now):.1f}", age, node.group or "-", sync,
    )  # fmt: skip


def _sync_cell(model: TuiModel, name: str, view: ContextView | None) -> str:
    """``ok``; ``lacks N`` (deltas others have); ``ahead`` (has what others lack); else ``≠``."""
    if view is None:
        return "-"
    if view.error:
        return "?"
    verdict = model.verdict()
    lacking = verdict.lacking if verdict else {}
    if name in lacking:  # (known from the deltas seen, before the next status poll says so)
        return f"lacks {lacking[name]}"
    if view.converged:
        return "ok"
    return "ahead" if lacking else "≠"


def heads_cell(heads: Sequence[str]) -> str:
    """``9fK2…`` for one head, ``9fK2…+2`` for three (concurrent, not merged yet)."""
    if not heads:
        return "-"
    return short(heads[0], 4) + (f"+{len(heads) - 1}" if len(heads) > 1 else "")


def log_message(line: str) -> str:
    """A node log line without its time, level, node and logger (for narrow panes)."""
    found = _LOG_PREFIX.match(line)
    return found.group(1) if found else line


_LOG_PREFIX = re.compile(r"^\S+ \S+ [A-Z]+\s+\S+ \S+: (.*)$")


NODE_COLUMNS = (
    "node", "state", "pid", "rss", "cpu", "app", "heads", "root", "pend", "in/s", "out/s",
    "last Δ", "grp", "sync",
)  # fmt: skip
MEDIUM_COLUMNS = (
    "node", "state", "app", "heads", "root", "pend", "in/s", "out/s", "grp", "sync",
)  # fmt: skip
NARROW_COLUMNS = ("node", "state", "heads", "pend", "grp", "sync")


TINY_COLUMNS = ("node", "state", "heads", "sync")


def columns_for(width: int) -> tuple[str, ...]:
    """The node columns that fit a pane ``width`` cells wide."""
    if width >= 100:
        return NODE_COLUMNS
    if width >= 62:
        return MEDIUM_COLUMNS
    return NARROW_COLUMNS if width >= 44 else TINY_COLUMNS


def delta_columns_for(width: int) -> tuple[str, ...]:
    """The delta columns that fit a pane ``width`` cells wide."""
    return DELTA_COLUMNS if width >= 70 else NARROW_DELTA_COLUMNS


def _app_version(model: TuiModel, app_id: str | None) -> str:
    if app_id is None:
        return "-"
    known = model.app_versions.get(app_id)
    return f"v{known[1]}" if known else short(app_id, 4)


def delta_row(model: TuiModel, record: DeltaRecord) -> tuple[str, ...]:
    """The cells of one delta's row (see ``DELTA_COLUMNS``)."""
    at = time.strftime("%H:%M:%S", time.localtime(record.seen_at))
    parents = " ".join(short(p, 4) for p in record.parents) or "(root)"
    summary = "; ".join(record.summary) or ("merge" if len(record.parents) > 1 else record.kind)
    shown = summary.count("; ") + 1 if record.summary else 0
    if record.actions > shown > 0:
        summary += f" (+{record.actions - shown})"
    applied = f"{len(record.applied_on | {record.author})}/{len(model.nodes)}"
    return (at, short(record.id, 5), record.author, parents, applied, summary)


DELTA_COLUMNS = ("time", "delta", "author", "parents", "on", "actions")
NARROW_DELTA_COLUMNS = ("delta", "author", "on", "actions")


def build_line(build: BuildInfo) -> tuple[str, str]:
    """One app's build and rollout in words, and its level."""
    took = "" if build.seconds is None else f" in {build.seconds:.2f} s"
    version = "" if build.version is None else f" v{build.version}"
    if build.status == "error":
        first = (build.error or "").strip().splitlines()[:1]
        return f"{build.app}: build failed{took}: {first[0] if first else ''}", "error"
    if build.status == "refused" and build.refused is not None:
        refused = build.refused
        return (
            f"{build.app} v{refused.version} refused: cannot read the state of "
            f"{refused.context} ({refused.reason}); v{refused.version - 1} keeps serving. "
            f"Press z to reset {refused.context} (its state is lost) or fix and save.",
            "error",
        )
    if build.status in {"building", "deploying"}:
        done = "" if build.switched is None else f": {build.switched[0]}/{build.switched[1]} nodes"
        return f"{build.app}: {build.status}{version}{took}{done}…", "busy"
    where = f"on {len(build.nodes)} node(s)"
    failed = "".join(f"; {node}: {why}" for node, why in build.failed)
    return f"{build.app}{version} built{took}, {where}{failed}", "warning" if failed else "ok"


def network_summary(model: TuiModel) -> str:
    """The network in a few words: a dead broker first, else the simulated rules."""
    if model.broker_down is not None:
        return f"broker down ({model.broker_down})"
    return model.net_text


def net_text(model: TuiModel) -> str:
    """The Network view: groups, link faults, and the keys that change them."""
    rules = model.net_rules
    lines = [f"network: {network_summary(model)}", ""]
    if rules.get("partitions"):
        lines.append("partition groups (simulated at each node's bus adapter; RPC stays up):")
        lines += [f"  {node.group}: {node.name}" for node in model.nodes.values()]
    for link, fault in sorted((rules.get("links") or {}).items()):
        loss = fault.get("loss", 0) or 0
        lines.append(f"  {link}: {fault.get('latency_ms', 0):g} ms, {loss:.0%} loss")
    if rules.get("disconnected"):
        lines.append(f"  disconnected: {', '.join(rules['disconnected'])}")
    lines += ["", "p partition   l latency/loss   h heal"]
    return "\n".join(lines)


def node_detail(model: TuiModel, name: str, now: float) -> Text:
    """The selected node's facts and its last lines, for the pane under the nodes table."""
    node = model.nodes[name]
    view = node.views.get(model.selected_context() or "")
    text = Text()

    def fact(label: str, value: str, style: str = "") -> None:
        text.append(f"{label:<9}", "bold")
        text.append(f"{value}\n", style)

    fact(name, node.state + (f" ({node.exit_reason})" if node.exit_reason else ""),
         level_style(STATE_LEVEL.get(node.state, "info")))  # fmt: skip
    if node.remote is not None:
        fact("process", f"remote, on {node.remote}  port {node.port or '-'}  (not ours: "
             "no pid or rss here)")  # fmt: skip
    else:
        fact("process", f"pid {node.pid or '-'}  port {node.port or '-'}  rss {mib(node.rss)}  "
             f"cpu {'-' if node.cpu is None else f'{node.cpu:.0f}%'}")  # fmt: skip
    bus = {True: "online", False: "OFFLINE", None: "?"}[node.online]
    fact("bus", f"{bus}; group {node.group or '-'}; key {short(node.public_key, 12)}")
    if view is not None:
        fact("heads", " ".join(short(h, 8) for h in view.heads) or "-")
        fact("root", f"{short(view.root, 16)}  pending {view.pending}")
        if view.error:
            fact("error", view.error, level_style("error"))
    last = "-" if node.last_delta_at is None else seconds(now - node.last_delta_at) + " ago"
    fact("deltas", f"in {node.rate_in(now):.1f}/s  out {node.rate_out(now):.1f}/s  last {last}")
    for line in [line for line in model.lines if line.node == name][-4:]:
        style = "dim" if line.level == "info" else level_style(line.level)
        text.append(f"  {log_message(line.text)[:200]}\n", style)
    return text
