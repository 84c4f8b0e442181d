"""Reading the desk-wide tables of a policy: [desk], [statuses], [priorities] and
[calendars.NAME], into typed values and model objects, with their problems located."""

from __future__ import annotations

from datetime import date
from typing import Any

from tui_desk.core.durations import Duration
from tui_desk.core.policy import STATUS_CATEGORIES, CalendarSpec, Priorities, Statuses
from tui_desk.core.policy_check import CALENDAR_HINTS, Checks
from tui_desk.core.policy_schema import WEEK_STARTS, WEEKDAYS, default, keys_of
from tui_desk.core.policy_toml import Key
from tui_desk.core.policy_values import (
    BadValue,
    check_holiday_country,
    did_you_mean,
    format_span,
    parse_body_size,
    parse_holiday,
    parse_span,
    show_value,
)
from tui_desk.core.text import parse_size


class TableChecks(Checks):
    """[desk], [statuses], [priorities] and [calendars.NAME]."""

    # -- [desk] ---------------------------------------------------------------------------

    def desk(self, value: Any) -> dict[str, Any]:
        """The keyword arguments of `Desk`, but `default_sla` (see `default_sla`)."""
        key: Key = ("desk",)
        hint = '[desk] needs at least timezone = "Europe/Berlin" (an IANA zone)'
        fields: dict[str, Any] = {
            "name": default("desk", "name"),
            "timezone": "UTC",
            "week_starts": default("desk", "week_starts"),
            "repeat_window": None,
            "max_body_size": parse_size(default("desk", "max_body_size")),
        }
        table = {} if value is None else self.table(value, key, hint=hint)
        if table is None:
            return fields
        self.unknown_keys(table, key, keys_of("desk"))
        if "name" in table:
            fields["name"] = self.text(table["name"], (*key, "name"), example="Acme Support")
        if "timezone" in table:
            self.desk_timezone = self.zone(table["timezone"], (*key, "timezone"))
            fields["timezone"] = self.desk_timezone
        else:
            self.add((*key, "timezone"), "required: the desk's time zone", hint)
        fields["week_starts"] = self.choice(
            table.get("week_starts", default("desk", "week_starts")),
            (*key, "week_starts"),
            WEEK_STARTS,
        )
        fields["repeat_window"] = self.duration(
            table.get("repeat_window", default("desk", "repeat_window")), (*key, "repeat_window")
        )
        if "max_body_size" in table:
            fields["max_body_size"] = self.check(
                (*key, "max_body_size"), parse_body_size, table["max_body_size"]
            )
        return fields

    def default_sla(self, value: Any) -> str | None:
        """desk.default_sla, checked once the SLA names are known."""
        if not (isinstance(value, dict) and "default_sla" in value):
            return None
        return self.reference(
            value["default_sla"],
            ("desk", "default_sla"),
            self.sla_names,
            kind="SLA policy",
            plural="SLA policies",
        )

    # -- [statuses], [priorities] ---------------------------------------------------------

    def statuses(self, value: Any) -> Statuses:
        key: Key = ("statuses",)
        table = {} if value is None else self.table(value, key)
        if table is None:
            table = {}
        else:
            self.unknown_keys(table, key, keys_of("statuses"))
        categories: dict[str, tuple[str, ...]] = {}
        category_of: dict[str, str] = {}
        for category in STATUS_CATEGORIES:
            raw = table.get(category, default("statuses", category))
            names = self.names(
                raw, (*key, category), what="status", allow_empty=category in ("paused", "void")
            )
            categories[category] = tuple(names or ())
            for name in names or []:
                if name in category_of:
                    self.add(
                        (*key, category, raw.index(name)),
                        f"status {show_value(name)} is in both {category_of[name]} and {category}",
                        "each status belongs to exactly one category: remove it from one of them",
                    )
                else:
                    category_of[name] = category
        self.status_category = category_of
        initial, reopen_to = (
            self.active_status(table.get(field, default("statuses", field)), (*key, field))
            for field in ("initial", "reopen_to")
        )
        return Statuses(**categories, initial=initial or "", reopen_to=reopen_to or "")

    def active_status(self, value: Any, key: Key) -> str | None:
        """statuses.initial / reopen_to: a known status whose clocks run (SPEC §3.6)."""
        name = self.name(value, key)
        known = self.status_category
        if name is None or known is None:
            return name
        active = [status for status, category in known.items() if category == "active"]
        if name not in known:
            hint = did_you_mean(name, known) or f"statuses: {', '.join(known)}"
            self.add(key, f"unknown status {show_value(name)}", hint)
        elif known[name] != "active":
            why = (
                "new tickets start their clocks"
                if key[-1] == "initial"
                else "a reopened ticket's clocks run again"
            )
            self.add(
                key,
                f"{show_value(name)} is a {known[name]} status; {key[-1]} must be an active one because {why}",
                f"use one of: {', '.join(active)}" if active else None,
            )
        return name

    def priorities_section(self, value: Any) -> Priorities:
        key: Key = ("priorities",)
        table = {} if value is None else self.table(value, key)
        if table is None:
            table = {}
        else:
            self.unknown_keys(table, key, keys_of("priorities"))
        order = self.names(
            table.get("order", default("priorities", "order")),
            (*key, "order"),
            what="priority",
            allow_empty=False,
        )
        self.priorities = order
        chosen = self.reference(
            table.get("default", default("priorities", "default")),
            (*key, "default"),
            order,
            kind="priority",
            plural="priorities",
        )
        return Priorities(order=tuple(order or ()), default=chosen or "")

    # -- [calendars] ----------------------------------------------------------------------

    def calendars(self, value: Any) -> dict[str, CalendarSpec]:
        key: Key = ("calendars",)
        hint = 'add e.g. [calendars.office] with mon = ["09:00-17:00"], or [calendars.always] with always = true'
        if not value:
            self.add(key, "no calendar is defined; at least one is required", hint)
            return {}
        tables = self.named_tables(value, key, hint="each calendar is a table: [calendars.NAME]")
        self.calendar_names = list(value) if isinstance(value, dict) else None
        specs = {}
        for name, table in tables.items():
            problems_before = len(self.report.problems)
            specs[name] = spec = self.calendar(name, table, (*key, name))
            if len(self.report.problems) == problems_before:
                self.day_seconds[name] = spec.day_seconds()
                if not spec.always:
                    self.week_seconds[name] = spec.week_seconds()
        return specs

    def calendar(self, name: str, table: dict[str, Any], key: Key) -> CalendarSpec:
        self.unknown_keys(table, key, keys_of("calendars.NAME"), elsewhere=CALENDAR_HINTS)
        timezone = self.desk_timezone or "UTC"
        if "timezone" in table:
            timezone = self.zone(table["timezone"], (*key, "timezone")) or timezone
        always = self.boolean(table.get("always", False), (*key, "always"))
        if always:
            self.always_calendar(table, key)
            return CalendarSpec(name=name, timezone=timezone, always=True)
        week = []
        days_ok = True
        for day in WEEKDAYS:
            spans = self.working_hours(table.get(day, []), (*key, day))
            days_ok = days_ok and spans is not None
            week.append(tuple(spans or ()))
        if days_ok and not any(week):
            self.add(
                key,
                "this calendar has no working hours on any day",
                'add hours like mon = ["09:00-17:00"], or set always = true for a 24x7 calendar',
            )
        days = self.holidays(table.get("holidays", []), (*key, "holidays"))
        country = None
        if "holiday_country" in table:
            country = self.holiday_country(table["holiday_country"], (*key, "holiday_country"))
        day_length = None
        if "day_length" in table:
            day_length = self.day_length(table["day_length"], (*key, "day_length"))
        return CalendarSpec(
            name=name,
            timezone=timezone,
            week=tuple(week),
            holidays=frozenset(day for day in days if isinstance(day, date)),
            yearly_holidays=frozenset(day for day in days if isinstance(day, tuple)),
            holiday_country=country,
            day_length=day_length,
        )

    def always_calendar(self, table: dict[str, Any], key: Key) -> None:
        for name in table:
            if name in (*WEEKDAYS, "holidays", "holiday_country", "day_length"):
                self.add(
                    (*key, name),
                    "an always calendar is 24x7: it has no working hours, holidays or day length",
                    f"remove {name}, or remove always = true to use working hours",
                )

    def working_hours(self, value: Any, key: Key) -> list[tuple[int, int]] | None:
        """A day's spans, sorted; None if any is wrong."""
        if not isinstance(value, list):
            hint = (
                f'write it as a list: {key[-1]} = ["{value}"]' if isinstance(value, str) else None
            )
            self.add(
                key, f'expected a list of hours like ["09:00-17:00"], got {show_value(value)}', hint
            )
            return None
        spans: list[tuple[int, int]] = []
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.add(
                    (*key, index),
                    f'expected hours in quotes like "09:00-17:00", got {show_value(item)}',
                )
                ok = False
                continue
            span = self.check((*key, index), parse_span, item)
            ok = ok and span is not None
            if span is not None:
                spans.append(span)
        spans.sort()
        for earlier, later in zip(spans, spans[1:], strict=False):
            if later[0] < earlier[1]:
                self.add(
                    key,
                    f'"{format_span(*earlier)}" and "{format_span(*later)}" overlap',
                    "a day's working hours may not overlap: merge them or fix the times",
                )
                ok = False
        return spans if ok else None

    def holidays(self, value: Any, key: Key) -> list[date | tuple[int, int]]:
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of dates, got {show_value(value)}",
                'write it like holidays = ["2026-12-24", "01-01"]',
            )
            return []
        days = [self.check((*key, index), parse_holiday, item) for index, item in enumerate(value)]
        return [day for day in days if day is not None]

    def holiday_country(self, value: Any, key: Key) -> str | None:
        """A country ("DE") or one of its regions ("DE-BY") with public-holiday data."""
        code = self.text(value, key, example="DE")
        if code is None or self.trusted:
            return code
        try:
            check_holiday_country(code)
        except BadValue as bad:
            self.add(key, bad.message, bad.hint)
            return None
        return code

    def day_length(self, value: Any, key: Key) -> Duration | None:
        length = self.duration(value, key, allow_days=False)
        if length is not None and length.seconds > 86_400:
            self.add(key, f"{show_value(value)} is longer than a day", 'use at most "24h"')
            return None
        return length
