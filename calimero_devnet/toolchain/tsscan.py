"""Provides a best-effort scan of TypeScript sources for the ABI manifest: the parameter and
return types of ``@Logic`` class methods and the fields of ``@Event`` classes.

The runtime registry (read by running the bundle) is the authority on which methods exist;
this scan only adds type text where it can find it, and never fails a build.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

_CLASS = re.compile(r"@(?P<deco>Logic|Event)\b[^;{]*?\bclass\s+(?P<name>[A-Za-z_$][\w$]*)[^{]*\{")
_MEMBER = re.compile(
    r"(?P<decos>(?:@[\w$]+\s*(?:\(\s*\))?\s*)*)"
    r"(?P<mods>(?:(?:public|private|protected|static|async|override|readonly)\s+)*)"
    r"(?P<name>[A-Za-z_$][\w$]*)\s*(?:<[^()]*?>)?\s*\((?P<params>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"\s*(?::\s*(?P<ret>[^{;]+?))?\s*\{"
)
_FIELD = re.compile(
    r"(?:^|[;}\n])\s*(?:(?:public|readonly)\s+)*(?P<name>[A-Za-z_$][\w$]*)\s*(?P<opt>[?!]?)\s*:"
    r"\s*(?P<type>[^;=\n]+)"
)
_PARAM_MODS = re.compile(r"^(?:(?:public|private|protected|readonly|override)\s+)+")
_OPEN, _CLOSE = "([{<", ")]}>"


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter: its name (None if destructured) and type text (None if untyped)."""

    name: str | None
    type: str | None
    optional: bool = False
    property: bool = False  # a constructor parameter property (`public x: T`)


@dataclass(slots=True)
class Scan:
    """What the scan found, keyed by method / event class name."""

    methods: dict[str, tuple[list[Param], str | None, tuple[str, ...]]] = field(
        default_factory=dict
    )
    events: dict[str, list[Param]] = field(default_factory=dict)


def mask(source: str) -> str:
    """Blank comments and string/template contents, keeping every offset in place."""
    out = list(source)
    i, n = 0, len(source)
    while i < n:
        two = source[i : i + 2]
        if two in ("//", "/*"):
            end = source.find("\n" if two == "//" else "*/", i + 2)
            end = n if end < 0 else end + (0 if two == "//" else 2)
        elif source[i] in "'\"`":
            end = i + 1
            while end < n and source[end] != source[i]:
                end += 2 if source[end] == "\\" else 1
            end = min(end + 1, n)
            i += 1  # keep the opening quote
            end -= 1
        else:
            i += 1
            continue
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end + 1 if source[i - 1] in "'\"`" and end < n else end
    return "".join(out)


def _matching(text: str, start: int) -> int:
    """Return the index of the brace closing the one at ``start`` (or len(text))."""
    depth = 0
    for k in range(start, len(text)):
        depth += (text[k] == "{") - (text[k] == "}")
        if depth == 0:
            return k
    return len(text)


def _flatten(body: str) -> str:
    """Blank everything nested deeper than the class body's own braces (bodies of methods)."""
    out, depth = list(body), 0
    for k, ch in enumerate(body):
        if ch == "}":
            depth -= 1
        if depth > 0 and ch != "\n":
            out[k] = " "
        if ch == "{":
            depth += 1
    return "".join(out)


def _top_level(text: str, wanted: str) -> list[int]:
    """Return the offsets of ``wanted`` chars outside brackets (``=>`` is never an ``=``)."""
    found, depth = [], 0
    for k, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and not (ch == ">" and text[k - 1 : k] == "="):
            depth -= 1
        elif ch in wanted and depth == 0 and text[k : k + 2] != "=>":
            found.append(k)
    return found


def balanced(text: str) -> bool:
    """Return True if every bracket in ``text`` is closed (``=>`` excepted)."""
    depth = 0
    for k, ch in enumerate(text):
        depth += (ch in _OPEN) - (ch in _CLOSE and not (ch == ">" and text[k - 1 : k] == "="))
        if depth < 0:
            return False
    return depth == 0


def split_params(text: str) -> list[Param]:
    """Split a parameter list at top-level commas into :class:`Param` values."""
    cuts = [-1, *_top_level(text, ","), len(text)]
    parts = [text[a + 1 : b].strip() for a, b in itertools.pairwise(cuts)]
    return [_param(p) for p in parts if p]


def _param(text: str) -> Param:
    prop = bool(_PARAM_MODS.match(text))
    text = _PARAM_MODS.sub("", re.sub(r"^@[\w$]+(?:\([^)]*\))?\s*", "", text))
    eq = _top_level(text, "=")
    has_default = bool(eq)
    text = text[: eq[0]] if eq else text
    colon = _top_level(text, ":")
    name_part = (text[: colon[0]] if colon else text).strip()
    type_text = " ".join(text[colon[0] + 1 :].split()) if colon else None
    name = name_part.rstrip("?").lstrip(".").strip()
    valid = re.fullmatch(r"[A-Za-z_$][\w$]*", name) is not None
    optional = name_part.endswith("?") or has_default
    return Param(name if valid else None, type_text or None, optional, prop)


def scan(source: str) -> Scan:
    """Scan one TypeScript source for ``@Logic`` methods and ``@Event`` fields."""
    masked, found = mask(source), Scan()
    for match in _CLASS.finditer(masked):
        start = match.end() - 1
        body = masked[start + 1 : _matching(masked, start)]
        flat = _flatten(body)
        if match["deco"] == "Logic":
            for m in _MEMBER.finditer(flat):
                if m["name"] not in ("constructor", "if", "for", "while", "switch", "catch"):
                    decos = tuple(re.findall(r"@([\w$]+)", m["decos"]))
                    ret = " ".join(m["ret"].split()) if m["ret"] else None
                    ret = ret if ret and balanced(ret) else None
                    found.methods[m["name"]] = (split_params(m["params"]), ret, decos)
        else:
            found.events[match["name"]] = _event_fields(flat)
    return found


def _event_fields(flat: str) -> list[Param]:
    ctor = re.search(r"\bconstructor\s*\((?P<p>[^()]*(?:\([^()]*\)[^()]*)*)\)", flat)
    fields = [p for p in split_params(ctor["p"]) if p.property] if ctor else []
    head = flat[: ctor.start()] if ctor else flat
    for m in _FIELD.finditer(head):
        fields.append(Param(m["name"], " ".join(m["type"].split()), m["opt"] == "?", True))
    return fields
