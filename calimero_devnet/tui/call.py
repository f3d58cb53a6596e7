"""Provides the Call dialog: pick a node and a method, fill a form typed by the ABI, run it.

The form has one input per parameter of the app's ABI manifest (``string`` taken as typed,
``number``/``boolean`` parsed, anything else read as JSON); a method the manifest does not
know (a Rust app without one) gets a single JSON input. The result pane shows the output,
duration, fuel, logs, events and the delta the call made. Past calls are listed; choosing
one fills the form again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static

from calimero_devnet.errors import DevnetError


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a method, from the ABI manifest."""

    name: str
    type: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Method:
    """One method of an app, from the ABI manifest (``params`` None: unknown, raw JSON)."""

    name: str
    kind: str = "call"
    params: tuple[Param, ...] | None = None
    returns: str = ""

    def signature(self) -> str:
        """``set(key: string, value: string): void``."""
        if self.params is None:
            return f"{self.name}(<JSON>)"
        inner = ", ".join(f"{p.name}{'?' if p.optional else ''}: {p.type}" for p in self.params)
        return f"{self.name}({inner}){': ' + self.returns if self.returns else ''}"


def methods_from_manifest(manifest: dict[str, Any] | None) -> list[Method]:
    """The manifest's methods (none when there is no manifest)."""
    found = []
    for entry in (manifest or {}).get("methods") or ():
        params = tuple(
            Param(str(p.get("name")), str(p.get("type", "any")), bool(p.get("optional")))
            for p in entry.get("params") or ()
        )
        found.append(Method(str(entry.get("name")), str(entry.get("kind", "call")), params,
                            str(entry.get("returns", ""))))  # fmt: skip
    return found


def parse_value(param: Param, text: str) -> Any:
    """The JSON value of one form field, by its ABI type.

    Raises:
        ValueError: the text does not fit the type (the message names the parameter).
    """
    kind = param.type.strip()
    if kind == "string":
        return text
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{param.name}: {text!r} is not a {kind} (JSON expected)") from exc
    if kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ValueError(f"{param.name}: {text!r} is not a number")
    if kind == "boolean" and not isinstance(value, bool):
        raise ValueError(f"{param.name}: write true or false, not {text!r}")
    return value


def build_args(method: Method, fields: dict[str, str]) -> Any:
    """The call's JSON arguments from the form fields.

    Raises:
        ValueError: a required field is empty, or a value does not fit its type.
    """
    if method.params is None:
        raw = fields.get("__json__", "").strip()
        try:
            return json.loads(raw) if raw else {}
        except ValueError as exc:
            raise ValueError(f"arguments: not JSON ({exc})") from exc
    args: dict[str, Any] = {}
    for param in method.params:
        text = fields.get(param.name, "")
        if text == "" and param.optional:
            continue
        if text == "" and param.type != "string":
            raise ValueError(f"{param.name} ({param.type}) is required")
        args[param.name] = parse_value(param, text)
    return args


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A call to make (and to remember in the history)."""

    node: str
    method: str
    args: Any = field(default_factory=dict)

    def label(self) -> str:
        """``node-1 set {"key": "a"}``."""
        return f"{self.node} {self.method} {json.dumps(self.args, ensure_ascii=False)}"


def describe_result(result: dict[str, Any]) -> Text:
    """The result pane: output, then duration, fuel, delta, logs and events."""
    trace = result.get("trace") or {}
    text = Text()
    text.append("output  ", "bold")
    text.append(json.dumps(result.get("output"), ensure_ascii=False, indent=2) + "\n")
    if trace:
        text.append(f"took {trace.get('durationMs', 0):.2f} ms, fuel {trace.get('fuelUsed', 0):,}")
        delta = trace.get("delta")
        text.append(f", delta {delta}" if delta else ", no delta (nothing committed)")
        text.append("\n")
        for line in trace.get("logs") or ():
            text.append(f"log     {line}\n", "dim")
        for event in trace.get("events") or ():
            data = event.get("data", event.get("dataHex", ""))
            text.append(f"event   {event.get('kind')}: {data}\n", "italic")
    return text


Runner = Callable[[CallRequest], Awaitable[dict[str, Any]]]


class CallScreen(ModalScreen[CallRequest | None]):
    """See the module docstring; dismisses with the last request made (or None)."""

    BINDINGS = [Binding("escape", "close", "close"), Binding("ctrl+r", "run", "run")]  # noqa: RUF012
    # Node and method start chosen, so typing goes to the first argument; the fields are
    # composed, not mounted later, so keys typed right after "c" (a paste, a tmux burst)
    # land in them instead of going to the node picker first.
    AUTO_FOCUS = "#params Input"

    def __init__(
        self, nodes: Sequence[str], methods: Sequence[Method], run: Runner,
        history: Sequence[CallRequest] = (), node: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.nodes, self.methods, self.run_call = list(nodes), list(methods), run
        self.history = list(history)
        self.node = node or self.nodes[0]
        self.last: CallRequest | None = None
        self._shown: object = (
            self.methods[0].name if self.methods else ""
        )  # method whose fields show

    def compose(self) -> ComposeResult:
        names = [(m.signature(), m.name) for m in self.methods] or [("(JSON)", "")]
        with Horizontal(classes="dialog wide"):
            with Vertical(id="form-side"):
                yield Label("Call: node, method, arguments; Enter or ctrl+r runs, Esc closes")
                yield Select([(n, n) for n in self.nodes], value=self.node, id="node",
                             allow_blank=False)  # fmt: skip
                yield Select(names, value=names[0][1], id="method", allow_blank=False)
                yield Input(placeholder="method name", id="method-name",
                            classes="" if not self.methods else "hidden")  # fmt: skip
                with VerticalScroll(id="params", can_focus=False):
                    yield from self._inputs(self._method_named(names[0][1]))
                yield Button("Run (ctrl+r)", id="run", variant="primary")
                yield Static(id="result")
            with Vertical(id="history-side"):
                yield Label("History (Enter fills the form)")
                yield OptionList(*[req.label() for req in reversed(self.history)], id="history")

    def _focus_first_field(self) -> None:
        """Node and method start chosen, so typing goes to the first argument."""
        fields = self.query("#params Input")
        if fields:
            fields.first().focus()

    def _method(self) -> Method:
        method = self._method_named(self.query_one("#method", Select).value)
        return method or Method(self.query_one("#method-name", Input).value.strip())

    def _method_named(self, name: object) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    @on(Select.Changed, "#method")
    async def _method_changed(self, event: Select.Changed) -> None:
        if event.value == self._shown:  # the picker announcing its first value: keep typing
            return
        await self._show_params()
        self._focus_first_field()

    async def _show_params(self, fill: dict[str, Any] | None = None) -> None:
        box = self.query_one("#params", VerticalScroll)
        await box.remove_children()
        self._shown = self.query_one("#method", Select).value
        await box.mount_all(self._inputs(self._method(), fill))

    @staticmethod
    def _inputs(method: Method | None, fill: dict[str, Any] | None = None) -> list[Input]:
        """The argument fields of ``method`` (one JSON field when its parameters are unknown)."""
        if method is None or method.params is None:
            value = json.dumps(fill) if fill is not None else ""
            return [Input(value, placeholder='arguments as JSON, e.g. {"key": "a"}',
                          id="arg-__json__")]  # fmt: skip
        fields = []
        for param in method.params:
            value = (fill or {}).get(param.name, "")
            shown = value if isinstance(value, str) else json.dumps(value)
            hint = f"{param.name}: {param.type}{' (optional)' if param.optional else ''}"
            fields.append(Input(shown, placeholder=hint, id=f"arg-{param.name}"))
        return fields

    def _fields(self) -> dict[str, str]:
        return {i.id.removeprefix("arg-"): i.value for i in self.query("#params Input")
                if isinstance(i, Input) and i.id}  # fmt: skip

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        method = self._method()
        try:
            args = build_args(method, self._fields())
        except ValueError as exc:
            self._show(Text(str(exc), style="bold red"))
            return
        node = str(self.query_one("#node", Select).value)
        self._run(CallRequest(node, method.name, args))

    @work(exclusive=True, group="call")
    async def _run(self, request: CallRequest) -> None:
        self._show(Text(f"running {request.label()}…", style="dim"))
        try:
            result = await self.run_call(request)
        except (DevnetError, ValueError) as exc:
            self._show(Text(f"{type(exc).__name__}: {exc}", style="bold red"))
            return
        self.last = request
        self._show(describe_result(result))

    def _show(self, text: Text) -> None:
        self.query_one("#result", Static).update(text)

    @on(OptionList.OptionSelected, "#history")
    def _refill(self, event: OptionList.OptionSelected) -> None:
        request = list(reversed(self.history))[event.option_index]
        self.query_one("#node", Select).value = request.node
        if any(m.name == request.method for m in self.methods):
            self.query_one("#method", Select).value = request.method
        self.call_after_refresh(
            self._show_params, request.args if isinstance(request.args, dict) else None
        )

    def action_close(self) -> None:
        self.dismiss(self.last)
