"""The Ticket screen: clocks header, the thread, and the operator's actions on it.

The thread is drawn lazily: the newest THREAD_PAGE events first (`o` shows older ones) and
long bodies cut to a preview (`x` shows them whole), so a ticket holding megabytes opens as
quickly as a short one. Every word of user text goes through `user_text`.
"""

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
from tui_desk.core.text import human_size
from tui_desk.services import EventView, ServiceError, TicketDetail
from tui_desk.tui.changes import Changes, ask_change, describe
from tui_desk.tui.screens.composer import ComposerScreen, Draft
from tui_desk.tui.text import user_text
from tui_desk.tui.widgets.clocks import clock_text

CLOCK_LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}
THREAD_PAGE = 50  # events drawn at first, and added by each `o`
PREVIEW_LINES = 40  # a longer body is cut to a preview until `x`
PREVIEW_CHARS = 4000
KIND_STYLES = {
    "customer_message": ("◀ customer", "bold cyan"),
    "reply": ("▶ reply", "bold green"),
    "note": ("✎ internal note", "bold yellow"),
    "merge": ("⇄ merge", "bold magenta"),
}


def _local(value: datetime) -> str:
    return value.astimezone().strftime("%a %d %b %H:%M")


def _event_line(event: EventView) -> Text:
    """One line for a change event; its values (names, tags, comments) are user text."""
    return user_text(_event_words(event), _event_style(event))


def _event_style(event: EventView) -> str:
    if event.kind != "escalation":
        return ""
    if event.data.get("notification") == "failed":
        return "red"
    return "" if event.data.get("reached") is False else "bold red"


def _event_words(event: EventView) -> str:
    data = event.data
    match event.kind:
        case "status" | "priority" | "assignee":
            return f"{event.kind}: {data.get('from') or '—'} → {data.get('to') or '—'}"
        case "tags":
            added = " ".join(f"+{t}" for t in data.get("added", []))
            removed = " ".join(f"-{t}" for t in data.get("removed", []))
            return f"tags: {added} {removed}".strip()
        case "quota":
            state = (
                "over quota" + (" (billable)" if data.get("billable") else " (no SLA)")
                if data.get("over_quota")
                else "within quota"
            )
            return f"quota: plan {data.get('plan')} · {state}"
        case "due":
            return f"due date for {data.get('clock')}: {data.get('due') or 'computed'}"
        case "csat":
            comment = data.get("comment")
            return f"CSAT {data.get('score')}/5" + (f": {comment}" if comment else "")
        case "escalation":
            clock = str(data.get("clock") or "").replace("_", " ")
            if data.get("notification") == "failed":
                return f"escalation {data.get('name')}: notification failed"
            if data.get("reached") is False:
                return f"de-escalated from {data.get('name')} ({clock} met or ticket closed)"
            return f"escalated to {data.get('name')} ({clock})"
        case "escalation_ack":
            return f"escalation acknowledged by {event.author or '—'}"
    return str(event.kind)


def _body_text(body: str, whole: bool) -> Text:
    """A message body, or while `whole` is off, its first lines and a note of the rest."""
    if whole or (len(body) <= PREVIEW_CHARS and body.count("\n") < PREVIEW_LINES):
        return user_text(body, one_line=False)
    preview = body[:PREVIEW_CHARS]
    lines = preview.split("\n")[:PREVIEW_LINES]
    preview = "\n".join(lines)
    rest = body[len(preview) :]
    text = user_text(preview, one_line=False)
    more = rest.count("\n") + 1
    size = len(rest.encode("utf-8", "surrogatepass"))
    text.append(
        f"\n… {more} more line{'s' if more != 1 else ''} ({human_size(size)})"
        " · x shows whole messages",
        style="dim italic",
    )
    return text


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
        Binding("o", "older", "Older events", show=False, id="older_events"),
        Binding("x", "whole_bodies", "Whole messages", show=False, id="whole_messages"),
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
        self.shown_events = THREAD_PAGE  # the newest this many events are drawn
        self.whole_bodies = False

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
        header.append_text(user_text(t.subject, "bold"))
        header.append("\n")
        who = t.contact + (f" · {t.customer}" if t.customer else "")
        header.append_text(
            user_text(f"{who} · {t.status} · {t.priority} · assignee {t.assignee or '—'}")
        )
        if t.tags:
            header.append_text(user_text(" · " + " ".join(f"#{tag}" for tag in t.tags), "magenta"))
        header.append("\n")
        header.append_text(self._plan_line(detail))
        self.query_one("#ticket-header", Static).update(header)
        self.render_clocks()
        self._render_thread(to_end)

    def _render_thread(self, to_end: bool = False) -> None:
        if self.detail is not None:
            self.run_worker(
                self._replace_thread(self._thread_widgets(self.detail), to_end),
                group="thread",
                exclusive=True,
            )

    async def _replace_thread(self, widgets: list[Static], to_end: bool = False) -> None:
        """The old thread goes before the new one comes: never both at once."""
        thread = self.query_one("#thread", VerticalScroll)
        with self.app.batch_update():
            await thread.remove_children()
            await thread.mount_all(widgets)
        if to_end:
            thread.scroll_end(animate=False)  # once laid out, so the end is the new one

    def _plan_line(self, detail: TicketDetail) -> Text:
        t = detail.ticket
        line = user_text(self.quota_text or (f"plan {t.plan}" if t.plan else "no contract"), "dim")
        line.append(f" · SLA {t.sla_policy or 'none'}", style="dim")
        if t.over_quota:
            line.append(" · over quota" + (" (billable)" if t.billable else ""), style="magenta")
        return line

    def _thread_widgets(self, detail: TicketDetail) -> list[Static]:
        widgets = []
        hidden = max(0, len(detail.events) - self.shown_events)
        if hidden:
            note = f"▲ {hidden} older event{'s' if hidden != 1 else ''} · o shows more"
            widgets.append(Static(Text(note, style="dim italic"), classes="event older"))
        for event in detail.events[hidden:]:
            when = _local(event.at)
            if event.kind in KIND_STYLES:
                label, style = KIND_STYLES[event.kind]
                title = Text.assemble(
                    (label, style), "  ", user_text(event.author, "bold"), "  ", (when, "dim")
                )
                body = _body_text(event.body or "", self.whole_bodies)
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
            from tui_desk.services.merge import merge

            into = changes.get("merge_into")
            self._perform(
                describe(changes),
                (lambda: merge(desk, self.ticket_id, into, expected_version=version).source)
                if into is not None
                else lambda: desk.set_fields(self.ticket_id, expected_version=version, **changes),
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
        what = "the reply" if kind == "reply" else "the note"
        composer = ComposerScreen(
            title, choices, initial, check=lambda body: desk.check_body(body, what)
        )
        self.app.push_screen(composer, sent)

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

    def action_older(self) -> None:
        """Draw the next THREAD_PAGE older events above those shown."""
        if self.detail is None or self.shown_events >= len(self.detail.events):
            self.notify("This is the whole thread.", timeout=3)
            return
        self.shown_events += THREAD_PAGE
        self._render_thread()
        self.action_scroll_home()

    def action_whole_bodies(self) -> None:
        """Show long messages whole, or cut to their previews again."""
        self.whole_bodies = not self.whole_bodies
        self._render_thread()

    def action_scroll_down(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_up()

    def action_scroll_home(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_home()

    def action_scroll_end(self) -> None:
        self.query_one("#thread", VerticalScroll).scroll_end()
