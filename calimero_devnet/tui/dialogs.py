"""Provides the small dialogs: confirm, partition groups, link latency/loss, snapshots.

Each is a ``ModalScreen`` that dismisses with its answer (None when cancelled with Esc);
the app turns answers into library calls. Nothing here talks to the cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, OptionList, Select, Static, Switch

from calimero_devnet.tui.model import GROUP_LETTERS


class ConfirmScreen(ModalScreen[bool]):
    """Ask once: Enter/y confirms, Esc/n cancels."""

    BINDINGS = [  # noqa: RUF012  (Textual's declaration style)
        Binding("y,enter", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def groups_of(assignment: dict[str, str]) -> list[list[str]]:
    """Partition groups from node → letter (letters in order; one group is no partition)."""
    by_letter: dict[str, list[str]] = {}
    for node, letter in assignment.items():
        by_letter.setdefault(letter, []).append(node)
    return [by_letter[letter] for letter in sorted(by_letter)]


def preview(assignment: dict[str, str]) -> str:
    """``A: node-1 node-2 │ B: node-3`` (or a word that there is no partition)."""
    groups = groups_of(assignment)
    if len(groups) < 2:
        return "one group: no partition (Enter heals)"
    letters = sorted(set(assignment.values()))
    return " │ ".join(f"{letter}: {' '.join(g)}" for letter, g in zip(letters, groups, strict=True))


class PartitionScreen(ModalScreen[list[list[str]] | None]):
    """Each node gets a group letter, cycled with space (or a click); Enter applies."""

    BINDINGS = [  # noqa: RUF012
        Binding("space", "cycle", "next group"),
        Binding("enter", "apply", "apply", priority=True),  # before the table's own Enter
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, nodes: Sequence[str], current: dict[str, str]) -> None:
        super().__init__()
        self.assignment = {node: current.get(node, "A") for node in nodes}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Partition: space cycles a node's group, Enter applies, Esc cancels")
            yield DataTable(id="groups", cursor_type="row")
            yield Static(id="preview")

    def on_mount(self) -> None:
        table = self.query_one("#groups", DataTable)
        table.add_column("node", key="node")
        table.add_column("group", key="group")
        for node, letter in self.assignment.items():
            table.add_row(node, letter, key=node)
        self._show()

    def action_cycle(self) -> None:
        table = self.query_one("#groups", DataTable)
        node = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        used = len(self.assignment)
        letter = GROUP_LETTERS[(GROUP_LETTERS.index(self.assignment[node]) + 1) % min(used, 26)]
        self.assignment[node] = letter
        table.update_cell(node, "group", letter)
        self._show()

    @on(DataTable.RowSelected)
    def _clicked(self) -> None:
        self.action_cycle()

    def _show(self) -> None:
        self.query_one("#preview", Static).update(Text(preview(self.assignment), style="bold"))

    def action_apply(self) -> None:
        self.dismiss(groups_of(self.assignment))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class LinkFault:
    """The latency dialog's answer."""

    sender: str
    receiver: str
    ms: float
    loss: float
    both: bool


class LatencyScreen(ModalScreen[LinkFault | None]):
    """From, to, ms, loss %, both ways; Enter applies (0 ms and 0 % clear the link)."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]  # noqa: RUF012

    def __init__(self, nodes: Sequence[str], sender: str | None = None) -> None:
        super().__init__()
        self.nodes = list(nodes)
        self.sender = sender or self.nodes[0]

    def compose(self) -> ComposeResult:
        choices = [(node, node) for node in self.nodes]
        others = [n for n in self.nodes if n != self.sender] or self.nodes
        with Vertical(classes="dialog"):
            yield Label("Link fault: messages from → to are delayed and/or dropped")
            yield Select(choices, value=self.sender, id="from", allow_blank=False)
            yield Select(choices, value=others[0], id="to", allow_blank=False)
            yield Input("50", placeholder="latency ms (0..60000)", id="ms", type="number")
            yield Input("0", placeholder="loss % (0..100)", id="loss", type="number")
            with Horizontal(classes="buttons"):
                yield Label("both ways ")
                yield Switch(value=True, id="both")
                yield Button("Apply", id="apply", variant="primary")

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def _apply(self) -> None:
        try:
            ms = float(self.query_one("#ms", Input).value or 0)
            loss = float(self.query_one("#loss", Input).value or 0) / 100
        except ValueError:
            self.notify("latency and loss must be numbers", severity="error")
            return
        sender = str(self.query_one("#from", Select).value)
        receiver = str(self.query_one("#to", Select).value)
        both = self.query_one("#both", Switch).value
        self.dismiss(LinkFault(sender, receiver, ms, loss, both))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SnapshotNameScreen(ModalScreen[str | None]):
    """The name of a new snapshot, ``default`` filled in; Enter saves."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]  # noqa: RUF012

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Snapshot every node's store as:")
            yield Input(self.default, placeholder="letters, digits, . _ -", id="name")

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SnapshotPickScreen(ModalScreen[str | None]):
    """Pick the snapshot to restore (newest name last); Enter restores, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]  # noqa: RUF012

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Restore which snapshot? Writes made since are lost on every node.")
            yield OptionList(*self.names, id="snapshots")

    @on(OptionList.OptionSelected, "#snapshots")
    def _pick(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
