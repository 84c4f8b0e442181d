"""The Plans & quotas screen (SPEC §4.4, §8): one row per contract with its usage bar,
coloured normal / ≥ 80 % / exhausted / expired, sortable; enter shows the customer's tickets.

Keys: `o` sorts by the next column, `O` reverses, a click on a header sorts by that column
(a second click reverses); `enter` opens the customer's tickets in the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_desk.services import ContractQuota, ServiceError, quota_overview
from tui_desk.services.quota import (
    expiry_text,
    format_day,
    period_text,
    until_text,
    usage_bar,
    usage_text,
)
from tui_desk.store.lite import StoreError
from tui_desk.tui.text import user_text
from tui_desk.tui.widgets.table import Column, DeskTable

# Sized from content and width; when narrow the minor columns go first (highest drop).
COLUMNS: tuple[Column, ...] = (
    Column("customer", "Customer", least=14, flex=True),
    Column("plan", "Plan", least=5, shrink=True, drop=3),
    Column("product", "Product", least=5, shrink=True, drop=6),
    Column("period", "Period", drop=5),
    Column("used", "Used"),
    Column("remaining", "Left"),
    Column("resets", "Resets", drop=4),
    Column("over", "Over", drop=8),
    Column("billable", "Bill", drop=7),
    Column("forecast", "Runs out", drop=1),
    Column("expiry", "Contract", drop=2),
)
LEVEL_STYLES = {"normal": "", "high": "bold yellow", "exhausted": "bold red", "expired": "dim"}
_LAST = datetime.max.replace(tzinfo=UTC)


def _later_last(value: datetime | None) -> tuple[bool, datetime]:
    return value is None, value or _LAST


# How each column sorts, and which ones sort high-to-low when first chosen.
SORT_KEYS: dict[str, Callable[[ContractQuota], Any]] = {
    "customer": lambda q: (q.customer.casefold(), (q.product or "").casefold()),
    "plan": lambda q: (q.plan.casefold(), q.customer.casefold()),
    "product": lambda q: ((q.product or "").casefold(), q.customer.casefold()),
    "period": lambda q: (q.period_start, q.customer.casefold()),
    # Share used; unlimited plans below every limited one, expired contracts at the bottom.
    "used": lambda q: (q.level != "expired", -1.0 if q.share is None else q.share, q.used),
    "remaining": lambda q: (q.remaining is None, q.remaining or 0),
    "resets": lambda q: _later_last(q.resets_at),
    "over": lambda q: (q.over_quota, q.used),
    "billable": lambda q: (q.billable, q.used),
    "forecast": lambda q: _later_last(q.forecast_exhausted_at),
    "expiry": lambda q: _later_last(q.expires_at),
}
HIGH_FIRST = frozenset({"used", "over", "billable"})
RELOAD_SECONDS = 60.0  # "resets in" and forecasts move with time even when no data changes


class QuotaTable(DeskTable):
    """The contracts table: `enter` opens the customer's tickets."""

    BINDINGS = [
        *DeskTable.BINDINGS,
        Binding("enter", "select_cursor", "Customer's tickets", id="open"),
    ]


class QuotasScreen(Screen[None]):
    """Every contract's quota at a glance: who is near or over their allowance."""

    DEFAULT_CSS = """
    QuotasScreen #quotas-table {
        height: 1fr;
    }
    QuotasScreen #quotas-status {
        height: auto;  /* hints wrap at word boundaries rather than being cut */
        background: $boost;
    }
    """

    BINDINGS = [
        Binding("o", "cycle_sort", "Sort", id="sort"),
        Binding("O", "reverse_sort", "Reverse", id="sort_reverse"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.quotas: list[ContractQuota] = []
        self.rows: list[ContractQuota] = []  # in the table's order
        self.sort_column = "used"
        self.sort_reverse = True
        self.loaded_at: datetime | None = None
        self._fingerprint: tuple[int, int] | None = None
        self._next_change: datetime | None = None
        self._error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield QuotaTable(id="quotas-table", cursor_type="row", zebra_stripes=True, columns=COLUMNS)
        yield Static(id="quotas-status")
        yield Footer()

    def on_mount(self) -> None:
        self._set_columns()
        self.query_one(DataTable).focus()
        self._render_title()
        self._render_status()
        self.reload()
        if self.app.live:  # type: ignore[attr-defined]
            self.set_interval(2.0, self.check_for_changes)

    def on_screen_resume(self) -> None:
        self.reload()

    # -- loading (workers only: the UI never waits on the database) ------------------------------

    @work(thread=True, exclusive=True, group="quotas-load")
    def reload(self) -> None:
        desk = self.app.desk  # type: ignore[attr-defined]
        now: datetime = self.app.now()  # type: ignore[attr-defined]
        try:
            fingerprint = desk.data_version()
            quotas = quota_overview(desk, now)
        except (ServiceError, StoreError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, quotas, fingerprint, now)

    @work(thread=True, exclusive=True, group="quotas-watch")
    def check_for_changes(self) -> None:
        """Reload when another process wrote, when a period or contract boundary passed, or
        every RELOAD_SECONDS (the pace behind each forecast changes with time)."""
        now: datetime = self.app.now()  # type: ignore[attr-defined]
        try:
            fingerprint = self.app.desk.data_version()  # type: ignore[attr-defined]
        except StoreError:
            return  # the next look will tell; the screen keeps what it shows
        stale = self.loaded_at is None or (now - self.loaded_at).total_seconds() >= RELOAD_SECONDS
        boundary = self._next_change is not None and now >= self._next_change
        if fingerprint != self._fingerprint or stale or boundary:
            self.app.call_from_thread(self.reload)

    def _failed(self, message: str) -> None:
        self._error = message
        self._render_status()
        self.notify(message, title="Quotas not loaded", severity="error")

    def _show(
        self, quotas: list[ContractQuota], fingerprint: tuple[int, int], now: datetime
    ) -> None:
        self.quotas = quotas
        self._fingerprint = fingerprint
        self.loaded_at = now
        self._error = None
        self._next_change = _next_boundary(quotas, now)
        self._fill()
        self._render_title()
        self._render_status()

    # -- rendering -----------------------------------------------------------------------------

    def _set_columns(self) -> None:
        arrow = " ▼" if self.sort_reverse else " ▲"
        self.query_one(QuotaTable).set_layout(
            [replace(c, label=c.label + arrow) if c.key == self.sort_column else c for c in COLUMNS]
        )

    def _fill(self) -> None:
        table = self.query_one(QuotaTable)
        selected = self.selected()
        self.rows = sorted(self.quotas, key=SORT_KEYS[self.sort_column], reverse=self.sort_reverse)
        with self.app.batch_update():
            table.set_rows((str(q.contract_id), self._cells(q)) for q in self.rows)
            if selected is not None and str(selected.contract_id) in table.rows:
                table.move_cursor(row=table.get_row_index(str(selected.contract_id)))

    def _cells(self, q: ContractQuota) -> dict[str, Text]:
        now: datetime = self.loaded_at or self.app.now()  # type: ignore[attr-defined]
        tz = self.app.policy.desk.timezone  # type: ignore[attr-defined]
        level = LEVEL_STYLES.get(q.level, "")
        expired = q.level == "expired"
        row_style = "dim" if expired else ""
        expiry_style = (
            "yellow" if q.state == "expiring" else "cyan" if q.state == "upcoming" else ""
        )
        if q.level == "exhausted":
            forecast = Text("used up", style=level)
        elif q.forecast_exhausted_at is not None:
            forecast = Text(format_day(q.forecast_exhausted_at, tz, now), style="yellow")
        else:
            forecast = Text("—", style="dim")
        remaining = "∞" if q.remaining is None else str(q.remaining)

        def cell(text: str, style: str = "") -> Text:
            return Text(text, style=style or row_style, no_wrap=True, overflow="ellipsis")

        return {
            "customer": cell(q.customer, level),
            "plan": cell(q.plan),
            "product": cell(q.product or "—", "" if q.product else "dim"),
            "period": cell(period_text(q, tz, now)),
            "used": cell(f"{usage_bar(q)} {usage_text(q)}", level),
            "remaining": cell(remaining, level),
            "resets": cell(until_text(q.resets_at, now).removeprefix("in ")),
            "over": cell(str(q.over_quota), "magenta" if q.over_quota and not expired else ""),
            "billable": cell(str(q.billable), "magenta" if q.billable and not expired else ""),
            "forecast": forecast if not expired else cell("—"),
            "expiry": cell(expiry_text(q, tz, now), expiry_style),
        }

    def _render_title(self) -> None:
        policy = self.app.policy  # type: ignore[attr-defined]
        count = len(self.quotas)
        title = Text.assemble(
            user_text(f" {policy.desk.name} ", "bold"),
            ("· Plans & quotas ", ""),
            (f"· {count} contract{'s' if count != 1 else ''}", "dim"),
        )
        self.query_one("#title-bar", Static).update(title)

    def _render_status(self) -> None:
        text = Text(" ")
        selected = self.selected()
        if selected is not None:
            text.append_text(user_text(selected.customer, "bold"))
            if selected.limit is not None:
                share = f" ({selected.share:.0%})" if selected.share is not None else ""
                text.append(f": {selected.used} of {selected.limit}{share}")
            else:
                text.append(f": {selected.used}, unlimited")
            text.append(" · ")
        elif not self.quotas and self.loaded_at is not None:
            text.append("No contracts yet: tui-desk contract add CUSTOMER --plan P --start DATE · ")
        label = {c.key: c.label for c in COLUMNS}[self.sort_column]
        text.append(f"sorted by {label.lower()} {'▼' if self.sort_reverse else '▲'}", style="cyan")
        text.append(
            "   enter tickets · o sort · O reverse · yellow ≥80% · red used up · dim expired",
            style="dim",
        )
        if self._error:
            text.append_text(user_text(f"  ✗ {self._error}", "bold red"))
        self.query_one("#quotas-status", Static).update(text)

    def selected(self) -> ContractQuota | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- events & actions ---------------------------------------------------------------------

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._render_status()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open_customer()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.action_reverse_sort()
        else:
            self.sort_by(column)

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        self.sort_column = column
        self.sort_reverse = column in HIGH_FIRST if reverse is None else reverse
        self._set_columns()
        self._fill()
        self._render_status()

    def action_cycle_sort(self) -> None:
        keys = [c.key for c in COLUMNS]
        self.sort_by(keys[(keys.index(self.sort_column) + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column, not self.sort_reverse)

    def action_open_customer(self) -> None:
        selected = self.selected()
        if selected is None:
            return
        show = getattr(self.app, "show_customer_queue", None)
        if show is None:
            self.notify(f"Filter the queue with customer:{selected.customer}", timeout=4)
            return
        show(selected.customer)

    def action_reload(self) -> None:
        self.reload()


def _next_boundary(quotas: list[ContractQuota], now: datetime) -> datetime | None:
    """The next instant a row changes on its own: a reset, a start or an end."""
    instants = [
        moment
        for q in quotas
        for moment in (q.resets_at, q.expires_at, q.starts_at)
        if moment is not None and moment > now
    ]
    return min(instants, default=None)
