"""User text into Rich `Text` for the screens, under the one rule of `tui_desk.core.text`:
never markup, never a control or bidi character; their stand-ins are drawn in reverse video
so the operator sees that something was there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui_desk.core.text import TAB_SIZE, in_place, needs_care, replacements, visible_pieces

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object

STAND_IN_STYLE = Style(reverse=True)


def user_text(
    text: str | None, style: str | Style = "", *, one_line: bool = True, **options: Any
) -> Text:
    """`text` as a `Text` a terminal may show: one line (subjects, names, tags) unless
    `one_line=False` (bodies, which keep their newlines). `options` go to `Text`."""
    out = Text(style=style, **options)
    for piece, is_stand_in in visible_pieces(text or "", one_line=one_line):
        out.append(piece, STAND_IN_STYLE if is_stand_in else None)
    return out


def safe_text(text: Text, *, one_line: bool = True) -> Text:
    """`text` itself when it holds nothing forbidden, else a copy with each forbidden
    character replaced in place, the styles around it kept. For widgets handed a `Text`
    built elsewhere: table cells, notifications."""
    if not needs_care(text.plain, one_line=one_line):
        return text
    if not one_line and "\t" in text.plain:
        text = text.copy()
        text.expand_tabs(TAB_SIZE)
    out = text.blank_copy()
    start = 0
    for index, replacement, is_stand_in in replacements(text.plain, one_line=one_line):
        out.append_text(text[start:index])
        if replacement:
            out.append(replacement, STAND_IN_STYLE if is_stand_in else None)
        start = index + 1
    out.append_text(text[start:])
    return out


class SafeLines(_Base):
    """For widgets that draw text the user typed, pasted or loaded (an Input, a TextArea):
    each forbidden character in a drawn line becomes one visible character in its place
    (`in_place`), so nothing reaches the terminal and the cursor keeps its column."""

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))


def safe_strip(strip: Strip) -> Strip:
    """`strip` itself when no segment holds a forbidden character, else the same strip with
    them replaced one for one, cut back to its width (stand-ins are 1 cell, controls 0)."""
    if not any(needs_care(segment.text, one_line=True) for segment in strip if not segment.control):
        return strip
    width = strip.cell_length
    segments = [
        segment if segment.control else Segment(in_place(segment.text), segment.style)
        for segment in strip
    ]
    return Strip(segments).crop(0, width)
