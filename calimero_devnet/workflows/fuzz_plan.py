"""Provides the plan of a ``fuzz`` step: its seeded sequence of calls and partitions. Pure.

A method entry is ``{method, args, weight}``; in ``args`` a mapping with exactly one of
these keys is a random value, anything else is taken as it is:

* ``{one_of: [a, b, c]}``: one of the listed values;
* ``{int: [low, high]}``: a whole number from ``low`` to ``high``, both included;
* ``{text: n}``: ``n`` random lowercase letters.

``plan_fuzz`` draws everything from one ``random.Random(seed)``, in a fixed order, so one
seed always gives the same sequence, whatever the nodes answer.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

GENERATORS = ("one_of", "int", "text")
MAX_TEXT = 4096  # letters of one {text: n} value at most


@dataclass(frozen=True, slots=True)
class FuzzCall:
    """Call ``number`` (from 1): ``method(args)`` on ``node``."""

    number: int
    node: str
    method: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FuzzCut:
    """Before call ``before``: cut the network into ``groups``."""

    before: int
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class FuzzHeal:
    """Before call ``before`` (or after the last one): remove the cut."""

    before: int


FuzzEvent: TypeAlias = FuzzCall | FuzzCut | FuzzHeal


def check_methods(methods: Any) -> str | None:
    """What is wrong with a ``methods:`` list, or None."""
    if not isinstance(methods, list) or not methods:
        return "methods: give a list of {method, args, weight}"
    for index, entry in enumerate(methods, start=1):
        problem = _check_entry(entry, f"methods[{index}]")
        if problem is not None:
            return problem
    return None


def _check_entry(entry: Any, where: str) -> str | None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("method"), str):
        return f"{where}: give a mapping with a method name"
    unknown = sorted(set(entry) - {"method", "args", "weight"})
    if unknown:
        return f"{where}: unknown key {unknown[0]!r} (method, args, weight)"
    weight = entry.get("weight", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
        return f"{where}: weight: give a number above 0, not {weight!r}"
    args = entry.get("args", {})
    if not isinstance(args, Mapping):
        return f"{where}: args: give a mapping of argument: value"
    return _check_value(args, f"{where}.args")


def _check_value(value: Any, where: str) -> str | None:
    kind = _generator(value)
    if kind is not None:
        return _check_generator(kind, value[kind], where)
    if isinstance(value, Mapping):
        items: Sequence[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return None
    for key, item in items:
        problem = _check_value(item, f"{where}.{key}")
        if problem is not None:
            return problem
    return None


def _check_generator(kind: str, spec: Any, where: str) -> str | None:
    if kind == "one_of" and (not isinstance(spec, list) or not spec):
        return f"{where}: one_of: give a list of values to pick from"
    if kind == "int" and not (
        isinstance(spec, list)
        and len(spec) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in spec)
        and spec[0] <= spec[1]
    ):
        return f"{where}: int: give [low, high], two whole numbers, low ≤ high"
    if kind == "text" and not (
        isinstance(spec, int) and not isinstance(spec, bool) and 1 <= spec <= MAX_TEXT
    ):
        return f"{where}: text: give a length from 1 to {MAX_TEXT}"
    return None


def _generator(value: Any) -> str | None:
    if isinstance(value, Mapping) and len(value) == 1:
        (key,) = value
        if key in GENERATORS:
            return str(key)
    return None


def plan_fuzz(
    methods: Sequence[Mapping[str, Any]],
    nodes: Sequence[str],
    *,
    calls: int,
    seed: int,
    partitions: int = 0,
) -> list[FuzzEvent]:
    """The sequence of a fuzz run: ``calls`` calls spread over ``nodes``, and ``partitions``
    cuts (each healed later; the last heal comes after the last call at the latest)."""
    rng = random.Random(seed)
    cuts = _cuts(rng, nodes, calls, partitions)
    weights = [float(entry.get("weight", 1)) for entry in methods]
    events: list[FuzzEvent] = []
    for number in range(1, calls + 1):
        events.extend(event for event in cuts if event.before == number)
        entry = rng.choices(methods, weights)[0]
        node = rng.choice(list(nodes))
        args = _draw(entry.get("args", {}), rng)
        events.append(FuzzCall(number, node, str(entry["method"]), args))
    events.extend(event for event in cuts if event.before > calls)
    return events


def _cuts(
    rng: random.Random, nodes: Sequence[str], calls: int, partitions: int
) -> list[FuzzCut | FuzzHeal]:
    """``partitions`` cut-and-heal pairs at random points (fewer if the calls are too few)."""
    count = min(partitions, (calls + 1) // 2) if len(nodes) >= 2 else 0
    points = sorted(rng.sample(range(1, calls + 2), 2 * count))
    events: list[FuzzCut | FuzzHeal] = []
    for start, end in zip(points[::2], points[1::2], strict=True):
        shuffled = list(nodes)
        rng.shuffle(shuffled)
        split = rng.randint(1, len(shuffled) - 1)
        groups = (tuple(sorted(shuffled[:split])), tuple(sorted(shuffled[split:])))
        events += [FuzzCut(start, groups), FuzzHeal(end)]
    return events


def _draw(value: Any, rng: random.Random) -> Any:
    kind = _generator(value)
    if kind == "one_of":
        return rng.choice(value["one_of"])
    if kind == "int":
        low, high = value["int"]
        return rng.randint(low, high)
    if kind == "text":
        return "".join(rng.choices(string.ascii_lowercase, k=value["text"]))
    if isinstance(value, Mapping):
        return {key: _draw(item, rng) for key, item in value.items()}
    if isinstance(value, list):
        return [_draw(item, rng) for item in value]
    return value


def event_json(event: FuzzEvent) -> dict[str, Any]:
    """One event as a line of the fuzz log."""
    if isinstance(event, FuzzCall):
        return {"call": event.number, "node": event.node, "method": event.method,
                "args": event.args}  # fmt: skip
    if isinstance(event, FuzzCut):
        return {"partition": [list(group) for group in event.groups], "before_call": event.before}
    return {"heal": True, "before_call": event.before}
