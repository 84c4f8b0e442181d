"""The text fields of the screens: what they draw may come from user data (a customer's
name put into a filter, a quoted message, a draft back from $EDITOR) or from a paste, so
every line they draw goes through the rule of `tui_desk.core.text` (`SafeLines`)."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tui_desk.tui.text import SafeLines


class LineInput(SafeLines, Input):
    """A one-line input (the queue filter, prompts)."""


class DraftArea(SafeLines, TextArea):
    """The composer's text area."""
