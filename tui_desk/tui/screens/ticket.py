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
from tui_desk.tui.changes import Changes, ask_change, describe
from tui_desk.tui.screens.composer import ComposerScreen, Draft
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
            clock = str(data.get("clock") or "").replace("_", " ")
            if data.get("notification") == "failed":
                return Text(f"escalation {data.get('name')}: notification failed", style="red")
            if data.get("reached") is False:
                return Text(f"de-escalated from {data.get('name')} ({clock} met or ticket closed)")
            return Text(f"escalated to {data.get('name')} ({clock})", style="bold red")
        case "escalation_ack":
            return Text(f"escalation acknowledged by {event.author or '—'}")
    return Text(event.kind)


class TicketScreen(Screen[None]):
    """One ticket: who, which plan, the three clocks, and the whole thread."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "reply", "Reply", id="reply"),
        Binding("n", "note", "Note", id="note"),
        Binding("s", "status", "Status", id="status"),
        Binding("p", "priority", "Priority", id="priority"),
        Binding("a", "assign", "Assign", id="assign"),
        Binding("t", "tags", "Tags", show=False, id="tags"),
        Binding("c", "csat", "CSAT", show=False, id="csat"),
        Binding("right_square_bracket", "next_ticket", "Next", show=False, id="next_ticket"),
        Binding("left_square_bracket", "previous_ticket", "Prev", show=False, id="previous_ticket"),
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
        self.last_draft: tuple[str, Draft] | None = None
        self.quota_text: str | None = None
        self._fingerprint: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-header")
        yield Static(id="ticket-clocks")
        yield VerticalScroll(id="thread")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#thread").focus()
        self.load()
        self.set_interval(1.0, self.render_clocks)
        if self.app.live:  # type: ignore[attr-defined]
            self.set_interval(2.0, self.check_for_changes)

    @work(thread=True, exclusive=True, group="ticket-watch")
    def check_for_changes(self) -> None:
        """Another operator's reply or change appears here within 2 s (SPEC §8)."""
        fingerprint = self.app.desk.data_version()  # type: ignore[attr-defined]
        if self._fingerprint is None:
            self._fingerprint = fingerprint
        elif fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="ticket-load")
    def load(self) -> None:
        from tui_desk.services import quota_line

        desk = self.app.desk  # type: ignore[attr-defined]
        try:
            detail = desk.ticket(self.ticket_id)
        except ServiceError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        quota = quota_line(desk, detail.ticket, self.app.now())  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, detail, quota)

    # -- rendering ---------------------------------------------------------------------------------

    def _show(
        self, detail: TicketDetail, quota: str | None = None, *, to_end: bool = False
    ) -> None:
        """Show the ticket; `to_end` scrolls the thread to its last entry (what was just
        written)."""
        self.detail = detail
        if quota is not None or detail.ticket.contract_id is None:
            self.quota_text = quota
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
        header.append_text(self._plan_line(detail))
        self.query_one("#ticket-header", Static).update(header)
        self.render_clocks()
        self.call_later(self._fill_thread, detail, to_end)

    async def _fill_thread(self, detail: TicketDetail, to_end: bool) -> None:
        thread = self.query_one("#thread", VerticalScroll)
        with self.app.batch_update():
            await thread.remove_children()
            await thread.mount_all(self._thread_widgets(detail))
        if to_end:
            thread.scroll_end(animate=False)  # once laid out, so the end is the new one

    def _plan_line(self, detail: TicketDetail) -> Text:
        t = detail.ticket
        line = Text(self.quota_text or (f"plan {t.plan}" if t.plan else "no contract"), style="dim")
        line.append(f" · SLA {t.sla_policy or 'none'}", style="dim")
        if t.over_quota:
            line.append(" · over quota" + (" (billable)" if t.billable else ""), style="magenta")
        return line

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
                line = Text.assemble((when + "  ", "dim"), _event_line(event))
                widget = Static(line, classes="event")
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
            text.append(f"{CLOCK_LABELS[name]:>14} ", style="bold")
            cell = clock_text(clock)
            cell.pad_right(9 - cell.cell_len)
            text.append_text(cell)
            text.append(f"{clock.state:9}", style="dim")
            if clock.due is not None:
                text.append(f"due {_local(clock.due)}")
                if zone is not None:  # the SLA calendar's own wall clock, e.g. "10:37 Berlin"
                    city = zone.key.rpartition("/")[2].replace("_", " ")
                    text.append(f" ({clock.due.astimezone(zone):%H:%M} {city})", style="dim")
            text.append("\n")
        text.rstrip()
        self.query_one("#ticket-clocks", Static).update(text)

    # -- doing things ------------------------------------------------------------------------------

    @work(thread=True, group="ticket-write")
    def _perform(
        self,
        label: str,
        call: Callable[[], TicketDetail],
        *,
        advance: bool = False,
        draft: tuple[str, Draft] | None = None,
    ) -> None:
        """Run a change in a worker; on failure say why and keep the draft for a retry."""
        try:
            detail = call()
        except ServiceError as exc:
            self.app.call_from_thread(self._failed, label, str(exc), draft)
            return
        self.app.call_from_thread(self._done, label, detail, advance)

    def _failed(self, label: str, message: str, draft: tuple[str, Draft] | None) -> None:
        self.notify(message, title=f"{label}: not done", severity="error", timeout=10)
        if draft is not None:
            self.last_draft = draft  # `r` / `n` reopens the composer with this text
        self.load()

    def _done(self, label: str, detail: TicketDetail, advance: bool) -> None:
        """Say what was done to which ticket, then move on (act-then-advance) or show the
        ticket at what was just written."""
        self.last_draft = None
        target = self._neighbour(1)
        if advance and self.app.advance and target is not None:  # type: ignore[attr-defined]
            self.notify(f"#{self.ticket_id} {label} — now on #{target}", timeout=5, markup=False)
            self.action_next_ticket()
            return
        self.notify(f"#{self.ticket_id} {label}", timeout=3, markup=False)
        self._show(detail, to_end=True)

    def _version(self) -> int | None:
        return self.detail.ticket.version if self.detail else None

    def _change(self, kind: str) -> None:
        if self.detail is None:
            return
        desk = self.app.desk  # type: ignore[attr-defined]
        version = self._version()
        current = None if kind == "tags" else getattr(self.detail.ticket, kind)

        def apply(changes: Changes) -> None:
            self._perform(
                describe(changes),
                lambda: desk.set_fields(self.ticket_id, expected_version=version, **changes),
                advance=True,
            )

        ask_change(self.app, kind, current, apply, what=f"#{self.ticket_id}")

    def action_status(self) -> None:
        self._change("status")

    def action_priority(self) -> None:
        self._change("priority")

    def action_assign(self) -> None:
        self._change("assignee")

    def action_tags(self) -> None:
        self._change("tags")

    def action_csat(self) -> None:
        """Record the customer's satisfaction score (e.g. given on a call)."""
        from tui_desk.tui.screens.pickers import PickerScreen

        desk = self.app.desk  # type: ignore[attr-defined]
        labels = {
            "5 — very satisfied": 5,
            "4 — satisfied": 4,
            "3 — neutral": 3,
            "2 — dissatisfied": 2,
            "1 — very dissatisfied": 1,
        }

        def chosen(label: str | None) -> None:
            if label:
                score = labels[label]
                self._perform(f"CSAT {score}/5 recorded", lambda: desk.csat(self.ticket_id, score))

        self.app.push_screen(PickerScreen("Customer satisfaction", list(labels)), chosen)

    def _compose_message(self, kind: str) -> None:
        if self.detail is None:
            return
        desk = self.app.desk  # type: ignore[attr-defined]
        version = self._version()
        statuses = list(self.app.policy.statuses.all)  # type: ignore[attr-defined]

        def sent(draft: Draft | None) -> None:
            if draft is None:
                return
            if kind == "reply":
                label = "reply sent" + (f", status → {draft.status}" if draft.status else "")

                def call() -> TicketDetail:
                    return desk.reply(
                        self.ticket_id, draft.body, draft.status, expected_version=version
                    )
            else:
                label = "note added"

                def call() -> TicketDetail:
                    return desk.note(self.ticket_id, draft.body, expected_version=version)

            self._perform(label, call, advance=kind == "reply", draft=(kind, draft))

        title = (
            f"Reply to #{self.ticket_id}"
            if kind == "reply"
            else f"Internal note on #{self.ticket_id}"
        )
        initial = self.last_draft[1].body if self.last_draft and self.last_draft[0] == kind else ""
        choices = statuses if kind == "reply" else []
        self.app.push_screen(ComposerScreen(title, choices, initial), sent)

    def action_reply(self) -> None:
        self._compose_message("reply")

    def action_note(self) -> None:
        self._compose_message("note")

    # -- moving ------------------------------------------------------------------------------------

    def _neighbour(self, step: int) -> int | None:
        if self.ticket_id not in self.queue_ids:
            return None
        index = self.queue_ids.index(self.ticket_id) + step
        return self.queue_ids[index] if 0 <= index < len(self.queue_ids) else None

    def action_next_ticket(self) -> None:
        self._go(1)

    def action_previous_ticket(self) -> None:
        self._go(-1)

    def _go(self, step: int) -> None:
        target = self._neighbour(step)
        if target is None:
            self.notify("No more tickets in this view.", timeout=3)
            return
        self.app.open_ticket(target, self.queue_ids)  # type: ignore[attr-defined]

    def action_scroll_down(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_up()

    def action_scroll_home(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_home()

    def action_scroll_end(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_end()
