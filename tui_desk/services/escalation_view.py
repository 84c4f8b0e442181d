"""The escalation view and `tui-desk escalations` (SPEC §5, §7): escalated open tickets,
highest level first, and the tickets about to escalate (Znuny's "escalation in the next
hour"), read from what the pass recorded and the clocks at "now". Reads only, through
store.queries: any desk will do, the read-only one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tui_desk.core.calendar import to_epoch_us
from tui_desk.core.escalation import EscalationTimeline, escalation_timeline, recorded_escalation
from tui_desk.core.sla import NO_CLOCK_MARK
from tui_desk.services.base import DeskBase, utc_text
from tui_desk.services.listing import EventView, events_of, history_from_events
from tui_desk.store.queries import escalated_tickets, escalating_tickets

UpcomingWindow = Literal["next_hour", "today", "tomorrow"]
UPCOMING_WINDOWS: tuple[tuple[UpcomingWindow, str], ...] = (
    ("next_hour", "within the next hour"),
    ("today", "later today"),
    ("tomorrow", "tomorrow"),
)


@dataclass(frozen=True, slots=True)
class EscalatedTicket:
    """One row of the escalation view (SPEC §5) and of `escalations --json` (SPEC §7).

    `overdue_seconds` is working time past the causing clock's deadline (negative while it
    only warns); `countdown` that clock's text as every face shows it (`Clock.countdown`,
    "—" when unknown); `since` is when the ticket reached its current level.
    """

    ticket_id: int
    subject: str
    priority: str
    status: str
    level: int
    name: str | None
    clock: str | None
    since: datetime | None
    overdue_seconds: int | None
    assignee: str | None
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    countdown: str = NO_CLOCK_MARK

    def to_json(self) -> dict[str, Any]:
        """The `escalations --json` item (SPEC §7), plus `subject` and who acknowledged."""
        return {
            "ticket": self.ticket_id,
            "level": self.level,
            "name": self.name,
            "clock": self.clock,
            "since": utc_text(self.since),
            "overdue_seconds": self.overdue_seconds,
            "acknowledged": self.acknowledged,
            "assignee": self.assignee,
            "subject": self.subject,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": utc_text(self.acknowledged_at),
        }


@dataclass(frozen=True, slots=True)
class UpcomingEscalation:
    """A ticket about to reach its next level (Znuny's "escalation in the next hour")."""

    ticket_id: int
    subject: str
    level: int
    name: str
    clock: str
    at: datetime
    working_seconds: int  # working time left on the clock's calendar
    current_level: int
    assignee: str | None
    window: UpcomingWindow


@dataclass(frozen=True, slots=True)
class EscalationOverview:
    """The escalation view: escalated tickets, highest level first, then longest overdue;
    and the tickets about to escalate, soonest first."""

    now: datetime
    escalated: tuple[EscalatedTicket, ...]
    upcoming: tuple[UpcomingEscalation, ...]

    @property
    def unacknowledged(self) -> int:
        return sum(1 for row in self.escalated if not row.acknowledged)

    def upcoming_in(self, window: UpcomingWindow) -> list[UpcomingEscalation]:
        return [row for row in self.upcoming if row.window == window]


def escalation_overview(desk: DeskBase, now: datetime | None = None) -> EscalationOverview:
    """Escalated open tickets and the tickets about to escalate (SPEC §5, Znuny's view).

    Levels, `since` and acknowledgements are what the log records (the escalation pass keeps
    it current); the causing clock and how overdue it is are computed at `now`.
    """
    now = (now or desk.now()).astimezone(UTC)
    policy = desk.policy
    escalated_rows, upcoming_rows, logs = _read_view(desk, now)
    timelines: dict[int, EscalationTimeline] = {}

    def timeline_of(ticket_id: int) -> EscalationTimeline:
        if ticket_id not in timelines:
            history = history_from_events(logs[ticket_id])
            timelines[ticket_id] = escalation_timeline(policy, history, now, since=now)
        return timelines[ticket_id]

    escalated = [
        _escalated(row, logs[row["id"]], timeline_of(row["id"]))
        for row in escalated_rows
        if row["id"] in logs
    ]
    escalated.sort(
        key=lambda e: (
            -e.level,
            -(e.overdue_seconds if e.overdue_seconds is not None else -(2**62)),
            e.since or now,
            e.ticket_id,
        )
    )
    zone = ZoneInfo(policy.desk.timezone)
    upcoming = [
        found
        for row in upcoming_rows
        if row["id"] in logs
        and (found := _upcoming(row, timeline_of(row["id"]), now, zone)) is not None
    ]
    upcoming.sort(key=lambda u: (u.at, -u.level, u.ticket_id))
    return EscalationOverview(now, tuple(escalated), tuple(upcoming))


def _read_view(
    desk: DeskBase, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, list[EventView]]]:
    """In one read transaction: the escalated open tickets, the active ones that may
    escalate within four days (covers "tomorrow" and a weekend's next working hour), and
    the logs of both."""
    with desk.reading() as reader:
        escalated = escalated_tickets(reader)
        upcoming = escalating_tickets(reader, now, now + timedelta(days=4))
        ids = {row["id"] for row in escalated} | {row["id"] for row in upcoming}
        logs = events_of(reader, sorted(ids), bodies=False)
    return escalated, upcoming, logs


def _escalated(
    row: dict[str, Any], log: list[EventView], live: EscalationTimeline
) -> EscalatedTicket:
    """One escalated ticket: its recorded level and acknowledgement, and the clock that
    caused the level as it stands now."""
    record = recorded_escalation(log)
    clock_name = live.current.clock if live.current.level == row["escalation_level"] else None
    clock_name = clock_name or record.clock
    overdue, countdown = None, NO_CLOCK_MARK
    if live.sla is not None and clock_name in live.sla.clocks:
        causing = live.sla.clocks[clock_name]
        remaining, countdown = causing.remaining_seconds, causing.countdown
        overdue = None if remaining is None else -remaining
    return EscalatedTicket(
        ticket_id=row["id"],
        subject=row["subject"],
        priority=row["priority"],
        status=row["status"],
        level=row["escalation_level"],
        name=row["escalation_name"],
        clock=clock_name,
        since=record.since,
        overdue_seconds=overdue,
        assignee=row["assignee"],
        acknowledged=record.acknowledged and record.level == row["escalation_level"],
        acknowledged_by=record.acknowledged_by,
        acknowledged_at=record.acknowledged_at,
        countdown=countdown,
    )


def _upcoming(
    row: dict[str, Any], timeline: EscalationTimeline, now: datetime, zone: ZoneInfo
) -> UpcomingEscalation | None:
    """The ticket's next level if it falls in one of the view's windows."""
    nxt = timeline.upcoming
    if nxt is None:
        return None
    left_us = nxt.calendar.position(to_epoch_us(nxt.at)) - nxt.calendar.position(to_epoch_us(now))
    today = now.astimezone(zone).date()
    day = nxt.at.astimezone(zone).date()
    # The groups follow the desk's clock so that they read in order: the next hour,
    # the rest of today, tomorrow (an hour of working time left may be a night away).
    window: UpcomingWindow
    if nxt.at - now <= timedelta(hours=1):
        window = "next_hour"
    elif day == today:
        window = "today"
    elif day == today + timedelta(days=1):
        window = "tomorrow"
    else:
        return None
    return UpcomingEscalation(
        ticket_id=row["id"],
        subject=row["subject"],
        level=nxt.level,
        name=nxt.name,
        clock=nxt.clock,
        at=nxt.at,
        working_seconds=max(0, left_us // 1_000_000),
        current_level=row["escalation_level"],
        assignee=row["assignee"],
        window=window,
    )
