"""The Ticket screen: clocks header, the thread, and the operator's actions on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_desk.core.policy import CLOCKS
from tui_desk.core.sla import compute_sla
from tui_desk.services import EventView, ServiceError, TicketDetail
from tui_desk.tui.widgets.clocks import clock_text

CLOCK_LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}
KIND_STYLES = {
    "customer_message": ("◀ customer", "bold cyan"),
    "reply": ("▶ reply", "bold green"),
    "note": ("✎ internal note", "bold yellow"),
}


def _local(value: datetime) -> str:
    return value.astimezone().strftime("%a %d %b %H:%M")


def _event_line(event: EventView) -> Text:
    data = event.data
    match event.kind:
        case "status" | "priority" | "assignee":
            return Text(f"{event.kind}: {data.get('from') or '—'} → {data.get('to') or '—'}")
        case "tags":
            added = " ".join(f"+{t}" for t in data.get("added", []))
            removed = " ".join(f"-{t}" for t in data.get("removed", []))
            return Text(f"tags: {added} {removed}".strip())
        case "quota":
            state = (
                "over quota" + (" (billable)" if data.get("billable") else " (no SLA)")
                if data.get("over_quota")
                else "within quota"
            )
            return Text(f"quota: plan {data.get('plan')} · {state}")
        case "due":
            return Text(f"due date for {data.get('clock')}: {data.get('due') or 'computed'}")
        case "csat":
            return Text(
                f"CSAT {data.get('score')}/5"
                + (f": {data['comment']}" if data.get("comment") else "")
            )
        case "escalation":
            return Text(f"escalation: {data.get('name')} ({data.get('clock')})")
    return Text(event.kind)


class TicketScreen(Screen[None]):
    """One ticket: who, which plan, the three clocks, and the whole thread."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "reply", "Reply", id="reply"),
        Binding("n", "note", "Note", id="note"),
        Binding("s", "status", "Status", id="status"),
        Binding("p", "priority", "Priority", id="priority"),
        Binding("j", "scroll_down", "Down", show=False, id="down"),
        Binding("k", "scroll_up", "Up", show=False, id="up"),
        Binding("g", "scroll_home", "Top", show=False, id="top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="bottom"),
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]

    def __init__(self, ticket_id: int, queue_ids: list[int]) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.queue_ids = queue_ids
        self.detail: TicketDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-header")
        yield Static(id="ticket-clocks")
        yield VerticalScroll(id="thread")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#thread").focus()
        self.load()
        self.set_interval(1.0, self.render_clocks)

    @work(thread=True, exclusive=True, group="ticket-load")
    def load(self) -> None:
        try:
            detail = self.app.desk.ticket(self.ticket_id)  # type: ignore[attr-defined]
        except ServiceError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, detail)

    def _show(self, detail: TicketDetail) -> None:
        self.detail = detail
        t = detail.ticket
        header = Text()
        header.append(f"#{t.id} ", style="bold dim")
        header.append(t.subject, style="bold")
        header.append("\n")
        who = t.contact + (f" · {t.customer}" if t.customer else "")
        header.append(f"{who} · {t.status} · {t.priority} · assignee {t.assignee or '—'}")
        if t.tags:
            header.append(" · " + " ".join(f"#{tag}" for tag in t.tags), style="magenta")
        header.append("\n")
        plan = f"plan {t.plan}" if t.plan else "no contract"
        header.append(f"{plan} · SLA {t.sla_policy or 'none'}", style="dim")
        if t.over_quota:
            header.append(" · over quota" + (" (billable)" if t.billable else ""), style="magenta")
        self.query_one("#ticket-header", Static).update(header)
        self.render_clocks()
        thread = self.query_one("#thread", VerticalScroll)
        with self.app.batch_update():
            thread.remove_children()
            thread.mount_all(self._thread_widgets(detail))

    def _thread_widgets(self, detail: TicketDetail) -> list[Static]:
        widgets = []
        for event in detail.events:
            when = _local(event.at)
            if event.kind in KIND_STYLES:
                label, style = KIND_STYLES[event.kind]
                title = Text.assemble(
                    (label, style), "  ", (event.author or "", "bold"), "  ", (when, "dim")
                )
                body = Text(event.body or "")
                widget = Static(Text.assemble(title, "\n", body), classes=f"message {event.kind}")
            else:
                widget = Static(
                    Text.assemble((when + "  ", "dim"), _event_line(event)), classes="event"
                )
            widgets.append(widget)
        return widgets

    def render_clocks(self) -> None:
        """Recompute the three clocks at now: due instants in local time and the calendar's."""
        if self.detail is None:
            return
        policy = self.app.policy  # type: ignore[attr-defined]
        sla = compute_sla(policy, self.detail.history, self.app.now())  # type: ignore[attr-defined]
        zone = None
        if sla.sla_name and sla.sla_name in policy.sla:
            zone = ZoneInfo(policy.sla_calendar(sla.sla_name).timezone)
        text = Text()
        for name in CLOCKS:
            clock = sla.clocks[name]
            text.append(f"{CLOCK_LABELS[name]:>15} ", style="bold")
            text.append_text(clock_text(clock))
            text.append(f" {clock.state}", style="dim")
            if clock.due is not None:
                text.append(f"  due {_local(clock.due)}")
                if zone is not None:
                    text.append(f" ({clock.due.astimezone(zone):%H:%M} {zone.key})", style="dim")
            text.append("\n")
        text.rstrip()
        self.query_one("#ticket-clocks", Static).update(text)

    # -- actions ---------------------------------------------------------------------------------

    @work(thread=True, group="ticket-write")
    def _perform(self, label: str, call: Callable[[], TicketDetail]) -> None:
        try:
            detail = call()
        except ServiceError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title=f"{label} failed", severity="error"
            )
            return
        self.app.call_from_thread(self._show, detail)
        self.app.call_from_thread(self.notify, label)

    def _version(self) -> int | None:
        return self.detail.ticket.version if self.detail else None

    def action_status(self) -> None:
        from tui_desk.tui.screens.pickers import PickerScreen

        if self.detail is None:
            return
        statuses = self.app.policy.statuses  # type: ignore[attr-defined]
        desk = self.app.desk  # type: ignore[attr-defined]
        version = self._version()

        def chosen(status: str | None) -> None:
            if status and self.detail and status != self.detail.ticket.status:
                self._perform(
                    f"status → {status}",
                    lambda: desk.set_fields(
                        self.ticket_id, status=status, expected_version=version
                    ),
                )

        self.app.push_screen(
            PickerScreen("Set status", list(statuses.all), self.detail.ticket.status), chosen
        )

    def action_priority(self) -> None:
        from tui_desk.tui.screens.pickers import PickerScreen

        if self.detail is None:
            return
        order = self.app.policy.priorities.order  # type: ignore[attr-defined]
        desk = self.app.desk  # type: ignore[attr-defined]
        version = self._version()

        def chosen(priority: str | None) -> None:
            if priority and self.detail and priority != self.detail.ticket.priority:
                self._perform(
                    f"priority → {priority}",
                    lambda: desk.set_fields(
                        self.ticket_id, priority=priority, expected_version=version
                    ),
                )

        self.app.push_screen(
            PickerScreen("Set priority", list(order), self.detail.ticket.priority), chosen
        )

    def _compose_message(self, kind: str) -> None:
        from tui_desk.tui.screens.composer import ComposerScreen, Draft

        if self.detail is None:
            return
        desk = self.app.desk  # type: ignore[attr-defined]
        version = self._version()
        statuses = list(self.app.policy.statuses.all)  # type: ignore[attr-defined]

        def sent(draft: Draft | None) -> None:
            if draft is None:
                return
            if kind == "reply":
                self._perform(
                    "reply sent",
                    lambda: desk.reply(
                        self.ticket_id, draft.body, draft.status, expected_version=version
                    ),
                )
            else:
                self._perform(
                    "note added",
                    lambda: desk.note(self.ticket_id, draft.body, expected_version=version),
                )

        title = (
            f"Reply to #{self.ticket_id}"
            if kind == "reply"
            else f"Internal note on #{self.ticket_id}"
        )
        self.app.push_screen(ComposerScreen(title, statuses if kind == "reply" else []), sent)

    def action_reply(self) -> None:
        self._compose_message("reply")

    def action_note(self) -> None:
        self._compose_message("note")

    def action_scroll_down(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_up()

    def action_scroll_home(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_home()

    def action_scroll_end(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_end()
