"""A small modal list to pick one value (status, priority, assignee…)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_desk.tui.text import user_text


class PickerScreen(ModalScreen[str | None]):
    """Returns the chosen value, or None on escape."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("j", "down", "Down", show=False, id="down"),
        Binding("k", "up", "Up", show=False, id="up"),
    ]

    def __init__(self, title: str, options: list[str], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Label(user_text(self.title_text, "bold"))
            yield OptionList(
                *(
                    Option(user_text(o + ("  (current)" if o == self.current else "")), id=o)
                    for o in self.options
                ),
                id="picker-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.current in self.options:
            options.highlighted = self.options.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
