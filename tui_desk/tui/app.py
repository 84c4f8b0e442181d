"""The Textual app: a thin face on `HelpDesk`. Screens live in `tui.screens`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from textual.app import App
from textual.binding import Binding

from tui_desk.core.policy import Policy
from tui_desk.paths import Locations
from tui_desk.services import HelpDesk


class DeskApp(App[int]):
    """tui-desk's terminal UI."""

    CSS_PATH = "desk.tcss"
    TITLE = "tui-desk"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit_always"),
        Binding("question_mark", "help", "Keys", id="help"),
    ]

    def __init__(
        self,
        desk: HelpDesk,
        *,
        operator: str | None = None,
        clock: Callable[[], datetime] | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.operator = operator
        self.clock = clock or (lambda: datetime.now(UTC))
        self.live = live
        self.locations: Locations | None = None
        self.title = desk.policy.desk.name

    @property
    def policy(self) -> Policy:
        return self.desk.policy

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def on_mount(self) -> None:
        from tui_desk.tui.screens.queue import QueueScreen

        self.apply_keymap()
        self.push_screen(QueueScreen())

    def apply_keymap(self) -> None:
        """Remap bindings by id from the policy's `[keys]` table (SPEC §2, §8)."""
        if self.policy.keys:
            self.set_keymap(dict(self.policy.keys))

    def action_help(self) -> None:
        from tui_desk.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_ticket(self, ticket_id: int, queue_ids: list[int] | None = None) -> None:
        from tui_desk.tui.screens.ticket import TicketScreen

        self.push_screen(TicketScreen(ticket_id, queue_ids or []))


def run_app(
    locations: Locations,
    *,
    policy: Policy,
    db: str,
    now: datetime | None = None,
    operator: str | None = None,
) -> int:
    """Open the store and run the TUI until the user quits."""
    from tui_desk.store.engine import open_store

    engine = open_store(db)
    fixed = now
    desk = HelpDesk(engine, policy, now=(lambda: fixed) if fixed else None, operator=operator)
    app = DeskApp(desk, operator=operator, clock=(lambda: fixed) if fixed else None)
    app.locations = locations
    app.run()
    engine.dispose()
    return app.return_code or 0
