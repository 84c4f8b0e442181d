"""The Textual app: a thin face on `HelpDesk`. Screens live in `tui.screens`.

Screens are Textual modes: `1` Queue (with the Ticket screen pushed on it), `2` the last
opened ticket, `3` Escalations, `4` Plans & quotas.

Fast start: on an up-to-date SQLite store the app opens on a `ReadOnlyDesk` (no SQLAlchemy
import), shows the first queue page from it, and only then opens the full `HelpDesk` in a
worker thread; anything that writes waits for it (`DeskApp.desk`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import AwaitMount

from tui_desk.core.policy import Policy
from tui_desk.core.text import visible, visible_line
from tui_desk.paths import Locations
from tui_desk.services.base import DeskBase, ReadOnlyDesk
from tui_desk.services.listing import operator_names
from tui_desk.tui import state

if TYPE_CHECKING:
    from tui_desk.services import HelpDesk


def _queue_screen() -> Screen[Any]:
    from tui_desk.tui.screens.queue import QueueScreen

    return QueueScreen()


def _escalations_screen() -> Screen[Any]:
    from tui_desk.tui.screens.escalations import EscalationsScreen

    return EscalationsScreen()


def _quotas_screen() -> Screen[Any]:
    from tui_desk.tui.screens.quotas import QuotasScreen

    return QuotasScreen()


class TicketNumberProvider(Provider):
    """ "Go to ticket #N" in the command palette."""

    async def search(self, query: str) -> Hits:
        digits = query.strip().lstrip("#")
        if digits.isdigit():
            app = self.app
            assert isinstance(app, DeskApp)
            ticket_id = int(digits)
            yield Hit(
                1.0,
                f"Go to ticket #{ticket_id}",
                partial(app.open_ticket, ticket_id),
                help="Open the ticket with this number",
            )


class DeskApp(App[int]):
    """tui-desk's terminal UI."""

    CSS_PATH = "desk.tcss"
    TITLE = "tui-desk"
    MODES = {
        "queue": _queue_screen,
        "escalations": _escalations_screen,
        "quotas": _quotas_screen,
    }
    DEFAULT_MODE = "queue"
    COMMANDS = App.COMMANDS | {TicketNumberProvider}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit_always"),
        Binding("question_mark", "help", "Keys", id="help"),
        Binding("1", "show_queue", "Queue", show=False, id="screen_queue"),
        Binding("2", "show_ticket", "Ticket", show=False, id="screen_ticket"),
        Binding(
            "3", "switch_mode('escalations')", "Escalations", show=False, id="screen_escalations"
        ),
        Binding("4", "switch_mode('quotas')", "Quotas", show=False, id="screen_quotas"),
    ]

    def __init__(
        self,
        desk: DeskBase,
        *,
        operator: str | None = None,
        clock: Callable[[], datetime] | None = None,
        live: bool = True,
        locations: Locations | None = None,
        open_desk: Callable[[], HelpDesk] | None = None,
        store: str | None = None,
    ) -> None:
        """`desk` is the full HelpDesk, or a ReadOnlyDesk together with `open_desk`, which
        builds the full one when first needed. `store` keys what is remembered about this
        store (who you are on it; see state.store_key)."""
        super().__init__()
        self._reader = desk
        self._full: HelpDesk | None = None if open_desk else desk  # type: ignore[assignment]
        self._open_desk = open_desk
        self._opening = threading.Lock()
        self._quitting = False
        self.clock = clock or (lambda: datetime.now(UTC))
        self.live = live
        self.locations = locations
        self.store = store
        self.settings = state.load() if live else {}
        self.operator = (
            operator
            or desk.default_operator
            or os.environ.get("TUI_DESK_OPERATOR")
            or state.operator_for(self.settings, store)
        )
        self.set_default_operator(self.operator)
        self.advance = bool(self.settings.get("advance", True))
        self.last_ticket: int | None = None
        self.operator_names: list[str] = []
        self.title = desk.policy.desk.name
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # Everything moves at once: a view switch repaints without a sliding tab bar
            # (and its frames). TEXTUAL_ANIMATIONS=full brings the animations back.
            self.animation_level = "none"
        if self.settings.get("theme"):
            self.theme = self.settings["theme"]

    def exit(self, *args: Any, **kwargs: Any) -> None:
        self._quitting = True
        super().exit(*args, **kwargs)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, from any screen: its words often carry user text (a subject in an
        escalation, a name in an error), so they are shown as plain text under the rule of
        `tui_desk.core.text`, never as markup. (`markup` is accepted and ignored.)"""
        super().notify(
            visible(message),
            title=visible_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """As App.push_screen, except while quitting: a key typed right after `q` (say
        `s`) must not mount a picker into an app that is being torn down."""
        if self._quitting:
            return AwaitMount(self.screen, [])
        return super().push_screen(screen, *args, **kwargs)

    @property
    def desk(self) -> HelpDesk:
        """The full desk, for use cases that write. Opened on first use (workers wait for
        it; the first queue page never needs it)."""
        if self._full is None:
            with self._opening:
                if self._full is None:
                    assert self._open_desk is not None
                    full = self._open_desk()
                    full.policy = self._reader.policy  # a reload may have come first
                    full.default_operator = self._reader.default_operator
                    self._full = full
        return self._full

    @property
    def reader(self) -> DeskBase:
        """A desk to read with: the full one once open, else the read-only one."""
        return self._full or self._reader

    @property
    def desk_is_open(self) -> bool:
        return self._full is not None

    def open_desk_soon(self) -> None:
        """Open the full desk in the background (called once the first page is painted)."""
        if self._full is None:
            self.run_worker(self._open_in_worker, thread=True, group="open-desk", exclusive=True)

    def _open_in_worker(self) -> None:
        self.desk  # noqa: B018  (opens it)
        if self.live:
            self.call_from_thread(self._start_escalation_watch)

    def set_policy(self, policy: Policy) -> None:
        self._reader.policy = policy
        if self._full is not None:
            self._full.policy = policy

    def set_default_operator(self, name: str | None) -> None:
        self._reader.default_operator = name
        if self._full is not None:
            self._full.default_operator = name

    @property
    def policy(self) -> Policy:
        return self.reader.policy

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def on_mount(self) -> None:
        self.apply_keymap()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.live:
            self._start_watchers()
        self.load_operators()

    @work(thread=True, exclusive=True, group="operators")
    def load_operators(self) -> None:
        """Operator names for pickers, read off the UI thread; asks who you are if unknown."""
        names = operator_names(self.reader)
        self.call_from_thread(self._operators_loaded, names)

    def _operators_loaded(self, names: list[str]) -> None:
        """An operator this store does not have is never used: say so, and ask."""
        self.operator_names = names
        if self.operator is not None and self.operator not in names:
            self.notify(
                f"No operator named {self.operator!r} on this store: pick who you are.",
                severity="warning",
                markup=False,
            )
            self.operator = None
            self.set_default_operator(None)
            self._operator_changed()
        if self.operator is None and names:
            self.choose_operator()

    def _start_watchers(self) -> None:
        from tui_desk.tui.policy_watch import watch_policy

        watch_policy(self)
        if self.desk_is_open:
            self._start_escalation_watch()
        # else: started by open_desk_soon once the full desk is open

    def _start_escalation_watch(self) -> None:
        try:
            from tui_desk.tui.escalation_watch import start_escalation_watch
        except ImportError:  # escalations not installed in this build
            return
        start_escalation_watch(self)

    def apply_keymap(self) -> None:
        """Remap bindings by id from the policy's `[keys]` table (SPEC §2, §8)."""
        self.set_keymap(dict(self.policy.keys))

    def _remember_theme(self, theme: Any) -> None:
        if self.live:
            self.settings["theme"] = theme.name
            state.save(self.settings)

    def remember(self, **values: Any) -> None:
        self.settings.update(values)
        if self.live:
            state.save(self.settings)

    # -- who am I ---------------------------------------------------------------------------------

    def choose_operator(self) -> None:
        """First start without --as: pick who you are from the operators, and remember it."""
        from tui_desk.tui.screens.pickers import PickerScreen

        names = self.operator_names
        if not names:
            self.notify(
                "No operators yet: add one with tui-desk operator add NAME", severity="warning"
            )
            return

        def chosen(name: str | None) -> None:
            if name:
                self.set_operator(name)

        self.push_screen(PickerScreen("Who are you?", names), chosen)

    def set_operator(self, name: str) -> None:
        self.operator = name
        self.set_default_operator(name)
        if self.store is not None:
            self.settings = state.with_operator(self.settings, self.store, name)
            self.remember()
        self.notify(f"You are {name}.", markup=False)
        self._operator_changed()

    def _operator_changed(self) -> None:
        self.refresh_bindings()
        for screen in self.screen_stack:
            if hasattr(screen, "on_operator_changed"):
                screen.on_operator_changed()

    # -- navigation -------------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui_desk.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_show_queue(self) -> None:
        from tui_desk.tui.screens.queue import QueueScreen

        self.switch_mode("queue")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, QueueScreen):
            self.pop_screen()

    def action_show_ticket(self) -> None:
        if self.last_ticket is None:
            self.notify("No ticket opened yet: pick one in the queue.", severity="warning")
            return
        self.open_ticket(self.last_ticket)

    def queue_screen(self) -> Any:
        from tui_desk.tui.screens.queue import QueueScreen

        for screen in self.screen_stack:
            if isinstance(screen, QueueScreen):
                return screen
        return None

    def open_ticket(self, ticket_id: int, queue_ids: list[int] | None = None) -> None:
        from tui_desk.tui.screens.ticket import TicketScreen

        if self.current_mode != "queue":
            self.switch_mode("queue")
        if isinstance(self.screen, TicketScreen):
            self.pop_screen()
        if queue_ids is None:
            queue = self.queue_screen()
            queue_ids = [row.id for row in queue.rows] if queue is not None else []
        self.last_ticket = ticket_id
        self.push_screen(TicketScreen(ticket_id, queue_ids))

    def show_customer_queue(self, customer: str) -> None:
        """The queue filtered to one customer's open tickets (from Plans & quotas)."""
        self.action_show_queue()
        queue = self.queue_screen()
        if queue is not None:
            queue.apply_filter(f'customer:"{customer}"')

    def action_toggle_advance(self) -> None:
        self.advance = not self.advance
        self.remember(advance=self.advance)
        self.notify(
            "After an action: " + ("open the next ticket" if self.advance else "stay on the ticket")
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Queue", "All open tickets (1)", self.action_show_queue)
        yield SystemCommand(
            "Escalations", "What is on fire (3)", partial(self.switch_mode, "escalations")
        )
        yield SystemCommand(
            "Plans & quotas",
            "Contracts and their allowances (4)",
            partial(self.switch_mode, "quotas"),
        )
        state_word = "on" if self.advance else "off"
        yield SystemCommand(
            f"Act-then-advance: turn {'off' if self.advance else 'on'}",
            f"Now {state_word}: after replying or changing a ticket, open the next one",
            self.action_toggle_advance,
        )
        yield SystemCommand(
            "Who am I",
            f"Now: {self.operator or 'nobody'} — pick another operator",
            self.choose_operator,
        )
        queue = self.queue_screen()
        if queue is not None:
            from tui_desk.tui.screens.queue import VIEWS

            for key, label in VIEWS:
                yield SystemCommand(
                    f"View: {label}",
                    "Show this saved view of the queue",
                    partial(self._show_view, key),
                )

    def _show_view(self, view: str) -> None:
        self.action_show_queue()
        queue = self.queue_screen()
        if queue is not None:
            queue.show_view(view)


def run_app(
    locations: Locations,
    *,
    policy: Policy,
    db: str,
    now: datetime | None = None,
    operator: str | None = None,
) -> int:
    """Open the store and run the TUI until the user quits."""
    from tui_desk.store.lite import LiteStore

    fixed = now
    clock = (lambda: fixed) if fixed else None
    opened: list[HelpDesk] = []

    def open_desk() -> HelpDesk:
        from tui_desk.services import HelpDesk
        from tui_desk.store.engine import open_store

        desk = HelpDesk(open_store(db), policy, now=clock, operator=operator)
        desk.ensure_policy_applied()
        opened.append(desk)
        return desk

    store = LiteStore.open(db)
    lite = ReadOnlyDesk(store, policy, now=clock, operator=operator) if store else None
    # Escalations due since the last run are caught up by the watcher, once the full desk
    # is open: the first page needs only clocks computed under this policy.
    if lite is not None and lite.is_current(escalations=False):
        app = DeskApp(
            lite,
            operator=operator,
            clock=clock,
            locations=locations,
            open_desk=open_desk,
            store=state.store_key(db),
        )
    else:  # the store needs creating, upgrading or recomputing first
        app = DeskApp(
            open_desk(),
            operator=operator,
            clock=clock,
            locations=locations,
            store=state.store_key(db),
        )
    app.run()
    for desk in opened:
        desk.engine.dispose()
    return app.return_code or 0
