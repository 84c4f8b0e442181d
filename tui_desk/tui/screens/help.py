"""Help: the keys that apply on the screen it was opened from, generated from its bindings,
the desk's own first (grouped: move, act, views and screens, app), Textual's generic keys
last; the list scrolls with j/k, the arrows and the page keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from tui_desk.core.durations import COUNTDOWN_UNIT

# The desk's binding ids by group, in the order the help lists them.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Move", ("down", "up", "top", "bottom", "next_ticket", "previous_ticket")),
    (
        "Act",
        (
            "open",
            "reply",
            "note",
            "status",
            "priority",
            "assign",
            "tags",
            "csat",
            "acknowledge",
            "mark",
            "filter",
            "sort",
            "sort_reverse",
            "clear",
            "reload",
            "send",
            "editor",
            "cancel",
        ),
    ),
    (
        "Views and screens",
        (
            "next_view",
            "previous_view",
            "back",
            "screen_queue",
            "screen_ticket",
            "screen_escalations",
            "screen_quotas",
        ),
    ),
    ("App", ("help", "quit", "quit_always")),
)
OTHER_GROUP = "Also (scrolling and Textual's own keys)"


class HelpKeys(VerticalScroll):
    """The list of keys; scrolls with j/k besides the arrows and page keys."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="close_help"),
    ]

    def __init__(self, origin: Screen[object]) -> None:
        super().__init__()
        self.origin = origin

    def compose(self) -> ComposeResult:
        with HelpKeys(id="help", classes="dialog"):
            yield Label(Text("Keys", style="bold"))
            yield Static(self.keys_text(), id="help-keys")
            yield Label(
                Text(
                    "Remap any key by its id in the policy's [keys] table. "
                    "j/k or the arrows scroll; esc closes.",
                    style="dim",
                )
            )
            yield Static(Text(COUNTDOWN_UNIT, style="dim"))  # wraps, unlike a Label

    def on_mount(self) -> None:
        self.query_one(HelpKeys).focus()

    def groups(self) -> list[tuple[str, list[tuple[str, str, str, bool]]]]:
        """(group, [(key, action, id, enabled)]) for the origin screen's bindings."""
        rows: dict[str, tuple[str, str, str, bool]] = {}
        for binding, enabled in self._origin_bindings():
            ident = binding.id or binding.action
            if ident in rows:
                continue
            key = self.app.get_key_display(binding)
            rows[ident] = (key, binding.description or binding.action, binding.id or "", enabled)
        out = []
        for title, ids in GROUPS:
            found = [rows.pop(ident) for ident in ids if ident in rows]
            if found:
                out.append((title, found))
        if rows:
            out.append((OTHER_GROUP, list(rows.values())))
        return out

    def keys_text(self) -> Text:
        groups = self.groups()
        width = max((len(key) for _, rows in groups for key, *_ in rows), default=1)
        text = Text()
        for title, rows in groups:
            if text:
                text.append("\n")
            text.append(f"{title}\n", style="bold underline")
            for key, action, ident, enabled in rows:
                style = "" if enabled else "dim"
                text.append(f"  {key:<{width}}  ", style="bold " + style)
                text.append(action, style=style)
                if ident:
                    text.append(f"  {ident}", style="dim")
                text.append("\n")
        text.rstrip()
        return text

    def _origin_bindings(self) -> list[tuple[Binding, bool]]:
        """Bindings of the screen's focused widget chain and the app, as they apply now."""
        return [(b.binding, b.enabled) for b in self.origin.active_bindings.values()]

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
