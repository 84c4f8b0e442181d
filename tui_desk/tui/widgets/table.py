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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tui_desk.tui.text import safe_text, user_text

_PLAIN_JUSTIFY = (None, "default", "left")
_JOINER = Text("")
SCROLLBAR = 2  # kept free on the right whether or not the vertical scrollbar shows


@dataclass(frozen=True, slots=True)
class Column:
    """A column sized from its content and the width of the table.

    `shrink`: the content may be ellipsised down to `least` cells (text such as subjects
    and names; never numbers or countdowns, which are shown whole or not at all).
    `flex`: takes the width the others leave. `drop`: when even the narrowest layout does
    not fit, columns go away highest `drop` first (0: never)."""

    key: str
    label: str
    least: int = 1
    shrink: bool = False
    flex: bool = False
    drop: int = 0


def fit_columns(
    columns: Sequence[Column], natural: Mapping[str, int], width: int, padding: int
) -> dict[str, int]:
    """Which columns show and how wide, for a table `width` cells wide: every column gets
    what its content needs when it can and spare width goes to the flexible ones; when
    it cannot, the widest text column gives way a cell at a time (a flexible one counts
    half its width), down to its least width; only then do whole columns drop."""
    shown = list(columns)

    def need(column: Column) -> int:
        return max(natural.get(column.key, 0), cell_len_of(column.label))

    def least(column: Column) -> int:
        return min(column.least, need(column)) if column.shrink or column.flex else need(column)

    def room() -> int:
        return width - SCROLLBAR - 2 * padding * len(shown)

    while sum(least(c) for c in shown) > room() and any(c.drop for c in shown):
        shown.remove(max(shown, key=lambda c: c.drop))
    widths = {c.key: need(c) for c in shown}
    over = sum(widths.values()) - room()
    while over > 0:
        narrower = [c for c in shown if widths[c.key] > least(c)]
        if not narrower:
            break
        widest = max(narrower, key=lambda c: widths[c.key] / (2 if c.flex else 1))
        widths[widest.key] -= 1
        over -= 1
    flexible = [c for c in shown if c.flex]
    spare = max(0, -over)
    for index, column in enumerate(flexible):
        share = spare // (len(flexible) - index)
        widths[column.key] += share
        spare -= share
    return widths


def cell_len_of(text: str | Text) -> int:
    return text.cell_len if isinstance(text, Text) else Text(text).cell_len


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

    def __init__(self, *args: object, columns: Sequence[Column] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.column_layout = tuple(columns)
        self._row_cells: dict[str, Mapping[str, Text]] = {}
        self._natural: dict[str, int] = {}
        self._widths: dict[str, int] = {}

    # -- rows as {column key: cell}, laid out by `fit_columns` --------------------------------

    @property
    def shown_columns(self) -> list[str]:
        return list(self._widths)

    def set_layout(self, columns: Sequence[Column]) -> None:
        """Other columns (or labels) for the same rows."""
        self.column_layout = tuple(columns)
        self._widths = {}
        self._refit()

    def set_rows(self, rows: Iterable[tuple[str, Mapping[str, Text]]]) -> None:
        """Replace every row; columns are refitted to the new content."""
        self._row_cells = {}
        self._natural = {}
        self.clear()
        self.add_cell_rows(rows)

    def add_cell_rows(self, rows: Iterable[tuple[str, Mapping[str, Text]]]) -> None:
        added = list(rows)
        for key, cells in added:
            self._row_cells[key] = cells
            self._measure(cells)
        if not self._refit():
            for key, cells in added:
                self.add_row(*self._ordered(cells), key=key)

    def update_cells(self, key: str, cells: Mapping[str, Text]) -> None:
        """Repaint the cells of one row whose text or style changed."""
        old = self._row_cells.get(key)
        if old is None:
            return
        self._row_cells[key] = {**old, **cells}
        wider = any(cell.cell_len > self._natural.get(name, 0) for name, cell in cells.items())
        self._measure(cells)
        if wider and self._refit():
            return
        for name, cell in cells.items():
            before = old.get(name)
            if name in self._widths and (
                before is None or before.plain != cell.plain or before.style != cell.style
            ):
                self.update_cell(key, name, cell)

    def _measure(self, cells: Mapping[str, Text]) -> None:
        natural = self._natural
        for name, cell in cells.items():
            if cell.cell_len > natural.get(name, 0):
                natural[name] = cell.cell_len

    def _ordered(self, cells: Mapping[str, Text]) -> list[Text]:
        return [cells.get(name, _JOINER) for name in self._widths]

    def on_resize(self, event: Resize) -> None:
        if self.column_layout:
            self._refit(event.size.width)

    def _refit(self, width: int | None = None) -> bool:
        """Size the columns to the content and the width; True when they changed, in which
        case the table was rebuilt with every row in it."""
        if not self.column_layout:
            return False
        width = width or self.size.width or self.app.size.width
        widths = fit_columns(self.column_layout, self._natural, width, self.cell_padding)
        if widths == self._widths and self.columns:
            return False
        self._widths = widths
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        labels = {column.key: column.label for column in self.column_layout}
        for name, column_width in widths.items():
            self.add_column(labels[name], key=name, width=column_width)
        for key, cells in self._row_cells.items():
            self.add_row(*self._ordered(cells), key=key)
        if self.row_count:
            self.move_cursor(row=min(cursor.row, self.row_count - 1), animate=False)
        return True

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
