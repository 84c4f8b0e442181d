"""The Escalations screen (SPEC §5, §8): what is on fire, grouped by level, highest first, then
longest overdue; and what is about to catch fire (next working hour, later today, tomorrow).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_desk.services import (
    UPCOMING_WINDOWS,
    EscalatedTicket,
    EscalationOverview,
    ServiceError,
    UpcomingEscalation,
    acknowledge,
)
from tui_desk.tui.text import user_text
from tui_desk.tui.widgets.table import Column, DeskTable
from tui_desk.tui.widgets.when import short_instant

# Sized from content and width; the acknowledgement always shows (it is what `e` changes).
ESCALATED_COLUMNS: tuple[Column, ...] = (
    Column("level", "Level"),
    Column("id", "#"),
    Column("subject", "Subject", least=12, flex=True),
    Column("clock", "Clock", drop=1),
    Column("overdue", "Time left"),
    Column("since", "Since", drop=2),
    Column("assignee", "Assignee", least=5, shrink=True, drop=3),
    Column("ack", "Acked", least=5, shrink=True),
)
UPCOMING_COLUMNS: tuple[Column, ...] = (
    Column("id", "#"),
    Column("subject", "Subject", least=12, flex=True),
    Column("level", "Next level", least=6, shrink=True),
    Column("clock", "Clock", drop=1),
    Column("at", "At"),
    Column("assignee", "Assignee", least=5, shrink=True, drop=2),
)
LEVEL_STYLES = ("bold yellow", "bold red", "bold magenta")
CLOCK_NAMES = {"first_response": "First", "next_response": "Next", "resolution": "Resolve"}
REFRESH_SECONDS = 30.0  # overdue figures and "about to escalate" move with time


def _clock(name: str | None) -> str:
    """The clock as the queue's column headers name it."""
    return CLOCK_NAMES.get(name or "", (name or "—").replace("_", " "))


def _assignee(name: str | None) -> Text:
    return Text(name or "—", style="" if name else "dim", no_wrap=True, overflow="ellipsis")


def _level_style(level: int) -> str:
    return LEVEL_STYLES[min(max(level, 1), len(LEVEL_STYLES)) - 1]


def _overdue(row: EscalatedTicket) -> Text:
    """The causing clock's countdown as the queue shows it (`−1d 3h` when overdue)."""
    if row.overdue_seconds is None:
        return Text(row.countdown, style="dim")
    return Text(row.countdown, style="bold red" if row.overdue_seconds >= 0 else "yellow")


class EscalationsScreen(Screen[None]):
    """Escalated tickets and tickets about to escalate; acknowledge, assign, open."""

    DEFAULT_CSS = """
    EscalationsScreen #escalated-table {
        height: 2fr;
    }
    EscalationsScreen #upcoming-title {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    EscalationsScreen #upcoming-table {
        height: 1fr;
    }
    EscalationsScreen #escalations-status {
        height: auto;  /* hints wrap at word boundaries rather than being cut */
        background: $boost;
    }
    """

    BINDINGS = [
        Binding("enter", "open", "Open", id="open"),
        Binding("e", "acknowledge", "Acknowledge", id="acknowledge"),
        Binding("a", "assign", "Assign", id="assign"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: EscalationOverview | None = None
        self.escalated: dict[int, EscalatedTicket] = {}
        self.upcoming: dict[int, UpcomingEscalation] = {}
        self._fingerprint: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield DeskTable(
            id="escalated-table", cursor_type="row", zebra_stripes=True, columns=ESCALATED_COLUMNS
        )
        yield Static(Text("About to escalate"), id="upcoming-title")
        yield DeskTable(id="upcoming-table", cursor_type="row", columns=UPCOMING_COLUMNS)
        yield Static(id="escalations-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#escalated-table", DataTable).focus()
        self._render_title()
        self.reload()
        if self.app.live:  # type: ignore[attr-defined]
            self.set_interval(2.0, self.check_for_changes)
            self.set_interval(REFRESH_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()

    # -- loading (workers only: the UI never waits on the database) ------------------------------

    @work(thread=True, exclusive=True, group="escalations-load")
    def reload(self) -> None:
        from tui_desk.services import escalation_overview

        desk = self.app.desk  # type: ignore[attr-defined]
        fingerprint = desk.data_version()
        overview = escalation_overview(desk, self.app.now())  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, overview, fingerprint)

    @work(thread=True, exclusive=True, group="escalations-watch")
    def check_for_changes(self) -> None:
        fingerprint = self.app.desk.data_version()  # type: ignore[attr-defined]
        if fingerprint != self._fingerprint:
            self.app.call_from_thread(self.reload)

    def _show(self, overview: EscalationOverview, fingerprint: tuple[int, int]) -> None:
        self.overview = overview
        self._fingerprint = fingerprint
        self.escalated = {row.ticket_id: row for row in overview.escalated}
        self.upcoming = {row.ticket_id: row for row in overview.upcoming}
        with self.app.batch_update():
            self._fill_escalated(overview)
            self._fill_upcoming(overview)
        self._render_title()
        self._render_status()

    def _fill_escalated(self, overview: EscalationOverview) -> None:
        table = self.query_one("#escalated-table", DeskTable)
        selected = self._row_key(table)
        rows: list[tuple[str, dict[str, Text]]] = []
        if not overview.escalated:
            rows.append(("none", {"subject": Text("Nothing is escalated.", style="dim")}))
        level = None
        for row in overview.escalated:
            if row.level != level:
                level = row.level
                count = sum(1 for r in overview.escalated if r.level == level)
                style = _level_style(level)
                heading = {  # the count first: a narrow column cuts the name, not it
                    "level": Text(f"L{level}", style=style),
                    "subject": Text(f"{count} at {row.name or f'L{level}'}", style=style),
                }
                rows.append((f"level-{level}", heading))
            rows.append((f"t{row.ticket_id}", self._escalated_cells(row, overview.now)))
        table.set_rows(rows)
        self._restore_cursor(table, selected)

    def _escalated_cells(self, row: EscalatedTicket, now: datetime) -> dict[str, Text]:
        ack = (
            Text(f"✓ {row.acknowledged_by or ''}".strip(), style="green")
            if row.acknowledged
            else Text("no", style="bold red")
        )
        return {
            "level": Text(f"  L{row.level}", style=_level_style(row.level)),
            "id": Text(str(row.ticket_id), style="dim"),
            "subject": Text(row.subject, no_wrap=True, overflow="ellipsis"),
            "clock": Text(_clock(row.clock)),
            "overdue": _overdue(row),
            "since": Text(short_instant(row.since, now, self._zone())),
            "assignee": _assignee(row.assignee),
            "ack": ack,
        }

    def _fill_upcoming(self, overview: EscalationOverview) -> None:
        table = self.query_one("#upcoming-table", DeskTable)
        selected = self._row_key(table)
        rows: list[tuple[str, dict[str, Text]]] = []
        if not overview.upcoming:
            line = Text("Nothing escalates before the end of tomorrow.", style="dim")
            rows.append(("none", {"subject": line}))
        for window, label in UPCOMING_WINDOWS:
            found = overview.upcoming_in(window)
            if not found:
                continue
            rows.append((f"w-{window}", {"subject": Text(f"{label} · {len(found)}", style="bold")}))
            for row in found:
                cells = {
                    "id": Text(str(row.ticket_id), style="dim"),
                    "subject": Text(row.subject, no_wrap=True, overflow="ellipsis"),
                    "level": Text(f"L{row.level} {row.name}", style=_level_style(row.level)),
                    "clock": Text(_clock(row.clock)),
                    "at": Text(short_instant(row.at, overview.now, self._zone())),
                    "assignee": _assignee(row.assignee),
                }
                rows.append((f"u{row.ticket_id}", cells))
        table.set_rows(rows)
        self.query_one("#upcoming-title", Static).update(
            Text(f"About to escalate · {len(overview.upcoming)}")
        )
        self._restore_cursor(table, selected)

    def _zone(self) -> ZoneInfo:
        """Instants show in desk time, the time the "about to escalate" groups go by."""
        return ZoneInfo(self.app.policy.desk.timezone)  # type: ignore[attr-defined]

    @staticmethod
    def _row_key(table: DataTable[Text]) -> str | None:
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @staticmethod
    def _restore_cursor(table: DataTable[Text], key: str | None) -> None:
        if key is not None and key in table.rows:
            table.move_cursor(row=table.get_row_index(key))
        elif table.row_count > 1 and table.cursor_row == 0:
            table.move_cursor(row=1)  # the first ticket, not its group's heading

    # -- rendering -----------------------------------------------------------------------------

    def _render_title(self) -> None:
        policy = self.app.policy  # type: ignore[attr-defined]
        title = Text.assemble(user_text(f" {policy.desk.name} ", "bold"), ("· Escalations ", ""))
        if self.overview is not None:
            unacknowledged = self.overview.unacknowledged
            title.append(
                f"· {unacknowledged} unacknowledged",
                style="bold red" if unacknowledged else "green",
            )
            title.append(f" of {len(self.overview.escalated)} escalated", style="dim")
        self.query_one("#title-bar", Static).update(title)

    def _render_status(self) -> None:
        me = self.app.operator or self.app.desk.default_operator or "—"  # type: ignore[attr-defined]
        self.query_one("#escalations-status", Static).update(
            Text.assemble(
                user_text(f" you: {me}", "bold"),
                ("   enter open · e acknowledge · a assign · tab switch list · ? keys", "dim"),
            )
        )

    # -- actions -----------------------------------------------------------------------------

    def selected_ticket(self) -> int | None:
        """The ticket under the cursor of the focused list (None on a heading)."""
        focused = self.focused
        table = focused if isinstance(focused, DataTable) else None
        if table is None:
            table = self.query_one("#escalated-table", DataTable)
        key = self._row_key(table)
        if key is None or key[0] not in "tu" or not key[1:].isdigit():
            return None
        return int(key[1:])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        ticket_id = self.selected_ticket()
        if ticket_id is not None:
            self.app.open_ticket(ticket_id)  # type: ignore[attr-defined]

    def action_acknowledge(self) -> None:
        ticket_id = self.selected_ticket()
        if ticket_id is None:
            return
        row = self.escalated.get(ticket_id)
        if row is None:
            self.notify(f"#{ticket_id} is not escalated yet.", severity="warning")
        elif row.acknowledged:
            self.notify(
                f"#{ticket_id} was acknowledged by {row.acknowledged_by}.", severity="warning"
            )
        else:
            self.acknowledge_ticket(ticket_id)

    @work(thread=True, group="escalations-act")
    def acknowledge_ticket(self, ticket_id: int) -> None:
        app = self.app
        operator = app.operator or app.desk.default_operator  # type: ignore[attr-defined]
        try:
            done = acknowledge(app.desk, ticket_id, operator)  # type: ignore[attr-defined]
        except ServiceError as exc:
            app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
        else:
            message = f"#{done.ticket_id} {done.name} acknowledged by {done.by}."
            app.call_from_thread(self.notify, message, markup=False)
        app.call_from_thread(self.reload)

    def action_assign(self) -> None:
        ticket_id = self.selected_ticket()
        if ticket_id is not None:
            row = self.escalated.get(ticket_id) or self.upcoming.get(ticket_id)
            self.pick_assignee(ticket_id, row.assignee if row else None)

    @work(thread=True, exclusive=True, group="escalations-pick")
    def pick_assignee(self, ticket_id: int, current: str | None) -> None:
        names = [operator.name for operator in self.app.desk.operators()]  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show_picker, ticket_id, names, current)

    def _show_picker(self, ticket_id: int, names: list[str], current: str | None) -> None:
        from tui_desk.tui.screens.pickers import PickerScreen

        if not names:
            self.notify("No operators yet: add one with tui-desk operator add NAME.")
            return

        def chosen(name: str | None) -> None:
            if name and name != current:
                self.assign_ticket(ticket_id, name)

        self.app.push_screen(PickerScreen(f"Assign #{ticket_id} to", names, current), chosen)

    @work(thread=True, group="escalations-act")
    def assign_ticket(self, ticket_id: int, name: str) -> None:
        app = self.app
        try:
            app.desk.set_fields(ticket_id, assignee=name)  # type: ignore[attr-defined]
        except ServiceError as exc:
            app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
        else:
            app.call_from_thread(self.notify, f"#{ticket_id} assigned to {name}.", markup=False)
        app.call_from_thread(self.reload)

    def action_reload(self) -> None:
        self.reload()
