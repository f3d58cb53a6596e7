"""Provides ``RowList``: a virtual list of pre-formatted rows, cheap at any arrival rate.

A ``DataTable`` re-measures and re-renders every cell when rows come and go, which a busy
cluster does tens of times a second. ``RowList`` keeps (key, Text) rows, renders only the
lines on screen (each at most once per content, cached), and follows the end unless the
user moved the cursor up. Up/Down/PgUp/PgDn/Home/End move the cursor; Enter or a click on
the selected row posts ``RowList.Chosen`` with the row's key.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Row = tuple[str, Text]
SELECTED = Style(reverse=True)


def fit(value: str, width: int) -> str:
    """``value`` cut (with …) or padded to exactly ``width`` cells."""
    return value[: width - 1] + "…" if len(value) > width else value.ljust(width)


class RowList(ScrollView, can_focus=True):
    """See the module docstring."""

    BINDINGS = [  # noqa: RUF012  (Textual's declaration style)
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter", "choose", show=False),
    ]

    class Chosen(Message):
        """The user chose a row (Enter, or a click on the selected row)."""

        def __init__(self, rows: RowList, key: str) -> None:
            super().__init__()
            self.rows, self.key = rows, key

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._rows: list[Row] = []
        self._strips: dict[tuple[str, bool], tuple[Text, Strip]] = {}
        self.cursor = -1
        self._base: Style | None = None  # rich_style walks the DOM: once per style change

    @property
    def row_count(self) -> int:
        """How many rows there are."""
        return len(self._rows)

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        return self._rows[self.cursor][0] if 0 <= self.cursor < len(self._rows) else None

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; keep following the end if the cursor was on the last row."""
        following = self.cursor < 0 or self.cursor >= len(self._rows) - 1
        keys = {key for key, _ in rows}
        self._strips = {k: s for k, s in self._strips.items() if k[0] in keys}
        selected = self.selected_key()
        self._rows = list(rows)
        # Rows wider than the pane are cut (no sideways scroll): only the row count sizes it,
        # and a new size lays the screen out again, so it is set only when it moves.
        if self.virtual_size != (size := Size(0, len(self._rows))):
            self.virtual_size = size
        if following:
            self.cursor = len(self._rows) - 1
            self.scroll_end(animate=False, immediate=True)
        else:  # stay on the same row as rows above it leave
            self.cursor = next((i for i, (k, _) in enumerate(self._rows) if k == selected), 0)
        self.refresh()

    def notify_style_update(self) -> None:
        """The theme or styles changed: rows drawn in the old colours must go."""
        super().notify_style_update()
        self._strips.clear()
        self._base = None

    @property
    def base_style(self) -> Style:
        """The widget's own colours (its ``rich_style``, cached until the styles change)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows):
            return Strip.blank(width, self.base_style)
        key, text = self._rows[index]
        strip = self._strip(key, text, index == self.cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, self.base_style)

    def _strip(self, key: str, text: Text, selected: bool) -> Strip:
        cached = self._strips.get((key, selected))
        if cached is not None and cached[0] is text:  # a changed row comes as a new Text
            return cached[1]
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        # The widget's own colours under the row's (theme background, light or dark).
        segments = list(Segment.apply_style(segments, style=self.base_style))
        if selected:
            segments = list(Segment.apply_style(segments, post_style=SELECTED))
        strip = Strip(segments, text.cell_len)
        self._strips[(key, selected)] = (text, strip)
        return strip

    def _goto(self, index: int) -> None:
        if not self._rows:
            return
        self.cursor = max(0, min(index, len(self._rows) - 1))
        self.scroll_to_region_for(self.cursor)
        self.refresh()

    def scroll_to_region_for(self, index: int) -> None:
        """Scroll so row ``index`` is visible."""
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_move(self, step: int) -> None:
        self._goto(self.cursor + step)

    def action_page(self, step: int) -> None:
        self._goto(self.cursor + step * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        self._goto(index if index >= 0 else len(self._rows) - 1)

    def action_choose(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.post_message(self.Chosen(self, key))

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if index == self.cursor:
            self.action_choose()
        else:
            self._goto(index)
