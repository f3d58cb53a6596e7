"""Provides the simulated network rules (retained ``ctl/net``) and the pure verdict on a message.

The JSON document (every key optional; ``{}`` means a healthy network)::

    {"partitions": [["node-1", "node-2"], ["node-3"]],
     "links": {"node-1>node-3": {"latency_ms": 50, "jitter_ms": 10, "loss": 0.1},
               "*<>node-2": {"loss": 0.5}},
     "seed": 42,
     "disconnected": ["node-2"]}

* ``partitions``: groups of nodes that can reach each other. Nodes listed in no group form
  one more group together, so a newcomer is never silently joined to a listed group.
* ``links``: ``"a>b"`` applies to messages from ``a`` to ``b``, ``"a<>b"`` both ways; ``*``
  matches any node. The most specific key wins: ``a>b``, then ``a>*``, then ``*>b``, then
  ``*>*``. ``latency_ms`` delays, ``jitter_ms`` varies each delay by up to that much
  either way (never below 0; a link keeps its order), ``loss`` (0..1) drops at random.
* ``seed``: seeds the loss and jitter draws, one RNG per directed link (``link_rng``), so
  a run is reproducible whatever the other links carry.
* ``disconnected``: these nodes' adapters close their MQTT data session until removed.
"""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from calimero_devnet.errors import ConfigError

ANY = "*"
KEYS = ("partitions", "links", "seed", "disconnected")
LINK_KEYS = ("latency_ms", "jitter_ms", "loss")


@dataclass(frozen=True, slots=True)
class LinkRule:
    """Faults on one directed link."""

    latency_ms: float = 0.0
    loss: float = 0.0
    jitter_ms: float = 0.0

    @property
    def idle(self) -> bool:
        """True when the rule does nothing (the link is as if it had none)."""
        return self.latency_ms == 0 and self.jitter_ms == 0 and self.loss == 0


@dataclass(frozen=True, slots=True)
class NetRules:
    """The parsed ``ctl/net`` document (see the module docstring)."""

    partitions: tuple[frozenset[str], ...] = ()
    links: Mapping[tuple[str, str], LinkRule] = field(default_factory=dict)
    seed: int = 0
    disconnected: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand the message over now."""


@dataclass(frozen=True, slots=True)
class Drop:
    """Drop the message; ``reason`` says which rule cut it."""

    reason: str


@dataclass(frozen=True, slots=True)
class Delay:
    """Hand the message over after ``ms`` milliseconds."""

    ms: float


Verdict: TypeAlias = Deliver | Drop | Delay
HEALTHY = NetRules()


def reachable(rules: NetRules, sender: str, receiver: str) -> bool:
    """Return True if no partition separates ``sender`` from ``receiver``.

    ``disconnected`` is not judged here: it closes a session for real, and a verdict on it
    would race with the queued messages a reconnecting node flushes.
    """
    return _group(rules, sender) == _group(rules, receiver)


def link_rule(rules: NetRules, sender: str, receiver: str) -> LinkRule | None:
    """Return the most specific link rule from ``sender`` to ``receiver``, if any."""
    for key in ((sender, receiver), (sender, ANY), (ANY, receiver), (ANY, ANY)):
        rule = rules.links.get(key)
        if rule is not None:
            return rule
    return None


def link_rng(rules: NetRules, sender: str, receiver: str) -> random.Random:
    """Return a fresh RNG for the loss draws of one directed link under ``rules``."""
    return random.Random(f"{rules.seed}/{sender}>{receiver}")


def decide(rules: NetRules, sender: str, receiver: str, rng: random.Random) -> Verdict:
    """Decide the fate of one message from ``sender`` as ``receiver`` gets it.

    ``rng`` is drawn from only when a loss or jitter rule applies, so a link without either
    consumes nothing.
    """
    if not reachable(rules, sender, receiver):
        return Drop("partition")
    rule = link_rule(rules, sender, receiver)
    if rule is None:
        return Deliver()
    if rule.loss > 0 and rng.random() < rule.loss:
        return Drop("loss")
    delay = rule.latency_ms
    if rule.jitter_ms > 0:
        delay = max(0.0, delay + rng.uniform(-rule.jitter_ms, rule.jitter_ms))
    return Delay(delay) if delay > 0 else Deliver()


def _group(rules: NetRules, node: str) -> int:
    for index, group in enumerate(rules.partitions):
        if node in group:
            return index
    return -1


def parse_net_rules(text: str | bytes) -> NetRules:
    """Parse and validate a ``ctl/net`` document; empty text means a healthy network.

    Raises:
        ConfigError: naming the offending key and what it should be.
    """
    if not text.strip():
        return HEALTHY
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ctl/net: not valid JSON ({exc}); send an object like {{}}") from exc
    return rules_from_json(document)


def rules_from_json(document: Any) -> NetRules:
    """Validate an already-decoded ``ctl/net`` JSON value (see ``parse_net_rules``)."""
    if not isinstance(document, dict):
        raise ConfigError(f"ctl/net: expected a JSON object, got {type(document).__name__}")
    _refuse_unknown(document, KEYS, "ctl/net")
    disconnected = _names(document.get("disconnected", []), "ctl/net: 'disconnected'")
    seed = document.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"ctl/net: 'seed' must be an integer, got {seed!r}")
    return NetRules(
        partitions=_partitions(document.get("partitions", [])),
        links=_links(document.get("links", {})),
        seed=seed,
        disconnected=frozenset(disconnected),
    )


def rules_to_json(rules: NetRules) -> str:
    """Return the canonical ``ctl/net`` JSON text of ``rules`` (parses back to equal rules)."""
    links = {
        f"{sender}>{receiver}": _link_json(rule)
        for (sender, receiver), rule in sorted(rules.links.items())
    }
    document = {
        "partitions": [sorted(group) for group in rules.partitions],
        "links": links,
        "seed": rules.seed,
        "disconnected": sorted(rules.disconnected),
    }
    return json.dumps(document, sort_keys=True)


def _link_json(rule: LinkRule) -> dict[str, float]:
    # jitter only when set: the documents of links without it stay as they always were
    document = {"latency_ms": rule.latency_ms, "loss": rule.loss}
    return document | {"jitter_ms": rule.jitter_ms} if rule.jitter_ms else document


def _partitions(value: Any) -> tuple[frozenset[str], ...]:
    if not isinstance(value, list):
        raise ConfigError("ctl/net: 'partitions' must be a list of lists of node names")
    groups: list[frozenset[str]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(value):
        for name in _names(raw, f"ctl/net: 'partitions'[{index}]"):
            if name in seen:
                raise ConfigError(
                    f"ctl/net: 'partitions': node {name!r} is in groups {seen[name]} and "
                    f"{index}; a node belongs to one group at most"
                )
            seen[name] = index
        groups.append(frozenset(raw))
    return tuple(groups)


def _links(value: Any) -> dict[tuple[str, str], LinkRule]:
    if not isinstance(value, dict):
        raise ConfigError('ctl/net: \'links\' must be an object like {"a>b": {"loss": 0.1}}')
    links: dict[tuple[str, str], LinkRule] = {}
    for key, raw in value.items():
        rule = _link_rule(raw, f"ctl/net: 'links'.{key!r}")
        for pair in _link_pairs(key):
            if pair in links:
                raise ConfigError(f"ctl/net: 'links'.{key!r} repeats the link {'>'.join(pair)}")
            links[pair] = rule
    return links


def _link_pairs(key: str) -> list[tuple[str, str]]:
    both = "<>" in key
    parts = key.split("<>" if both else ">")
    if len(parts) != 2 or not all(p.strip() for p in parts) or "<" in key.replace("<>", ""):
        raise ConfigError(f"ctl/net: 'links' key {key!r} must look like 'a>b', 'a<>b' or '*>b'")
    sender, receiver = (p.strip() for p in parts)
    return [(sender, receiver), (receiver, sender)] if both else [(sender, receiver)]


def _link_rule(raw: Any, where: str) -> LinkRule:
    if not isinstance(raw, dict):
        raise ConfigError(f'{where} must be an object like {{"latency_ms": 50, "loss": 0.1}}')
    _refuse_unknown(raw, LINK_KEYS, where)
    latency = raw.get("latency_ms", 0)
    jitter = raw.get("jitter_ms", 0)
    loss = raw.get("loss", 0)
    for key, value in (("latency_ms", latency), ("jitter_ms", jitter)):
        if not _is_number(value) or not 0 <= value <= 60_000:
            raise ConfigError(f"{where}.{key!r} must be a number in [0, 60000], got {value!r}")
    if not _is_number(loss) or not 0 <= loss <= 1:
        raise ConfigError(f"{where}.'loss' must be a number in [0, 1], got {loss!r}")
    return LinkRule(float(latency), float(loss), float(jitter))


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of node names, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _refuse_unknown(document: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in document:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
