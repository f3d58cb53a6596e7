"""Provides the drill-in screens: one delta in full, and the help listing every binding.

``DeltaScreen`` shows what a node stores of a delta (fetched by the app before it is
pushed): author, parents, HLC, the actions decoded, events, the signature check, which nodes
have applied it, and the start of the payload. Esc goes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from calimero_devnet.tui.palette import level_style


def delta_text(data: dict[str, Any], applied_on: Iterable[str], names: dict[str, str]) -> Text:
    """The delta screen's body (``names``: public key → node name)."""
    text = Text()

    def row(label: str, value: str, style: str = "") -> None:
        text.append(f"{label:<11}", "bold")
        text.append(value + "\n", style)

    author = str(data.get("author", ""))
    hlc = data.get("hlc") or {}
    row("delta", str(data.get("id")))
    row("author", f"{names.get(author, '?')} ({author})")
    row("parents", " ".join(data.get("parents") or ()) or "(none: the first delta)")
    row("hlc", f"time {hlc.get('time')}  node {hlc.get('node')}")
    row("kind", f"{data.get('kind')}, payload {data.get('payloadSize', 0):,} bytes")
    valid = bool(data.get("signatureValid"))
    row("signature", "valid (id and Ed25519 signature check out)" if valid else "INVALID",
        level_style("ok" if valid else "error"))  # fmt: skip
    row("applied on", ", ".join(sorted(applied_on)) or "(no node reported it yet)")
    text.append("\nactions\n", "bold")
    for action in data.get("actions") or ["(opaque to the host: a wasm-artifact delta)"]:
        text.append(f"  {action}\n")
    events = data.get("events") or ()
    if events:
        text.append("\nevents\n", "bold")
        for event in events:
            body = event.get("data", event.get("dataHex", ""))
            handler = f" → handler {event['handler']}" if event.get("handler") else ""
            text.append(f"  {event.get('kind')}: {body}{handler}\n")
    payload = str(data.get("payloadHex", ""))
    text.append("\npayload (hex, start)\n", "bold")
    text.append("  " + " ".join(payload[i : i + 64] for i in range(0, min(len(payload), 512), 64)))
    return text


class DeltaScreen(ModalScreen[None]):
    """One delta in full (see the module docstring)."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "back")]  # noqa: RUF012

    def __init__(self, body: Text) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Static(self.body)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def bindings_table(rows: Sequence[tuple[str, str]]) -> Table:
    """Keys and what they do, as a two-column table."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    for key, text in rows:
        table.add_row(key, text)
    return table


class HelpScreen(Screen[None]):
    """Every key binding, and the ``:`` views."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "back")]  # noqa: RUF012

    def __init__(self, rows: Sequence[tuple[str, str]], views: Sequence[str]) -> None:
        super().__init__()
        self.rows, self.views = rows, views

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("devnet: keys (also in the command palette, ctrl+p)\n", "bold"))
            yield Static(bindings_table(self.rows))
            yield Static(Text("\n: views  " + "  ".join(f":{v}" for v in self.views), "bold"))
            yield Static(Text(
                "\n/ filters the current view: words must all appear; node:NAME, author:NAME,"
                " level:warning and method:NAME narrow further. Esc clears it.\n"
                "Mouse: click a node, a tab, a delta; scroll any pane.", "dim"))  # fmt: skip
        yield Footer()
