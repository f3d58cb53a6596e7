"""Provides network control in words: ``partition A,B / C``, ``latency A>B 50``, ``heal``.

Pure: it parses what users type and turns it into ``NetRules`` (``node/bus/net_rules.py``); the
manager publishes them as the retained ``ctl/net`` message every node's bus adapter obeys.
Faults are simulated in the nodes' adapters (SYNC.md): no root, no iptables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.net_rules import ANY, HEALTHY, LinkRule, NetRules, rules_to_json

_SPLIT = re.compile(r"[,\s]+")


def parse_groups(words: str | Sequence[str], known: Iterable[str] = ()) -> list[list[str]]:
    """Read partition groups: ``"node-1,node-2 / node-3"`` → ``[["node-1","node-2"],["node-3"]]``.

    ``words`` may be one string or the command line's words. Nodes named in no group form
    one more group together (``net_rules``).

    Raises:
        ConfigError: an empty group, a node in two groups, a name not in ``known``, or one
            group holding every node of ``known`` (no cut).
    """
    text = words if isinstance(words, str) else " ".join(words)
    groups = [[name for name in _SPLIT.split(part.strip()) if name] for part in text.split("/")]
    if not text.strip() or any(not group for group in groups):
        raise ConfigError(
            f"partition {text!r}: write groups of node names separated by '/', "
            "e.g. `devnet partition node-1,node-2 / node-3`"
        )
    seen: set[str] = set()
    for name in (name for group in groups for name in group):
        if name in seen:
            raise ConfigError(f"partition {text!r}: {name} is in two groups; put it in one")
        seen.add(name)
    _check_names(seen, known, f"partition {text!r}")
    _check_cuts(text, groups, known)
    return groups


def _check_cuts(text: str, groups: list[list[str]], known: Iterable[str]) -> None:
    """Refuse a "partition" that cuts nothing: one group naming every node (the nodes in no
    group would form the other side, and there are none)."""
    known_set = set(known)
    if len(groups) == 1 and known_set and known_set <= set(groups[0]):
        raise ConfigError(
            f"partition {text!r}: one group holding every node cuts nothing; name at least two "
            "groups, e.g. `devnet partition node-1,node-2 / node-3` (`devnet heal` removes "
            "partitions)"
        )


def parse_link(text: str, known: Iterable[str] = ()) -> tuple[str, str, bool]:
    """Read ``A>B`` (one way) or ``A<>B`` (both ways); ``*`` stands for any node.

    Raises:
        ConfigError: not of that form, or a name not in ``known``.
    """
    both = "<>" in text
    parts = [part.strip() for part in text.split("<>" if both else ">")]
    if len(parts) != 2 or not all(parts) or "<" in text.replace("<>", ""):
        raise ConfigError(
            f"link {text!r}: write FROM>TO (one way) or A<>B (both ways), e.g. node-1>node-3"
        )
    _check_names({name for name in parts if name != ANY}, known, f"link {text!r}")
    return parts[0], parts[1], both


def partitioned(rules: NetRules, groups: Sequence[Sequence[str]]) -> NetRules:
    """``rules`` with these partition groups instead of the current ones (links kept)."""
    return replace(rules, partitions=tuple(frozenset(group) for group in groups))


def with_link(
    rules: NetRules, sender: str, receiver: str, *, latency_ms: float, loss: float = 0.0,
    both: bool = False,
) -> NetRules:  # fmt: skip
    """``rules`` with the link ``sender>receiver`` (and back, if ``both``) set; 0/0 clears it.

    Raises:
        ConfigError: latency outside 0..60000 ms or loss outside 0..1.
    """
    if not 0 <= latency_ms <= 60_000:
        raise ConfigError(f"latency {latency_ms:g} ms: use 0..60000")
    if not 0 <= loss <= 1:
        raise ConfigError(f"loss {loss:g}: use a fraction 0..1 (0.1 drops one message in ten)")
    links = dict(rules.links)
    for pair in [(sender, receiver), (receiver, sender)] if both else [(sender, receiver)]:
        if latency_ms == 0 and loss == 0:
            links.pop(pair, None)
        else:
            links[pair] = LinkRule(float(latency_ms), float(loss))
    return replace(rules, links=links)


def with_faults(
    rules: NetRules, pairs: Iterable[tuple[str, str]], *, latency_ms: float | None = None,
    jitter_ms: float | None = None, loss: float | None = None, seed: int | None = None,
) -> NetRules:  # fmt: skip
    """``rules`` with the faults given set on each directed link of ``pairs``, its other
    faults kept (a link left with none is removed); ``seed`` reseeds the random draws.

    Raises:
        ConfigError: a delay outside 0..60000 ms or a loss outside 0..1.
    """
    for name, ms in (("latency", latency_ms), ("jitter", jitter_ms)):
        if ms is not None and not 0 <= ms <= 60_000:
            raise ConfigError(f"{name} {ms:g} ms: use 0..60000")
    if loss is not None and not 0 <= loss <= 1:
        raise ConfigError(f"loss {loss:g}: use a fraction 0..1 (0.1 drops one message in ten)")
    given = {"latency_ms": latency_ms, "jitter_ms": jitter_ms, "loss": loss}
    change = {key: float(value) for key, value in given.items() if value is not None}
    links = dict(rules.links)
    for pair in pairs:
        rule = replace(links.get(pair, LinkRule()), **change)
        if rule.idle:
            links.pop(pair, None)
        else:
            links[pair] = rule
    return replace(rules, links=links, seed=rules.seed if seed is None else seed)


def healed() -> NetRules:
    """A healthy network: no partition, no link fault, nobody disconnected."""
    return HEALTHY


def describe(rules: NetRules) -> str:
    """The rules in one line, e.g. ``partitions node-1,node-2 | node-3; node-1>node-3 50 ms``."""
    parts = []
    if rules.partitions:
        parts.append("partitions " + " | ".join(",".join(sorted(g)) for g in rules.partitions))
    for (sender, receiver), rule in sorted(rules.links.items()):
        fault = [f"{rule.latency_ms:g} ms"] if rule.latency_ms else []
        fault += [f"±{rule.jitter_ms:g} ms"] if rule.jitter_ms else []
        fault += [f"{rule.loss:.0%} loss"] if rule.loss else []
        parts.append(f"{sender}>{receiver} {' '.join(fault)}")
    if rules.disconnected:
        parts.append("disconnected " + ",".join(sorted(rules.disconnected)))
    return "; ".join(parts) or "healthy (no partition, no link fault)"


def document(rules: NetRules) -> dict[str, Any]:
    """The rules as the ``ctl/net`` JSON document the nodes get (``rules_to_json``, decoded)."""
    decoded: dict[str, Any] = json.loads(rules_to_json(rules))
    return decoded


def _check_names(names: Iterable[str], known: Iterable[str], where: str) -> None:
    known_set = set(known)
    if not known_set:
        return
    unknown = sorted(set(names) - known_set)
    if unknown:
        raise ConfigError(
            f"{where}: no node named {', '.join(unknown)} (nodes: {', '.join(sorted(known_set))})"
        )
