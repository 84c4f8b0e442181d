"""Policies, calendars and ticket histories for the calendar and SLA tests, built in code.

Policies go through `build_policy` on a dict (the SPEC §2 shape) so these tests do not
depend on the policy file loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.policy import CalendarSpec, Policy, build_policy

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
STATUSES = {
    "active": ["new", "open"],
    "paused": ["pending", "on_hold"],
    "solved": ["solved", "closed"],
    "void": ["spam", "merged"],
    "initial": "new",
    "reopen_to": "open",
}
TARGETS = {
    "urgent": {"first_response": "30m", "next_response": "1h", "resolution": "2h"},
    "high": {"first_response": "1h", "next_response": "2h", "resolution": "6h"},
    "normal": {"first_response": "1h", "next_response": "2h", "resolution": "4h"},
    "low": {"first_response": "4h"},
}


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    """Parse a wall time like "2026-11-20 17:30" in `zone` (Berlin by default)."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def minutes(hhmm: str) -> int:
    hours, _, mins = hhmm.partition(":")
    return int(hours) * 60 + int(mins)


def calendar_spec(
    hours: dict[str, list[str]] | None = None,
    *,
    timezone: str = "Europe/Berlin",
    name: str = "office",
    **extra: Any,
) -> CalendarSpec:
    """A CalendarSpec from policy-style hours, Mon-Fri 09:00-18:00 unless told otherwise."""
    hours = hours if hours is not None else dict.fromkeys(WEEKDAYS, ["09:00-18:00"])
    week = []
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        spans = [span.split("-") for span in hours.get(day, [])]
        week.append(tuple(sorted((minutes(start), minutes(end)) for start, end in spans)))
    return CalendarSpec(name=name, timezone=timezone, week=tuple(week), **extra)


def every_day(*spans: str) -> dict[str, list[str]]:
    return dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), list(spans))


def make_policy(
    *,
    calendar: dict[str, Any] | None = None,
    targets: dict[str, dict[str, str]] | None = None,
    warn_at: str = "75%",
    resolution_on_reopen: str = "resume",
    extra_sla: dict[str, dict[str, Any]] | None = None,
    default_sla: str | None = "standard",
) -> Policy:
    """A policy whose `standard` SLA runs on `office` (Mon-Fri 09-18 Berlin by default).

    A `premium` SLA on a 24x7 `always` calendar is always there too.
    """
    office = calendar or {"timezone": "Europe/Berlin", **dict.fromkeys(WEEKDAYS, ["09:00-18:00"])}
    sla = {
        "standard": {
            "calendar": "office",
            "warn_at": warn_at,
            "resolution_on_reopen": resolution_on_reopen,
            "targets": targets or TARGETS,
        },
        "premium": {
            "calendar": "always",
            "warn_at": "30m",
            "targets": {
                "urgent": {"first_response": "15m", "next_response": "30m", "resolution": "2h"},
                "normal": {"first_response": "1h", "next_response": "2h", "resolution": "8h"},
            },
        },
    }
    sla.update(extra_sla or {})
    desk: dict[str, Any] = {"timezone": "Europe/Berlin"}
    if default_sla:
        desk["default_sla"] = default_sla
    return build_policy(
        {
            "desk": desk,
            "statuses": STATUSES,
            "priorities": {"order": ["urgent", "high", "normal", "low"], "default": "normal"},
            "calendars": {"office": office, "always": {"always": True}},
            "sla": sla,
        }
    )


@dataclass
class Ticket:
    """Builds a TicketHistory event by event; `seq` follows the order of the calls.

    `priority`, `sla` and `status` are the values at creation.
    """

    created: datetime
    priority: str = "normal"
    sla: str | None = "standard"
    status: str = "new"
    events: list[TicketEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._status_now = self.status
        self._priority_now = self.priority
        self.message(self.created)

    def event(self, kind: str, when: datetime, author: str | None = "ana", **data: Any) -> Ticket:
        self.events.append(TicketEvent(when, kind, author, None, data, len(self.events) + 1))
        return self

    def message(self, when: datetime) -> Ticket:
        return self.event("customer_message", when, author="ana@acme.test")

    def reply(self, when: datetime) -> Ticket:
        return self.event("reply", when)

    def note(self, when: datetime) -> Ticket:
        return self.event("note", when)

    def set_status(self, when: datetime, to: str) -> Ticket:
        previous, self._status_now = self._status_now, to
        return self.event("status", when, **{"from": previous, "to": to})

    def set_priority(self, when: datetime, to: str) -> Ticket:
        previous, self._priority_now = self._priority_now, to
        return self.event("priority", when, **{"from": previous, "to": to})

    def set_sla(self, when: datetime, sla: str | None) -> Ticket:
        return self.event("quota", when, over_quota=False, billable=False, sla=sla)

    def set_due(self, when: datetime, due: str | None, clock: str = "resolution") -> Ticket:
        return self.event("due", when, clock=clock, due=due)

    def history(self) -> TicketHistory:
        return TicketHistory(self.created, self.priority, self.sla, self.status, tuple(self.events))
