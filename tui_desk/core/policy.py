"""The policy model: typed, immutable views of a validated policy file (SPEC §2).

Every value here is already parsed (durations, spans, shares): `policy_load` builds these
objects from the policy file through the parsers of `policy_values`, and the keys and their
defaults are declared once, in `policy_schema`. Nothing here reads files.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any, Literal

from tui_desk.core.durations import Duration, parse_duration
from tui_desk.core.policy_schema import CLOCKS as CLOCKS  # re-exported: the clock names
from tui_desk.core.policy_schema import WEEKDAYS as WEEKDAYS
from tui_desk.core.policy_schema import default
from tui_desk.core.text import parse_size

StatusCategory = Literal["active", "paused", "solved", "void"]
STATUS_CATEGORIES: tuple[StatusCategory, ...] = ("active", "paused", "solved", "void")


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """A working calendar as written in the policy; `core.calendar` does the arithmetic."""

    name: str
    timezone: str
    always: bool = False
    # Per weekday (Monday first): working intervals as (start, end) minutes after midnight.
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()  # (month, day)
    holiday_country: str | None = None  # "DE", or a region of it like "DE-BY"
    day_length: Duration | None = None  # None: the most common working-weekday length

    def day_seconds(self) -> int:
        """What one `d` means on this calendar (SPEC §3.4): `day_length`, else 24 h when
        `always`, else the most common working-weekday length (ties: the longer)."""
        if self.day_length is not None:
            return self.day_length.to_seconds(86_400)
        if self.always:
            return 86_400
        lengths = Counter(sum(end - start for start, end in day) for day in self.week)
        lengths.pop(0, None)
        minutes, _count = max(lengths.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        return minutes * 60

    def week_seconds(self) -> int:
        """The working time of a week by the hours alone (no DST, no holidays)."""
        return sum((end - start) * 60 for day in self.week for start, end in day)


@dataclass(frozen=True, slots=True)
class Targets:
    """The working-time targets of one priority; a missing target is None."""

    first_response: Duration | None = None
    next_response: Duration | None = None
    resolution: Duration | None = None

    def get(self, clock: str) -> Duration | None:
        return getattr(self, clock)


@dataclass(frozen=True, slots=True)
class WarnAt:
    """When a clock turns to `warning`: a share of its target, or a time before its due."""

    fraction: float | None  # e.g. 0.75 for "75%"
    before: Duration | None  # e.g. 30m for warn_at = "30m"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    name: str
    calendar: str
    warn_at: WarnAt
    resolution_on_reopen: Literal["resume", "keep"]
    targets: dict[str, Targets]  # by priority; a priority not listed has no targets


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    sla: str
    quota_tickets: int | None  # None: unlimited
    quota_per: str | None  # week | month | quarter | year | term; None when unlimited
    anchor: Literal["calendar", "contract"] = default("plans.NAME", "anchor")
    overage: Literal["no_sla", "billable"] = default("plans.NAME", "overage")
    expiry_warning: Duration | None = None  # calendar days before a contract's end


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    when: dict[str, tuple[str, ...]]  # condition -> any-of values
    set: dict[str, Any]  # priority, product, tags (tuple), assignee, sla
    stop: bool = False


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    name: str
    at: Literal["warning", "breach"]
    after: Duration  # working time after `at` (only for "breach+X")
    notify: tuple[str, ...] = ()
    set: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Escalation:
    notify_command: tuple[str, ...] | None = None
    levels: tuple[EscalationLevel, ...] = ()


@dataclass(frozen=True, slots=True)
class Statuses:
    active: tuple[str, ...]
    paused: tuple[str, ...]
    solved: tuple[str, ...]
    void: tuple[str, ...]
    initial: str
    reopen_to: str

    def category(self, status: str) -> StatusCategory:
        for name in STATUS_CATEGORIES:
            if status in getattr(self, name):
                return name
        raise KeyError(status)

    @property
    def all(self) -> tuple[str, ...]:
        return self.active + self.paused + self.solved + self.void


@dataclass(frozen=True, slots=True)
class Priorities:
    order: tuple[str, ...]
    default: str

    def rank(self, priority: str) -> int:
        """0 for the most urgent."""
        return self.order.index(priority)


@dataclass(frozen=True, slots=True)
class Desk:
    name: str
    timezone: str
    week_starts: Literal["monday", "sunday", "saturday"] = default("desk", "week_starts")
    default_sla: str | None = None
    repeat_window: Duration = parse_duration(default("desk", "repeat_window"))
    # Bytes of UTF-8; a longer message, reply or note is refused.
    max_body_size: int = parse_size(default("desk", "max_body_size"))


@dataclass(frozen=True)
class Policy:
    desk: Desk
    statuses: Statuses
    priorities: Priorities
    calendars: dict[str, CalendarSpec]
    sla: dict[str, SlaPolicy]
    plans: dict[str, Plan]
    rules: tuple[Rule, ...]
    escalation: Escalation
    keys: dict[str, str]
    effective: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def sla_calendar(self, sla_name: str) -> CalendarSpec:
        return self.calendars[self.sla[sla_name].calendar]


def policy_digest(policy: Policy) -> str:
    """SHA-256 (hex) of the effective policy: identifies the policy that cached clocks and
    escalation checks in the store were computed under (~0.1 ms; asked once per command)."""
    text = json.dumps(policy.effective, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_policy_text() -> str:
    """The documented default policy shipped with tui-desk (`tui-desk policy init`)."""
    return resources.files("tui_desk").joinpath("default_policy.toml").read_text(encoding="utf-8")


def build_policy(effective: dict[str, Any]) -> Policy:
    """The model of a policy given as a dict of the file's shape, already known to be good
    (the effective form of a validated policy, or one written in code for a test): the same
    parsers as `policy_load`, without the checks that need the environment or the whole
    policy (`policy_load.policy_from_effective`). ValueError if it is not usable."""
    from tui_desk.core.policy_load import policy_from_effective

    return policy_from_effective(effective)
