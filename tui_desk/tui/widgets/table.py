"""The tables of every screen: a DataTable that also moves with j/k/g/G (remappable ids),
and draws its one-line text cells without Rich's general layout machinery.

DataTable renders every cell as `Styled(Padding(cell))` through `Console.render_lines`,
which wraps, measures and crops in general. A queue cell is one line of `Text` at a fixed
width, so `_render_cell` builds that line directly: truncate the text to the column, pad
it, layer the same styles in the same order. Anything else (headers, labels, multi-line
rows or text, tabs, non-left justification) still takes DataTable's own path. The output is
the same segments either way, which the screen snapshots pin.

Every cell is user text shown on one line: `add_row` and `update_cell` pass it through
`safe_text`, so no screen can put a control or bidi character into a table by mistake.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tui_desk.tui.text import safe_text, user_text

_PLAIN_JUSTIFY = (None, "default", "left")
_JOINER = Text("")


class DeskTable(DataTable[Text]):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
        Binding("g", "scroll_top", "Top", show=False, id="top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="bottom"),
    ]

    def add_row(self, *cells: Any, **options: Any) -> RowKey:
        return super().add_row(*(_cell(cell) for cell in cells), **options)

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, **options: Any
    ) -> None:
        super().update_cell(row_key, column_key, _cell(value), **options)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        cache_key = (
            row_key,
            self._column_locations.get_key(column_index),
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        cell = self._get_row_renderables(row_index)[1][column_index]
        if (
            self.rows[row_key].height != 1
            or not isinstance(cell, Text)
            or cell.justify not in _PLAIN_JUSTIFY
            or "\n" in cell.plain
            or "\t" in cell.plain
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        pre_style += component_style
        lines = [
            list(
                Segment.apply_style(
                    _one_line(cell, width, self.cell_padding, self.app.console),
                    pre_style,
                    post_style,
                )
            )
        ]
        self._cell_render_cache[cache_key] = lines
        return lines


def _cell(value: Any) -> Text:
    """A table cell as one safe line: a `Text` keeps its styles, anything else is plain
    text (never markup, as DataTable would read a `str`)."""
    if isinstance(value, Text):
        return safe_text(value)
    return user_text(str(value))


def _one_line(cell: Text, width: int, padding: int, console: object) -> list[Segment]:
    """`cell` on one line of exactly `width` cells: `padding` spaces each side, cropped or
    ellipsised to fit as its `overflow` says, padded with unstyled blanks."""
    inner = max(0, width - 2 * padding)
    text = cell
    if text.cell_len > inner:
        text = cell.copy()
        text.truncate(inner, overflow=cell.overflow or "fold")
    if text.style:  # the text's own style goes under its spans, as Text.join puts it
        text = _JOINER.join([text])
    segments = list(text.render(console))  # type: ignore[arg-type]
    blank = Style.null()
    line = [Segment(" " * padding, blank)] if padding else []
    line += segments
    used = text.cell_len
    if used < inner:
        line.append(Segment(" " * (inner - used)))
    if padding:
        line.append(Segment(" " * padding, blank))
    return line
