"""The Queue screen: saved views as tabs with counts, `/` filter, sort, multi-select and bulk
changes, a page of tickets at a time from SQL, live countdowns for the rows on screen."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, Tab, Tabs

from tui_desk.core.events import TicketHistory
from tui_desk.core.sla import TicketSla, advance_sla, compute_sla
from tui_desk.services import listing
from tui_desk.services.base import ServiceError
from tui_desk.services.listing import QUEUE_ORDERS, QueueFilter, TicketSummary
from tui_desk.services.query import apply_query
from tui_desk.tui.changes import Changes, ask_change, describe
from tui_desk.tui.text import user_text
from tui_desk.tui.widgets.clocks import clock_text
from tui_desk.tui.widgets.fields import LineInput
from tui_desk.tui.widgets.table import Column, DeskTable

MIN_PAGE = 40  # rows per SQL page at least; more load as the cursor nears either end
# Views whose size changes only when the data does (not with the passing of time).
STILL_VIEWS = frozenset({"all", "mine", "unassigned", "pending", "solved"})
VIEWS: tuple[tuple[str, str], ...] = (
    ("all", "All open"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("at_risk", "At risk"),
    ("breached", "Breached"),
    ("pending", "Pending"),
    ("solved", "Solved"),
)
# The tabs' labels when the full ones do not fit the width.
SHORT_LABELS = {"all": "Open", "unassigned": "Unasg.", "at_risk": "Risk"}
TAB_PADDING = 2  # a tab's padding, one cell each side
# Sized from content and width; when narrow, Next goes first, then Assignee, Customer…
COLUMNS: tuple[Column, ...] = (
    Column("mark", " "),
    Column("id", "#"),
    Column("priority", "Pri"),
    Column("subject", "Subject", least=16, flex=True),
    Column("customer", "Customer", least=8, shrink=True, drop=3),
    Column("channel", "Via", least=5, shrink=True, drop=2),
    Column("status", "Status", least=6, shrink=True, drop=1),
    Column("assignee", "Assignee", least=6, shrink=True, drop=4),
    Column("first_response", "First"),
    Column("next_response", "Next", drop=5),
    Column("resolution", "Resolve"),
    Column("escalation", "Esc"),
)
COUNTS_MAX_AGE = 30.0  # seconds
CLOCK_COLUMNS = ("first_response", "next_response", "resolution")
COLUMN_ORDERS = {"priority": "priority", "status": "status", "assignee": "assignee", "id": "newest"}
PRIORITY_STYLES = ("bold red", "yellow", "", "dim")


class QueueTable(DeskTable):
    """The queue's table: `enter` opens the ticket under the cursor; `g` and `G` go to the
    first and last ticket of the whole view, not only of the rows loaded."""

    BINDINGS = [*DeskTable.BINDINGS, Binding("enter", "select_cursor", "Open", id="open")]

    class EndWanted(Message):
        """The operator asked for the first (`last` false) or last row of the view."""

        def __init__(self, last: bool) -> None:
            super().__init__()
            self.last = last

    def action_scroll_top(self) -> None:
        self.post_message(self.EndWanted(last=False))  # the screen knows where the view ends

    def action_scroll_bottom(self) -> None:
        self.post_message(self.EndWanted(last=True))


def count_text(count: int) -> str:
    """A count that fits a tab and stays true: 314, 1.2k (1 200–1 299), 12k, 1.2M."""
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if count >= size:
            whole, part = divmod(count * 10 // size, 10)
            return f"{whole}.{part}{unit}" if whole < 10 and part else f"{whole}{unit}"
    return str(count)


def tab_labels(counts: dict[str, int], width: int) -> dict[str, str]:
    """The tabs' labels for `width` cells: full labels and exact counts when they fit,
    else shorter labels, else abbreviated counts too. A count is never cut."""
    tiers = (
        (dict(VIEWS), str),
        ({**dict(VIEWS), **SHORT_LABELS}, str),
        ({**dict(VIEWS), **SHORT_LABELS}, count_text),
    )
    labels: dict[str, str] = {}
    for names, number in tiers:
        labels = {key: f"{names[key]} {number(counts[key])}" for key, _ in VIEWS}
        if sum(len(label) + TAB_PADDING for label in labels.values()) <= width:
            break
    return labels


class QueueScreen(Screen[None]):
    """One row per ticket, ordered by next deadline, priority, then age (SPEC §3.5)."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("space,x", "mark", "Mark", show=False, id="mark"),
        Binding("s", "bulk('status')", "Status", id="status"),
        Binding("a", "bulk('assignee')", "Assign", id="assign"),
        Binding("t", "bulk('tags')", "Tags", show=False, id="tags"),
        Binding("p", "bulk('priority')", "Priority", show=False, id="priority"),
        Binding("o", "cycle_order", "Sort", show=False, id="sort"),
        Binding("right_square_bracket,tab", "next_view", "Next view", show=False, id="next_view"),
        Binding(
            "left_square_bracket,shift+tab",
            "previous_view",
            "Prev view",
            show=False,
            id="previous_view",
        ),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
        Binding("escape", "clear", "Clear", show=False, id="clear"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "all"
        self.query_text = ""
        self.order = "deadline"
        self.rows: list[TicketSummary] = []
        self.histories: dict[int, TicketHistory] = {}
        # Each row's last clocks, as (policy, at, clocks): the next tick advances them.
        self._clocks: dict[int, tuple[Any, datetime, TicketSla]] = {}
        self.marked: set[int] = set()
        self.total = 0
        self._fingerprint: tuple[int, int] | None = None
        self._loading_more = False
        self._error: str | None = None
        self.first = 0  # the position in the view of rows[0]: the rows are a window on it
        self._counted: tuple[int, int] | None = None
        self._counted_at = 0.0
        # The tabs' last counts and the data version they were counted at: a view without
        # a filter takes its "of M" from them instead of counting again.
        self._counts: tuple[tuple[int, int], dict[str, int]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Tabs(*(Tab(label, id=f"view-{key}") for key, label in VIEWS), id="views")
        yield QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True, columns=COLUMNS)
        yield Static(id="queue-empty")
        yield LineInput(
            placeholder="status:open tag:billing priority:high customer:acme -assignee:me words",
            id="filter",
        )
        yield Static(id="queue-error")
        yield Static(id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#queue-empty").display = False
        self.query_one("#queue-error").display = False
        self.query_one(DataTable).focus()
        self._render_title()
        self.reload()
        self.set_interval(1.0, self.tick)
        if self.app.live:  # type: ignore[attr-defined]
            self.set_interval(2.0, self.check_for_changes)

    # -- what to show ----------------------------------------------------------------------------

    def view_filter(self, view: str) -> QueueFilter:
        now: datetime = self.app.now()  # type: ignore[attr-defined]
        me = self.app.operator  # type: ignore[attr-defined]
        base = QueueFilter()
        match view:
            case "mine":
                return replace(base, assignees=(me,)) if me else replace(base, ticket_ids=(-1,))
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

    @property
    def page_size(self) -> int:
        """A screenful and a little more: every row added costs a measurement of its cells,
        so a page is sized to the terminal, not to the store."""
        return max(MIN_PAGE, self.app.size.height + 10)

    def current_filter(self, text: str | None = None) -> QueueFilter:
        """The view's filter narrowed by the query (`text`, else the one applied); in a
        worker, as it checks the names the query uses against the store."""
        text = self.query_text if text is None else text
        base = self.view_filter(self.view)
        if not text.strip():
            return base
        app = self.app
        return apply_query(base, text, app.policy, app.operator, app.reader)  # type: ignore[attr-defined]

    # -- loading (workers only: the UI never waits on the database) ---------------------------------

    def refresh_rows(self) -> None:
        """Load the rows shown again (the data changed), keeping the window and cursor."""
        self.reload(start=self.first, size=len(self.rows))

    @work(thread=True, exclusive=True, group="queue-load")
    def reload(
        self, text: str | None = None, start: int = 0, size: int = 0, end: str | None = None
    ) -> None:
        """Load a page of the view from position `start` (at least `size` rows), or with
        `end` ("first", "last") that end's page with the cursor on it. With `text`, a filter typed in the box, which becomes the
        queue's filter only if it is valid (else the box stays open with the reason)."""
        desk = self.app.reader  # type: ignore[attr-defined]
        try:
            flt = self.current_filter(text)
        except ServiceError as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        if text is not None:
            self.app.call_from_thread(self._filter_accepted, text.strip())
        counts = self._counts
        known = None  # the view's size from the tabs' counts, when they can tell it
        if counts is not None and not self.query_text.strip() and self.view in STILL_VIEWS:
            known = counts[1].get(self.view)
        limit = max(self.page_size, size)
        if end == "last":  # `G`: the view's last page, not every page before it
            known = listing.queue_count(desk, flt)
            start = max(0, known - limit)
        page = listing.queue_page(
            desk, flt, limit=limit, offset=start, order=self.order, count=known is None
        )
        rows, histories, total, fingerprint = page.rows, page.histories, page.total, page.version
        if total is None:
            assert known is not None
            fresh = end == "last" or (counts is not None and counts[0] == fingerprint)
            total = known if fresh else listing.queue_count(desk, flt)
        # The tabs' counts do not depend on the view shown: count again when the data
        # changed, or every half minute as tickets cross into "at risk" and "breached";
        # after the rows are painted, so that the page shows first.
        stamp = time.monotonic()
        recount = fingerprint != self._counted or stamp - self._counted_at > COUNTS_MAX_AGE
        if recount:
            self._counted, self._counted_at = fingerprint, stamp
        self.app.call_from_thread(
            self._show_rows, rows, histories, total, fingerprint, recount, start, end
        )

    @work(thread=True, exclusive=True, group="queue-counts")
    def count_views(self) -> None:
        """The tabs' counts, after the page is on screen."""
        filters = {key: self.view_filter(key) for key, _ in VIEWS}
        version, counts = listing.versioned_counts(self.app.reader, filters)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show_counts, counts, version)

    def _show_counts(self, counts: dict[str, int], version: tuple[int, int]) -> None:
        self._counts = (version, counts)
        self._label_tabs()

    def _label_tabs(self) -> None:
        if self._counts is None:
            return
        labels = tab_labels(self._counts[1], self.size.width or self.app.size.width)
        for key, label in labels.items():
            self.query_one(f"#view-{key}", Tab).label = label

    @work(thread=True, exclusive=True, group="queue-more")
    def load_more(self, before: bool = False) -> None:
        """The page after the rows loaded, or the one before them."""
        desk = self.app.reader  # type: ignore[attr-defined]
        window = (self.first, len(self.rows))  # a page for these rows, not for a newer window
        start = max(0, window[0] - self.page_size) if before else sum(window)
        limit = window[0] - start if before else self.page_size
        page = listing.queue_page(
            desk, self.current_filter(), limit=limit, offset=start, order=self.order, count=False
        )
        self.app.call_from_thread(
            self._add_page, page.rows, page.histories, window, start if before else None
        )

    @work(thread=True, exclusive=True, group="queue-watch")
    def check_for_changes(self) -> None:
        fingerprint = listing.data_version(self.app.reader)  # type: ignore[attr-defined]
        if fingerprint != self._fingerprint:
            self.app.call_from_thread(self.refresh_rows)
        elif time.monotonic() - self._counted_at > COUNTS_MAX_AGE:
            self._counted_at = time.monotonic()
            self.app.call_from_thread(self.count_views)

    def _show_rows(
        self,
        rows: list[TicketSummary],
        histories: dict[int, TicketHistory],
        total: int,
        fingerprint: tuple[int, int],
        recount: bool = False,
        first: int = 0,
        end: str | None = None,
    ) -> None:
        table = self.query_one(QueueTable)
        selected = None if end else self._selected_id()
        self.rows, self.histories, self.total = rows, histories, total
        self.first = first
        self._clocks = {}
        self._fingerprint = fingerprint
        self._show_error(None)
        with self.app.batch_update():
            table.set_rows((str(ticket.id), self._cells(ticket)) for ticket in rows)
            if selected is not None and str(selected) in table.rows:
                table.move_cursor(row=table.get_row_index(str(selected)), animate=False)
            elif end == "last" and rows:
                table.move_cursor(row=len(rows) - 1, animate=False)
        self._render_empty()
        self._render_status()
        if recount:
            self.call_after_refresh(self.count_views)
        self.call_after_refresh(self.app.open_desk_soon)  # type: ignore[attr-defined]

    def _add_page(
        self,
        rows: list[TicketSummary],
        histories: dict[int, TicketHistory],
        window: tuple[int, int],
        first: int | None = None,
    ) -> None:
        """A page next to the rows shown: after them, or before them when `first` (the
        view position it starts at) is given; the cursor stays on its ticket. A page read
        for rows that were reloaded meanwhile is dropped."""
        self._loading_more = False
        if window != (self.first, len(self.rows)):
            return
        table = self.query_one(QueueTable)
        self.histories.update(histories)
        for ticket_id in histories:
            self._clocks.pop(ticket_id, None)
        known = {r.id for r in self.rows}
        new = [ticket for ticket in rows if ticket.id not in known]
        with self.app.batch_update():
            if first is None:
                self.rows.extend(new)
                table.add_cell_rows((str(ticket.id), self._cells(ticket)) for ticket in new)
            else:
                cursor = table.cursor_row + len(new)
                self.rows, self.first = new + self.rows, first
                table.set_rows((str(ticket.id), self._cells(ticket)) for ticket in self.rows)
                table.move_cursor(row=cursor, animate=False)
        self._render_status()

    def _show_error(self, message: str | None) -> None:
        """A mistake in the filter, wrapped at word boundaries under the table."""
        self._error = message
        box = self.query_one("#queue-error", Static)
        box.display = message is not None
        box.update(user_text(f"✗ {message}", "bold red") if message else "")

    def _render_empty(self) -> None:
        """An empty view says why, in the table's place."""
        empty = not self.rows
        self.query_one("#queue-empty").display = empty
        self.query_one(QueueTable).display = not empty
        if not empty:
            return
        view = dict(VIEWS)[self.view]
        if self._fingerprint == (0, 0):
            line = "An empty desk: add tickets with `tui-desk ticket new`, or try `tui-desk demo`."
        elif self.query_text:
            line = f"No tickets in {view} match {self.query_text}."
            line += "  esc clears the filter."
        elif self.view == "mine" and not self.app.operator:  # type: ignore[attr-defined]
            line = "Mine: pick who you are first (ctrl+p, Who am I)."
        else:
            line = f"No tickets in {view}."
        self.query_one("#queue-empty", Static).update(user_text(line))

    # -- rendering ---------------------------------------------------------------------------------

    def _cells(self, ticket: TicketSummary) -> dict[str, Text]:
        policy = self.app.policy  # type: ignore[attr-defined]
        rank = policy.priorities.rank(ticket.priority)
        style = PRIORITY_STYLES[min(rank, len(PRIORITY_STYLES) - 1)]
        subject = Text(ticket.subject, no_wrap=True, overflow="ellipsis")
        if ticket.over_quota:
            subject = Text.assemble(("◆ ", "magenta"), subject, no_wrap=True, overflow="ellipsis")
        level = Text("")
        if ticket.escalation_level:
            level = Text(f"L{ticket.escalation_level}", style="bold red")
        assignee_style = "" if ticket.assignee else "dim"
        cells: dict[str, Text] = {
            "mark": Text("●" if ticket.id in self.marked else " ", style="bold magenta"),
            "id": Text(str(ticket.id), style="dim"),
            "priority": Text(ticket.priority, style=style),
            "subject": subject,
            "customer": Text(ticket.customer or "—", no_wrap=True, overflow="ellipsis"),
            "channel": Text(ticket.channel, style="dim", no_wrap=True, overflow="ellipsis"),
            "status": Text(ticket.status, no_wrap=True, overflow="ellipsis"),
            "assignee": Text(
                ticket.assignee or "—", style=assignee_style, no_wrap=True, overflow="ellipsis"
            ),
            **dict(zip(CLOCK_COLUMNS, self._clock_cells(ticket.id), strict=True)),
            "escalation": level,
        }
        return cells

    def _clock_cells(self, ticket_id: int) -> list[Text]:
        history = self.histories.get(ticket_id)
        if history is None:
            return [Text("…", style="dim")] * len(CLOCK_COLUMNS)
        policy, now = self.app.policy, self.app.now()  # type: ignore[attr-defined]
        last = self._clocks.get(ticket_id)
        if last is not None and last[0] is policy:
            sla = advance_sla(policy, history, last[2], last[1], now)
        else:
            sla = compute_sla(policy, history, now)
        self._clocks[ticket_id] = (policy, now, sla)
        return [clock_text(sla.clocks[name]) for name in CLOCK_COLUMNS]

    def tick(self) -> None:
        """Re-render the countdowns of the rows on screen only."""
        table = self.query_one(QueueTable)
        if not self.rows:
            return
        first = max(0, int(table.scroll_y))
        visible = self.rows[first : first + table.size.height + 1]
        with self.app.batch_update():
            for ticket in visible:
                if ticket.id in self.histories:
                    cells = zip(CLOCK_COLUMNS, self._clock_cells(ticket.id), strict=True)
                    table.update_cells(str(ticket.id), dict(cells))

    def on_resize(self) -> None:
        self._label_tabs()

    def _render_title(self) -> None:
        policy = self.app.policy  # type: ignore[attr-defined]
        me = self.app.operator or "—"  # type: ignore[attr-defined]
        title = Text.assemble(
            user_text(f" {policy.desk.name} ", "bold"), "· Queue ", user_text(f"· you: {me}", "dim")
        )
        self.query_one("#title-bar", Static).update(title, layout=False)  # one fixed line

    def _render_status(self) -> None:
        table = self.query_one(QueueTable)
        position = self.first + table.cursor_row + 1 if self.rows else 0
        text = Text.assemble(
            (f" {dict(VIEWS)[self.view]}: ", "bold"), f"{position} of {self.total}"
        )
        if self.order != "deadline":
            text.append(f" · sorted by {self.order}", style="cyan")
        if self.marked:
            text.append(f" · {len(self.marked)} marked", style="bold magenta")
        if self.query_text:
            text.append(" · filter: ", style="dim")
            text.append_text(user_text(self.query_text, "cyan"))
        self.query_one("#queue-status", Static).update(text, layout=False)  # one fixed line

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].id

    def on_operator_changed(self) -> None:
        self._render_title()
        self._counted = self._counts = None  # "Mine" means someone else now
        self.reload()

    # -- events & actions ------------------------------------------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        view = (event.tab.id or "view-all").removeprefix("view-")
        if view != self.view:
            self.view = view
            self.reload()

    def show_view(self, view: str) -> None:
        self.query_one(Tabs).active = f"view-{view}"

    def on_queue_table_end_wanted(self, event: QueueTable.EndWanted) -> None:
        """`g`/`G`: to that end of the view, loading its page when the rows do not hold it."""
        table = self.query_one(QueueTable)
        if event.last and self.first + len(self.rows) < self.total:
            self.reload(end="last")
        elif not event.last and self.first > 0:
            self.reload(end="first")
        elif self.rows:
            table.move_cursor(row=len(self.rows) - 1 if event.last else 0, animate=False)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._render_status()
        if self._loading_more:
            return
        row = self.query_one(QueueTable).cursor_row  # where it is now, not where it was
        if row >= len(self.rows) - 5 and self.first + len(self.rows) < self.total:
            self._loading_more = True
            self.load_more()
        elif row < 5 and self.first > 0:
            self._loading_more = True
            self.load_more(before=True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.order = COLUMN_ORDERS.get(key, "deadline")
        self.reload()

    def on_screen_resume(self) -> None:
        if self._fingerprint is not None:
            self.refresh_rows()

    def apply_filter(self, text: str) -> None:
        self.query_text = text
        self.query_one("#filter", Input).value = text
        self.reload()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.query_text
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.reload(event.value)  # a mistake keeps the box open with the text, says what

    def _filter_accepted(self, text: str) -> None:
        self.query_text = text
        self.query_one("#filter", Input).display = False
        self.query_one(QueueTable).focus()

    def action_clear(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self._show_error(None)
            self.query_one(QueueTable).focus()
        elif self.marked:
            self.marked.clear()
            self.refresh_rows()
        elif self.query_text:
            self.apply_filter("")
        self._render_status()

    def action_open(self) -> None:
        selected = self._selected_id()
        if selected is not None:
            self.app.open_ticket(selected, [r.id for r in self.rows])  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.refresh_rows()

    def action_next_view(self) -> None:
        self.query_one(Tabs).action_next_tab()

    def action_previous_view(self) -> None:
        self.query_one(Tabs).action_previous_tab()

    def action_cycle_order(self) -> None:
        names = list(QUEUE_ORDERS)
        self.order = names[(names.index(self.order) + 1) % len(names)]
        self.notify(f"Sorted by {self.order}", timeout=2)
        self.reload()

    def action_mark(self) -> None:
        selected = self._selected_id()
        if selected is None:
            return
        self.marked.symmetric_difference_update({selected})
        table = self.query_one(QueueTable)
        mark = Text("●" if selected in self.marked else " ", style="bold magenta")
        table.update_cells(str(selected), {"mark": mark})
        table.action_cursor_down()
        self._render_status()

    def _targets(self) -> list[TicketSummary]:
        if self.marked:
            return [r for r in self.rows if r.id in self.marked]
        return [r for r in self.rows if r.id == self._selected_id()]

    def action_bulk(self, kind: str) -> None:
        """Change the marked tickets (or the one under the cursor)."""
        targets = self._targets()
        if not targets:
            return
        current = getattr(targets[0], kind) if len(targets) == 1 and kind != "tags" else None
        what = f"{len(targets)} tickets" if len(targets) > 1 else f"#{targets[0].id}"
        ask_change(
            self.app, kind, current, lambda changes: self._apply(targets, changes), what=what
        )

    @work(thread=True, group="queue-write")
    def _apply(self, targets: list[TicketSummary], changes: Changes) -> None:
        from tui_desk.services.merge import merge_many

        desk = self.app.desk  # type: ignore[attr-defined]
        seen = [(t.id, t.version) for t in targets]
        into = changes.get("merge_into")
        result = (
            merge_many(desk, seen, into) if into is not None else desk.set_many(seen, **changes)
        )
        self.app.call_from_thread(self._applied, changes, result)

    def _applied(self, changes: Changes, result: Any) -> None:
        if result.changed:
            self.notify(f"{describe(changes)}: {len(result.changed)} ticket(s)")
        for ticket_id, message in result.failed:
            self.notify(f"#{ticket_id}: {message}", severity="error", timeout=8)
        self.marked.difference_update(result.changed)
        self.refresh_rows()
