"""Provides the ``/`` filter: words typed by the user → predicates over deltas and lines.

Plain words must all appear (case-insensitive) in what a row says; ``node:NAME`` keeps rows
of that node (a delta's author or a node that applied it; a line's node), ``author:NAME`` a
delta's author only, ``method:NAME`` deltas whose actions or method mention it, and
``level:LEVEL`` lines at that level or worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calimero_devnet.tui.model import DeltaRecord, Line

LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter; the empty filter keeps everything."""

    words: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    only_node: str | None = None  # the "selected node only" scope

    @classmethod
    def parse(cls, text: str, only_node: str | None = None) -> Filter:
        """Read what the user typed after ``/``."""
        words, fields = [], {}
        for token in text.split():
            name, sep, value = token.partition(":")
            if sep and name in {"node", "author", "method", "level"} and value:
                fields[name] = value.lower()
            else:
                words.append(token.lower())
        return cls(tuple(words), fields, only_node)

    @property
    def keeps_all(self) -> bool:
        """Whether nothing is filtered out (callers then skip the per-row test)."""
        return not (self.words or self.fields or self.only_node)

    def keeps_delta(self, record: DeltaRecord) -> bool:
        """Whether ``record`` passes."""
        nodes = {record.author.lower(), *(n.lower() for n in record.applied_on)}
        if self.only_node and self.only_node.lower() not in nodes:
            return False
        if "node" in self.fields and self.fields["node"] not in nodes:
            return False
        if "author" in self.fields and record.author.lower() != self.fields["author"]:
            return False
        said = " ".join((record.id, record.author, *record.summary, record.kind)).lower()
        if "method" in self.fields and self.fields["method"] not in said:
            return False
        return all(word in said for word in self.words)

    def keeps_line(self, line: Line) -> bool:
        """Whether ``line`` passes."""
        node = (line.node or "devnet").lower()
        if self.only_node and node not in {self.only_node.lower(), "devnet"}:
            return False
        if "node" in self.fields and node != self.fields["node"]:
            return False
        wanted = self.fields.get("level")
        if wanted in LEVELS and LEVELS.index(_level(line)) < LEVELS.index(wanted):
            return False
        said = f"{node} {line.text}".lower()
        return all(word in said for word in self.words)


def _level(line: Line) -> str:
    return line.level if line.level in LEVELS else "info"
