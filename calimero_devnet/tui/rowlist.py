"""Provides ``RowList``: a virtual list of pre-formatted rows, cheap at any arrival rate.

A ``DataTable`` re-measures and re-renders every cell when rows come and go, which a busy
cluster does tens of times a second. ``RowList`` keeps (key, content) rows, where content is
a ``Text`` or, cheaper to draw, ``Pieces`` ((text, style) pairs), renders only the lines on
screen (each at most once per content, cached), and follows the end unless the user moved
the cursor up. A row's line is a finished ``Strip`` handed to the compositor as it is, so
a line that only moved up keeps its strip and Textual's caches on it. Up/Down/PgUp/PgDn/
Home/End move the cursor; Enter or a click on the selected row posts ``RowList.Chosen``
with the row's key.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Pieces = tuple[tuple[str, str], ...]  # (text, style name) pairs, laid end to end
Row = tuple[str, Text | Pieces]
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
        self._strips: dict[tuple[str, bool], tuple[Text | Pieces, Strip]] = {}
        self.cursor = -1
        self._base: Style | None = None  # rich_style walks the DOM: once per style change
        self._styles: dict[str, Style] = {}  # a piece's style name → base style + it

    @property
    def row_count(self) -> int:
        """How many rows there are."""
        return len(self._rows)

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        return self._rows[self.cursor][0] if 0 <= self.cursor < len(self._rows) else None

    def row_plain(self, key: str) -> str | None:
        """What the row of ``key`` says, without styles (for tests and scripts)."""
        content = next((c for k, c in self._rows if k == key), None)
        if content is None or isinstance(content, Text):
            return None if content is None else content.plain
        return "".join(text for text, _ in content)

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; keep following the end if the cursor was on the last row."""
        following = self.cursor < 0 or self.cursor >= len(self._rows) - 1
        if len(self._strips) > 2 * len(rows) + 2:  # forget the rows that left, now and then
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
            if self.scroll_y < self.max_scroll_y:  # a full list at its end stays put
                self.scroll_end(animate=False, immediate=True)
        else:  # stay on the same row as rows above it leave
            self.cursor = next((i for i, (k, _) in enumerate(self._rows) if k == selected), 0)
        self.refresh()

    def notify_style_update(self) -> None:
        """The theme or styles changed: rows drawn in the old colours must go."""
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()
        self._base = None

    @property
    def base_style(self) -> Style:
        """The widget's own colours (its ``rich_style``, cached until the styles change)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    @property
    def pad_style(self) -> Style:
        """The widget's background alone, as Textual pads a short line."""
        return Style(bgcolor=self.base_style.bgcolor)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in ``crop``, each a row's cached strip when the box is plain.

        Textual's own pass (``StylesCache``) rebuilds every line it draws into a new strip, so
        a list that moves by a few rows a frame costs as much as a new screen. Without
        border, padding or effects that pass only adds the app's filters, done here on the
        cached strip (``apply_filter`` caches per strip as well).
        """
        if not self._plain_box():
            return super().render_lines(crop)
        _, background = self.background_colors
        filters = self.get_line_filters()
        width = self.content_region.width  # the scrollbar's cells too: it is drawn on top
        pad, view = self.pad_style, self._view()
        strips = []
        for y in crop.line_range:
            strip = self._row_line(y, *view).adjust_cell_length(width, pad)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        start, end = crop.column_span
        if (start, end) != (0, width):
            strips = [strip.crop(start, end) for strip in strips]
        return strips

    def _plain_box(self) -> bool:
        """True when Textual's pass would add nothing to a content line but the filters."""
        styles = self.styles
        return not (
            any(styles.gutter) or any(edge for edge, _ in styles.outline) or styles.tint.a
            or styles.opacity != 1 or styles.text_opacity != 1
            or (styles.has_rule("hatch") and styles.hatch != "none")
        )  # fmt: skip

    def render_line(self, y: int) -> Strip:
        return self._row_line(y, *self._view())

    def _view(self) -> tuple[int, int, int]:
        """The scroll offset (x, y) and the rows' width: looked up once a pass, not a line."""
        scroll_x, scroll_y = self.scroll_offset
        return scroll_x, scroll_y, self.scrollable_content_region.width

    def _row_line(self, y: int, scroll_x: int, scroll_y: int, width: int) -> Strip:
        index = scroll_y + y
        if index >= len(self._rows):
            return Strip.blank(width, self.pad_style)
        key, text = self._rows[index]
        strip = self._strip(key, text, index == self.cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, self.base_style)

    def _strip(self, key: str, content: Text | Pieces, selected: bool) -> Strip:
        cached = self._strips.get((key, selected))
        if cached is not None and cached[0] is content:  # a changed row comes as a new one
            return cached[1]
        segments = self._segments(content)
        if selected:
            segments = list(Segment.apply_style(segments, post_style=SELECTED))
        strip = Strip(segments)
        self._strips[(key, selected)] = (content, strip)
        return strip

    def _segments(self, content: Text | Pieces) -> list[Segment]:
        """A row's segments over the widget's own colours (theme background, light or dark)."""
        if isinstance(content, Text):
            segments = [s for s in content.render(self.app.console) if s.text != "\n"]
            return list(Segment.apply_style(segments, style=self.base_style))
        # Pieces skip Text's span bookkeeping: ~10 times cheaper per row.
        return [Segment(text, self._style(name)) for text, name in content if text]

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            own = self.app.console.get_style(name) if name else Style()
            style = self._styles[name] = self.base_style + own
        return style

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
