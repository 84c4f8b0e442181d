"""The Queue screen: saved views as tabs, a page of tickets from SQL, live countdowns."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, Tab, Tabs

from tui_desk.core.events import TicketHistory
from tui_desk.core.sla import compute_sla
from tui_desk.services import QueueFilter, TicketSummary
from tui_desk.tui.widgets.clocks import clock_text

PAGE_SIZE = 200
VIEWS: tuple[tuple[str, str], ...] = (
    ("all", "All open"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("at_risk", "At risk"),
    ("breached", "Breached"),
    ("pending", "Pending"),
    ("solved", "Solved"),
)
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("id", "#", 6),
    ("priority", "Pri", 7),
    ("subject", "Subject", None),
    ("customer", "Customer", 16),
    ("status", "Status", 8),
    ("assignee", "Assignee", 8),
    ("first_response", "First", 8),
    ("next_response", "Next", 8),
    ("resolution", "Resolve", 8),
    ("escalation", "Esc", 4),
)
CLOCK_COLUMNS = ("first_response", "next_response", "resolution")
PRIORITY_STYLES = ("bold red", "yellow", "", "dim")


class QueueScreen(Screen[None]):
    """One row per ticket, ordered by next deadline, priority, then age (SPEC §3.5)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
        Binding("g", "top", "Top", show=False, id="top"),
        Binding("G", "bottom", "Bottom", show=False, id="bottom"),
        Binding("enter", "open", "Open", id="open", priority=True),
        Binding("right_square_bracket,tab", "next_view", "Next view", show=False, id="next_view"),
        Binding(
            "left_square_bracket,shift+tab",
            "previous_view",
            "Prev view",
            show=False,
            id="previous_view",
        ),
        Binding("r", "reload", "Reload", show=False, id="reload"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "all"
        self.rows: list[TicketSummary] = []
        self.histories: dict[int, TicketHistory] = {}
        self.total = 0
        self._fingerprint: tuple[int, int] | None = None
        self._loading_more = False

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Tabs(*(Tab(label, id=f"view-{key}") for key, label in VIEWS), id="views")
        table: DataTable[Text | str] = DataTable(
            id="queue-table", cursor_type="row", zebra_stripes=True
        )
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static(id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._render_title()
        self.reload()
        self.set_interval(1.0, self.tick)
        if self.app.live:  # type: ignore[attr-defined]
            self.set_interval(2.0, self.check_for_changes)

    # -- data ----------------------------------------------------------------------------------

    def queue_filter(self) -> QueueFilter:
        now: datetime = self.app.now()  # type: ignore[attr-defined]
        me = self.app.operator or self.app.desk.default_operator  # type: ignore[attr-defined]
        base = QueueFilter()
        match self.view:
            case "mine":
                return replace(base, assignees=(me,))
            case "unassigned":
                return replace(base, assignees=(None,))
            case "at_risk":
                return replace(base, warning_before=now, deadline_after=now)
            case "breached":
                return replace(base, deadline_before=now)
            case "pending":
                return replace(base, categories=("paused",))
            case "solved":
                return replace(base, categories=("solved",))
        return base

    @work(thread=True, exclusive=True, group="queue-load")
    def reload(self) -> None:
        desk = self.app.desk  # type: ignore[attr-defined]
        flt = self.queue_filter()
        fingerprint = desk.data_version()
        rows = desk.queue(flt, limit=PAGE_SIZE)
        total = desk.queue_count(flt)
        histories = desk.histories([r.id for r in rows])
        self.app.call_from_thread(self._show_rows, rows, histories, total, fingerprint)

    @work(thread=True, exclusive=True, group="queue-more")
    def load_more(self) -> None:
        desk = self.app.desk  # type: ignore[attr-defined]
        rows = desk.queue(self.queue_filter(), limit=PAGE_SIZE, offset=len(self.rows))
        histories = desk.histories([r.id for r in rows])
        self.app.call_from_thread(self._append_rows, rows, histories)

    @work(thread=True, exclusive=True, group="queue-watch")
    def check_for_changes(self) -> None:
        fingerprint = self.app.desk.data_version()  # type: ignore[attr-defined]
        if fingerprint != self._fingerprint:
            self.app.call_from_thread(self.reload)

    def _show_rows(
        self,
        rows: list[TicketSummary],
        histories: dict[int, TicketHistory],
        total: int,
        fingerprint: tuple[int, int],
    ) -> None:
        table = self.query_one(DataTable)
        selected = self._selected_id()
        self.rows, self.histories, self.total = rows, histories, total
        self._fingerprint = fingerprint
        with self.app.batch_update():
            table.clear()
            for ticket in rows:
                table.add_row(*self._cells(ticket), key=str(ticket.id))
            if selected is not None and str(selected) in table.rows:
                table.move_cursor(row=table.get_row_index(str(selected)))
        self._render_status()

    def _append_rows(self, rows: list[TicketSummary], histories: dict[int, TicketHistory]) -> None:
        table = self.query_one(DataTable)
        self.histories.update(histories)
        known = {r.id for r in self.rows}
        for ticket in rows:
            if ticket.id not in known:
                self.rows.append(ticket)
                table.add_row(*self._cells(ticket), key=str(ticket.id))
        self._loading_more = False
        self._render_status()

    # -- rendering -----------------------------------------------------------------------------

    def _cells(self, ticket: TicketSummary) -> list[Text | str]:
        policy = self.app.policy  # type: ignore[attr-defined]
        rank = policy.priorities.rank(ticket.priority)
        style = PRIORITY_STYLES[min(rank, len(PRIORITY_STYLES) - 1)]
        subject = Text(ticket.subject, no_wrap=True, overflow="ellipsis")
        if ticket.over_quota:
            subject = Text.assemble(("◆ ", "magenta"), subject)
        clocks = self._clock_cells(ticket.id)
        level = (
            Text(f"L{ticket.escalation_level}", style="bold red")
            if ticket.escalation_level
            else Text("")
        )
        return [
            Text(str(ticket.id), style="dim"),
            Text(ticket.priority, style=style),
            subject,
            Text(ticket.customer or "—", no_wrap=True, overflow="ellipsis"),
            Text(ticket.status),
            Text(ticket.assignee or "—", style="" if ticket.assignee else "dim"),
            *clocks,
            level,
        ]

    def _clock_cells(self, ticket_id: int) -> list[Text]:
        history = self.histories.get(ticket_id)
        if history is None:
            return [Text("…", style="dim")] * len(CLOCK_COLUMNS)
        sla = compute_sla(self.app.policy, history, self.app.now())  # type: ignore[attr-defined]
        return [clock_text(sla.clocks[name]) for name in CLOCK_COLUMNS]

    def tick(self) -> None:
        """Re-render the countdowns of the rows on screen only."""
        table = self.query_one(DataTable)
        if not self.rows:
            return
        first = max(0, int(table.scroll_y))
        last = min(len(self.rows), first + table.size.height + 1)
        with self.app.batch_update():
            for ticket in self.rows[first:last]:
                for name, cell in zip(CLOCK_COLUMNS, self._clock_cells(ticket.id), strict=True):
                    table.update_cell(str(ticket.id), name, cell)

    def _render_title(self) -> None:
        policy = self.app.policy  # type: ignore[attr-defined]
        me = self.app.operator or self.app.desk.default_operator or "—"  # type: ignore[attr-defined]
        title = Text.assemble(
            (f" {policy.desk.name} ", "bold"), ("· Queue ", ""), (f"· you: {me}", "dim")
        )
        self.query_one("#title-bar", Static).update(title)

    def _render_status(self) -> None:
        table = self.query_one(DataTable)
        position = table.cursor_row + 1 if self.rows else 0
        label = dict(VIEWS)[self.view]
        text = Text.assemble(
            (f" {label}: ", "bold"),
            f"{position} of {self.total}",
            ("   enter open · ? keys · tab next view", "dim"),
        )
        self.query_one("#queue-status", Static).update(text)

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].id

    # -- events & actions -------------------------------------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        view = (event.tab.id or "view-all").removeprefix("view-")
        if view != self.view:
            self.view = view
            self.reload()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._render_status()
        if (
            not self._loading_more
            and event.cursor_row >= len(self.rows) - 5
            and len(self.rows) < self.total
        ):
            self._loading_more = True
            self.load_more()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_screen_resume(self) -> None:
        self.reload()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_top(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_bottom(self) -> None:
        self.query_one(DataTable).move_cursor(row=max(0, len(self.rows) - 1))

    def action_open(self) -> None:
        selected = self._selected_id()
        if selected is not None:
            self.app.open_ticket(selected, [r.id for r in self.rows])  # type: ignore[attr-defined]

    def action_next_view(self) -> None:
        self.query_one(Tabs).action_next_tab()

    def action_previous_view(self) -> None:
        self.query_one(Tabs).action_previous_tab()
