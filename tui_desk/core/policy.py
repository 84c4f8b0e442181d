"""The policy model: typed, immutable views of a validated policy file (SPEC §2).

`build_policy` turns an *effective* policy (a dict already validated and with every
default filled in, see `policy_load`) into these objects. Nothing here reads files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any, Literal

from tui_desk.core.durations import Duration, parse_duration
from tui_desk.core.text import parse_size

CLOCKS: tuple[str, ...] = ("first_response", "next_response", "resolution")
StatusCategory = Literal["active", "paused", "solved", "void"]
STATUS_CATEGORIES: tuple[StatusCategory, ...] = ("active", "paused", "solved", "void")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(text: str) -> int:
    """Minutes after midnight for "HH:MM" ("24:00" allowed, meaning 1440)."""
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes)
    if not (
        len(hours) == 2 and len(minutes) == 2 and 0 <= int(minutes) < 60 and 0 <= value <= 1440
    ):
        raise ValueError(f'{text!r} is not a time of day; write it as "HH:MM"')
    return value


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
    holiday_country: str | None = None
    day_length: Duration | None = None  # None: the most common working-weekday length


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

    fraction: float | None = 0.75  # e.g. 0.75 for "75%"
    before: Duration | None = None  # e.g. 30m for warn_at = "30m"


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
    anchor: Literal["calendar", "contract"] = "calendar"
    overage: Literal["no_sla", "billable"] = "no_sla"
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
    week_starts: Literal["monday", "sunday", "saturday"] = "monday"
    default_sla: str | None = None
    repeat_window: Duration = Duration(days=30)
    max_body_size: int = 1_000_000  # bytes of UTF-8; a longer message, reply or note is refused


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
    escalation checks in the store were computed under."""
    cached = _DIGESTS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    text = json.dumps(policy.effective, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if len(_DIGESTS) >= 8:
        _DIGESTS.pop(next(iter(_DIGESTS)))
    _DIGESTS[id(policy)] = (policy, digest)
    return digest


_DIGESTS: dict[int, tuple[Policy, str]] = {}


def default_policy_text() -> str:
    """The documented default policy shipped with tui-desk (`tui-desk policy init`)."""
    return resources.files("tui_desk").joinpath("default_policy.toml").read_text(encoding="utf-8")


def _duration(value: str | None) -> Duration | None:
    return None if value is None else parse_duration(value)


def _calendar(name: str, raw: dict[str, Any], desk_tz: str) -> CalendarSpec:
    week = []
    for day in WEEKDAYS:
        spans = []
        for span in raw.get(day, []):
            start, _, end = span.partition("-")
            spans.append((parse_hhmm(start.strip()), parse_hhmm(end.strip())))
        week.append(tuple(sorted(spans)))
    one_off, yearly = set(), set()
    for text in raw.get("holidays", []):
        if len(text) == 5:
            month, day_of_month = text.split("-")
            yearly.add((int(month), int(day_of_month)))
        else:
            one_off.add(date.fromisoformat(text))
    return CalendarSpec(
        name=name,
        timezone=raw.get("timezone", desk_tz),
        always=bool(raw.get("always", False)),
        week=tuple(week),
        holidays=frozenset(one_off),
        yearly_holidays=frozenset(yearly),
        holiday_country=raw.get("holiday_country"),
        day_length=_duration(raw.get("day_length")),
    )


def parse_warn_at(text: str) -> WarnAt:
    text = text.strip()
    if text.endswith("%"):
        return WarnAt(fraction=float(text[:-1]) / 100.0, before=None)
    return WarnAt(fraction=None, before=parse_duration(text))


def parse_escalation_at(text: str) -> tuple[Literal["warning", "breach"], Duration]:
    """ "warning", "breach" or "breach+2h" -> (kind, working time after it)."""
    text = text.strip()
    if text == "warning":
        return "warning", Duration()
    if text == "breach":
        return "breach", Duration()
    if text.startswith("breach+"):
        return "breach", parse_duration(text[len("breach+") :])
    raise ValueError(f"{text!r} is not warning, breach or breach+DURATION")


def build_policy(effective: dict[str, Any]) -> Policy:
    """Build the model from a validated policy dict whose defaults are all filled in."""
    desk_raw = effective["desk"]
    desk = Desk(
        name=desk_raw.get("name", "tui-desk"),
        timezone=desk_raw["timezone"],
        week_starts=desk_raw.get("week_starts", "monday"),
        default_sla=desk_raw.get("default_sla"),
        repeat_window=parse_duration(desk_raw.get("repeat_window", "30d")),
        max_body_size=parse_size(desk_raw.get("max_body_size", "1MB")),
    )
    st = effective["statuses"]
    statuses = Statuses(
        active=tuple(st["active"]),
        paused=tuple(st["paused"]),
        solved=tuple(st["solved"]),
        void=tuple(st["void"]),
        initial=st["initial"],
        reopen_to=st["reopen_to"],
    )
    pr = effective["priorities"]
    priorities = Priorities(order=tuple(pr["order"]), default=pr["default"])
    calendars = {
        name: _calendar(name, raw, desk.timezone) for name, raw in effective["calendars"].items()
    }
    slas = {}
    for name, raw in effective["sla"].items():
        targets = {
            priority: Targets(**{clock: _duration(t.get(clock)) for clock in CLOCKS})
            for priority, t in raw.get("targets", {}).items()
        }
        slas[name] = SlaPolicy(
            name=name,
            calendar=raw["calendar"],
            warn_at=parse_warn_at(raw.get("warn_at", "75%")),
            resolution_on_reopen=raw.get("resolution_on_reopen", "resume"),
            targets=targets,
        )
    plans = {}
    for name, raw in effective.get("plans", {}).items():
        quota = raw.get("quota", "unlimited")
        unlimited = quota == "unlimited"
        plans[name] = Plan(
            name=name,
            sla=raw["sla"],
            quota_tickets=None if unlimited else int(quota["tickets"]),
            quota_per=None if unlimited else quota["per"],
            anchor=raw.get("anchor", "calendar"),
            overage=raw.get("overage", "no_sla"),
            expiry_warning=_duration(raw.get("expiry_warning")),
        )
    rules = tuple(
        Rule(
            name=raw.get("name", f"rule {index + 1}"),
            when={key: tuple(values) for key, values in raw.get("when", {}).items()},
            set={
                key: tuple(value) if isinstance(value, list) else value
                for key, value in raw.get("set", {}).items()
            },
            stop=bool(raw.get("stop", False)),
        )
        for index, raw in enumerate(effective.get("rules", []))
    )
    esc_raw = effective.get("escalation", {})
    levels = []
    for raw in esc_raw.get("levels", []):
        kind, after = parse_escalation_at(raw["at"])
        levels.append(
            EscalationLevel(
                name=raw["name"],
                at=kind,
                after=after,
                notify=tuple(raw.get("notify", [])),
                set=dict(raw.get("set", {})),
            )
        )
    command = esc_raw.get("notify_command")
    escalation = Escalation(
        notify_command=tuple(command) if command else None, levels=tuple(levels)
    )
    return Policy(
        desk=desk,
        statuses=statuses,
        priorities=priorities,
        calendars=calendars,
        sla=slas,
        plans=plans,
        rules=rules,
        escalation=escalation,
        keys=dict(effective.get("keys", {})),
        effective=effective,
    )
