"""Provides one-line readable descriptions of host-collection actions (pure: no I/O).

A collection is shown by the field name the root document gives it (``items["a"] = "1"``)
or, unnamed, by its kind and the start of its base58 id (``map 3Qa1… ["a"] = "1"``).
Names come from the root document the SDK stores (``codec.ts``: the JSON of the state's
fields, a collection as ``{"__cal": "<kind>", "id": "<hex>"}``): the stored one, updated
by a ``RootSet`` in the same batch, and a map entry of the batch that holds a collection
names it after that entry (``tagSets["a"] add "x"``). Keys and values are their UTF-8
text when they decode (the SDK stores JSON), else ``0x`` and hex; both are cut short.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.model import CollectionKind

Names = Mapping[bytes, str]
"""Collection id → the name to show it by."""

KEY_CHARS = 32
VALUE_CHARS = 48
SUMMARY_CHARS = 80
SUMMARY_ACTIONS = 3
_WORDS = {
    CollectionKind.MAP: "map", CollectionKind.SET: "set", CollectionKind.VECTOR: "vector",
    CollectionKind.LWW: "lww", CollectionKind.COUNTER: "counter",
    CollectionKind.USER_STORAGE: "user", CollectionKind.FROZEN_STORAGE: "frozen",
}  # fmt: skip
_REF_PREFIX = b'{"__cal":'  # every collection reference the SDK writes starts so


@lru_cache(maxsize=4096)  # base58 costs ~20 µs an id; the same collections recur
def short_id(raw: bytes) -> str:
    """The first four base58 characters of an id, as the TUI shows ids."""
    return to_b58(raw)[:4] + "…"


def clip(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with a trailing ``…`` when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_bytes(raw: bytes, limit: int = VALUE_CHARS) -> str:
    """A key or value: its text (non-printable characters escaped), else ``0x`` + hex."""
    ref = collection_ref(raw)
    if ref is not None:
        return f"{ref[0]} {short_id(ref[1])}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return clip("0x" + raw[: limit // 2].hex(), limit)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return clip(text, limit)


def collection_ref(raw: bytes) -> tuple[str, bytes] | None:
    """``(kind, id)`` if ``raw`` is the SDK's JSON reference to a collection, else None."""
    if not raw.startswith(_REF_PREFIX):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return _ref_of(value)


def _ref_of(value: Any) -> tuple[str, bytes] | None:
    if not isinstance(value, dict) or value.get("__cal") not in _WORDS.values():
        return None
    hex_id = value.get("id")
    if not isinstance(hex_id, str) or len(hex_id) != 64:
        return None
    try:
        return value["__cal"], bytes.fromhex(hex_id)
    except ValueError:
        return None


def root_names(doc: bytes) -> dict[bytes, str]:
    """The field names of the collections a root document holds, by collection id."""
    try:
        fields = json.loads(doc)
    except (ValueError, RecursionError):
        return {}  # not the SDK's JSON (e.g. a hand-written app's raw bytes)
    if not isinstance(fields, dict):
        return {}
    names = {}
    for name, value in fields.items():
        ref = _ref_of(value)
        if ref is not None:
            names[ref[1]] = name
    return names


def batch_names(actions: Iterable[act.AnyAction], known: Names) -> dict[bytes, str]:
    """``known`` updated by a batch: its root documents, its map entries holding collections."""
    names = dict(known)
    batch = list(actions)
    for action in batch:
        if isinstance(action, act.RootSet):
            names.update(root_names(action.doc))
    for action in batch:
        if isinstance(action, act.MapSet) and action.value is not None:
            ref = collection_ref(action.value)
            if ref is not None and ref[1] not in names:
                names[ref[1]] = _indexed(action.id, CollectionKind.MAP, names, action.key)
    return names


def describe(action: act.AnyAction, names: Names) -> str:
    """One line saying what ``action`` does."""
    match action:
        case act.Create():
            kind = CollectionKind(action.kind)
            line = f"new {_WORDS[kind]} {names.get(action.id, short_id(action.id))}"
        case act.MapSet():
            line = _slot(_indexed(action.id, CollectionKind.MAP, names, action.key), action.value)
        case act.SetAdd() | act.SetRemove():
            verb = "add" if isinstance(action, act.SetAdd) else "remove"
            where = _target(action.id, CollectionKind.SET, names)
            line = f"{where} {verb} {show_bytes(action.elem)}"
        case act.VectorPush():
            where = _target(action.id, CollectionKind.VECTOR, names)
            line = f"{where} push {show_bytes(action.value)}"
        case act.VectorPop():
            line = f"{_target(action.id, CollectionKind.VECTOR, names)} pop"
        case act.LwwSet():
            where = _target(action.id, CollectionKind.LWW, names)
            line = f"{where} cleared" if action.value is None else _slot(where, action.value)
        case act.CounterSet():
            where = _target(action.id, CollectionKind.COUNTER, names)
            line = f"{_join(where, action.id in names, short_id(action.executor))} = {action.count}"
        case act.UserSet():
            where = _target(action.id, CollectionKind.USER_STORAGE, names)
            line = _slot(_join(where, action.id in names, short_id(action.user)), action.value)
        case act.FrozenAdd():
            where = _target(action.id, CollectionKind.FROZEN_STORAGE, names)
            line = f"{where} add {show_bytes(action.value)}"
        case act.RootSet():
            line = f"root = {show_bytes(action.doc)}"
    return line


def describe_all(actions: list[act.AnyAction], known: Names) -> list[str]:
    """One line per action, naming collections by ``known`` and the batch itself."""
    names = batch_names(actions, known)
    return [describe(action, names) for action in actions]


def summarize(lines: list[str], limit: int = SUMMARY_CHARS) -> str:
    """The first ``SUMMARY_ACTIONS`` lines as one line of at most ``limit`` characters."""
    return clip("; ".join(lines[:SUMMARY_ACTIONS]), limit) if lines else "no actions"


def _target(cid: bytes, kind: CollectionKind, names: Names) -> str:
    return names.get(cid) or f"{_WORDS[kind]} {short_id(cid)}"


def _join(where: str, named: bool, sub: str) -> str:
    # A name takes its index directly (items["a"]); an id form reads better with a space.
    return f"{where}[{sub}]" if named else f"{where} [{sub}]"


def _indexed(cid: bytes, kind: CollectionKind, names: Names, key: bytes) -> str:
    return _join(_target(cid, kind, names), cid in names, show_bytes(key, KEY_CHARS))


def _slot(where: str, value: bytes | None) -> str:
    return f"{where} removed" if value is None else f"{where} = {show_bytes(value)}"
