"""Provides the JSON form of every ``ClusterEvent`` (``event_to_json``, ``event_from_json``).

An event is ``{"type": "<its class name>", <field>: <value>, ...}``, JSON-safe: tuples
become lists, a nested ``ClusterStatus`` its ``to_json``. Decoding is driven by the
dataclass fields and their type hints, so a new event type needs no code here as long as
its fields are of the kinds ``_decode`` knows (the round-trip test enumerates the
``ClusterEvent`` union and fails otherwise).

``event_from_json`` refuses an unknown ``type``, a missing field or a value of the wrong
kind with a ``ValueError`` naming it. Keys it does not know are ignored and missing fields
that have defaults take them, so an event from a newer (or older) manager that gained a
field still reads. The event stream (``GET /events``) also carries two line kinds of its
own that are not events: ``heartbeat_json`` and ``dropped_json``.
"""

from __future__ import annotations

import dataclasses
import time
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin, get_type_hints

from calimero_devnet.cluster.events import ClusterEvent
from calimero_devnet.cluster.status import ClusterStatus

EVENT_TYPES: dict[str, type[Any]] = {kind.__name__: kind for kind in get_args(ClusterEvent)}
_HINTS = {kind: get_type_hints(kind) for kind in EVENT_TYPES.values()}  # field -> type, resolved
HEARTBEAT = "Heartbeat"  # {"type": "Heartbeat", "ts": unix seconds}: the stream is alive
DROPPED = "Dropped"  # {"type": "Dropped", "count": N}: N events before the next one were lost
_SCALARS: tuple[type[Any], ...] = (str, int, float, bool, type(None))


def event_to_json(event: ClusterEvent) -> dict[str, Any]:
    """``event`` as one JSON-safe object (see the module docstring)."""
    fields = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": type(event).__name__, **fields}


def event_from_json(obj: Any) -> ClusterEvent:
    """The event ``event_to_json`` made ``obj`` from.

    Raises:
        ValueError: ``obj`` is not an event object, names an unknown type, lacks a field or
            has a value of the wrong kind (the message names which).
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"an event is a JSON object, not {type(obj).__name__}")
    name = obj.get("type")
    kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"unknown event type {name!r}")
    event: ClusterEvent = _dataclass(kind, obj)
    return event


def heartbeat_json(now: float | None = None) -> dict[str, Any]:
    """The stream's "still here" line, sent after a silence."""
    return {"type": HEARTBEAT, "ts": round(time.time() if now is None else now, 3)}


def dropped_json(count: int) -> dict[str, Any]:
    """The stream's notice that ``count`` events were lost (the reader fell behind)."""
    return {"type": DROPPED, "count": count}


def _encode(value: Any) -> Any:
    if isinstance(value, ClusterStatus):
        return _encode(value.to_json())  # its views' heads are still tuples
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    return value


def _dataclass(kind: type[Any], obj: Mapping[str, Any]) -> Any:
    values = {}
    for field in dataclasses.fields(kind):
        where = f"{kind.__name__}.{field.name}"
        if field.name in obj:
            values[field.name] = _decode(_HINTS[kind][field.name], obj[field.name], where)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where} is missing")
    return kind(**values)


def _decode(hint: Any, value: Any, where: str) -> Any:
    """``value`` (decoded JSON) as the field type ``hint`` wants it, or ValueError."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if hint is ClusterStatus:
        return _status(value, where)
    if origin in (Union, types.UnionType):
        return _union(args, value, where)
    if origin is tuple:
        return _tuple(args, value, where)
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
            raise ValueError(f"{where}: expected an object, got {_show(value)}")
        return {key: _decode(args[1], item, f"{where}.{key}") for key, item in value.items()}
    if hint in _SCALARS:
        return _scalar(hint, value, where)
    raise ValueError(f"{where}: fields of type {hint!r} have no JSON form yet (events_json.py)")


def _status(value: Any, where: str) -> ClusterStatus:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a cluster status object, got {_show(value)}")
    try:
        return ClusterStatus.from_json(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _union(args: tuple[Any, ...], value: Any, where: str) -> Any:
    for arm in args:
        try:
            return _decode(arm, value, where)
        except ValueError:
            continue
    kinds = " | ".join(getattr(arm, "__name__", str(arm)) for arm in args)
    raise ValueError(f"{where}: expected {kinds}, got {_show(value)}")


def _tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list, got {_show(value)}")
    if len(args) == 2 and args[1] is Ellipsis:
        arms = [args[0]] * len(value)  # tuple[X, ...]
    elif len(value) == len(args):
        arms = list(args)  # tuple[X, Y]
    else:
        raise ValueError(f"{where}: expected {len(args)} items, got {len(value)}")
    return tuple(
        _decode(arm, item, f"{where}[{i}]")
        for i, (arm, item) in enumerate(zip(arms, value, strict=True))
    )


def _scalar(kind: type[Any], value: Any, where: str) -> Any:
    # JSON has one kind of number: an int is a fine float; a bool is neither.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise ValueError(f"{where}: expected {kind.__name__}, got {_show(value)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
