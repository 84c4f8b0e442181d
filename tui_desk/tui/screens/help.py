"""Help: the keys that apply on the screen it was opened from, generated from its bindings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Static

from tui_desk.core.durations import COUNTDOWN_UNIT


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="close_help"),
    ]

    def __init__(self, origin: Screen[object]) -> None:
        super().__init__()
        self.origin = origin

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Label(Text("Keys", style="bold"))
            table: DataTable[Text] = DataTable(
                id="help-table", cursor_type="none", show_cursor=False
            )
            table.add_columns("Key", "Action", "Binding id")
            yield table
            yield Label(
                Text("Remap any binding by its id in the policy's [keys] table.", style="dim")
            )
            yield Static(Text(COUNTDOWN_UNIT, style="dim"))  # wraps, unlike a Label

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        seen: set[str] = set()
        for binding, enabled in self._origin_bindings():
            ident = binding.id or binding.action
            if ident in seen:
                continue
            seen.add(ident)
            key = self.app.get_key_display(binding)
            style = "" if enabled else "dim"
            table.add_row(
                Text(key, style="bold " + style),
                Text(binding.description or binding.action, style=style),
                Text(binding.id or "", style="dim"),
            )

    def _origin_bindings(self) -> list[tuple[Binding, bool]]:
        """Bindings of the screen's focused widget chain and the app, as they apply now."""
        return [(b.binding, b.enabled) for b in self.origin.active_bindings.values()]

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
