"""The generic checks of the policy validator: tables, texts, names, choices, durations,
references to other policy items and unknown keys, each reporting its problem at a key path
(so at a line) and returning the parsed value, or None when the value is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tui_desk.core.durations import Duration
from tui_desk.core.policy_schema import keys_of
from tui_desk.core.policy_toml import Key, Report
from tui_desk.core.policy_values import (
    BadValue,
    did_you_mean,
    parse_policy_duration,
    quoted,
    show_value,
    zone_exists,
    zone_hint,
)

_T = TypeVar("_T")


class Checks:
    """Reports problems while reading a parsed policy into typed values.

    `trusted` reads a policy known to be good (the effective form of a validated one): the
    checks that ask the environment (time zones, holiday countries) or look at the whole
    policy (warn_at against targets, reach, level order) are skipped.
    """

    def __init__(self, report: Report, *, trusted: bool = False) -> None:
        self.report = report
        self.trusted = trusted
        self.desk_timezone: str | None = None
        self.status_category: dict[str, str] | None = None
        self.priorities: list[str] | None = None
        self.calendar_names: list[str] | None = None
        self.sla_names: list[str] | None = None
        self.day_seconds: dict[str, int] = {}  # by calendar: what "1d" means there
        self.week_seconds: dict[str, int] = {}  # by calendar with hours: working time a week
        self.sla_calendars: dict[str, str] = {}

    def add(self, key: Key, message: str, hint: str | None = None) -> None:
        self.report.add(key, message, hint)

    def check(self, key: Key, parse: Callable[[Any], _T], value: Any) -> _T | None:
        """Run a BadValue-raising parser, reporting its problem at `key`; None when bad."""
        try:
            return parse(value)
        except BadValue as bad:
            self.add(key, bad.message, bad.hint)
            return None

    def unknown_keys(
        self,
        table: Mapping[str, Any],
        key: Key,
        allowed: Sequence[str],
        *,
        elsewhere: Mapping[str, str] | None = None,
    ) -> int:
        unknown = [name for name in table if name not in allowed]
        for name in unknown:
            hint = (
                (elsewhere or {}).get(name)
                or did_you_mean(name, allowed)
                or misplaced_hint(name, allowed)
                or f"allowed here: {', '.join(allowed)}"
            )
            self.add((*key, name), "unknown key", hint)
        return len(unknown)

    def table(self, value: Any, key: Key, *, hint: str | None = None) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(key, f"expected a table, got {show_value(value)}", hint)
        return None

    def text(self, value: Any, key: Key, *, example: str = "…") -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, str):
            self.add(key, "must not be empty")
        else:
            self.add(
                key,
                f"expected text in quotes, got {show_value(value)}",
                f'write it as {key[-1]} = "{example}"',
            )
        return None

    def texts(self, value: Any, key: Key, *, allow_empty: bool = False) -> list[str] | None:
        """A list of non-empty texts."""
        if isinstance(value, str):
            self.add(
                key,
                f"expected a list, got {show_value(value)}",
                f"write it as a list: [{show_value(value)}]",
            )
            return None
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of texts, got {show_value(value)}",
                'write it like ["a", "b"]',
            )
            return None
        if not value and not allow_empty:
            self.add(key, "the list is empty", "give at least one value, or leave the key out")
        return [
            item for index, item in enumerate(value) if self.text(item, (*key, index)) is not None
        ]

    def name(self, value: Any, key: Key) -> str | None:
        """A status or priority name: non-empty text without spaces."""
        name = self.text(value, key)
        if name is not None and re.search(r"\s", name):
            self.add(key, f"{show_value(name)} contains a space", 'use "_" instead, e.g. "on_hold"')
            return None
        return name

    def names(self, value: Any, key: Key, *, what: str, allow_empty: bool) -> list[str] | None:
        """A list of distinct names; None when it is not a list at all."""
        if not isinstance(value, list):
            hint = f"write it as a list: [{show_value(value)}]" if isinstance(value, str) else None
            self.add(key, f"expected a list of {what} names, got {show_value(value)}", hint)
            return None
        if not value and not allow_empty:
            self.add(key, f"must list at least one {what}")
        names: list[str] = []
        for index, item in enumerate(value):
            name = self.name(item, (*key, index))
            if name is None:
                continue
            if name in names:
                self.add((*key, index), f"{show_value(name)} is listed twice")
                continue
            names.append(name)
        return names

    def boolean(self, value: Any, key: Key) -> bool:
        if isinstance(value, bool):
            return value
        self.add(
            key,
            f"expected true or false, got {show_value(value)}",
            f"write {key[-1]} = true or {key[-1]} = false",
        )
        return False

    def choice(self, value: Any, key: Key, choices: Sequence[str]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        hint = did_you_mean(value, choices) if isinstance(value, str) else None
        self.add(key, f"{show_value(value)} is not one of {quoted(choices)}", hint)
        return None

    def duration(self, value: Any, key: Key, *, allow_days: bool = True) -> Duration | None:
        """A positive duration of at most 10 years."""
        parsed = self.check(key, parse_policy_duration, value)
        if parsed is None:
            return None
        if parsed.days and not allow_days:
            self.add(
                key,
                f"{show_value(value)} uses days here",
                'write it in hours and minutes, e.g. "8h"',
            )
            return None
        if parsed == Duration():
            self.add(key, f"{show_value(value)} is zero", "give a duration longer than zero")
            return None
        return parsed

    def reference(
        self, value: Any, key: Key, names: Sequence[str] | None, *, kind: str, plural: str
    ) -> str | None:
        """The name of another policy item (calendar, SLA, priority...)."""
        name = self.text(value, key)
        if name is None or names is None or name in names:
            return name
        listing = f"{plural}: {', '.join(names)}" if names else f"no {plural} are defined"
        self.add(key, f"unknown {kind} {show_value(name)}", did_you_mean(name, names) or listing)
        return name

    def zone(self, value: Any, key: Key) -> str | None:
        name = self.text(value, key, example="Europe/Berlin")
        if name is None:
            return None
        if not self.trusted and not zone_exists(name):
            self.add(key, f"unknown time zone {show_value(name)}", zone_hint(name))
            return None
        return name

    def named_tables(self, value: Any, key: Key, *, hint: str) -> dict[str, dict[str, Any]]:
        """A table of named tables ([calendars.NAME], [sla.NAME], [plans.NAME])."""
        table = self.table(value, key, hint=hint)
        if table is None:
            return {}
        named = {}
        for name, item in table.items():
            if not name.strip():
                self.add((*key, name), "a name must not be empty")
            entry = self.table(item, (*key, name), hint=hint)
            if entry is not None:
                named[name] = entry
        return named


# Where each key belongs, for keys written under the wrong [table] header.
_SECTIONS = (
    ("[desk]", "desk"),
    ("[statuses]", "statuses"),
    ("[priorities]", "priorities"),
    ("[calendars.NAME]", "calendars.NAME"),
    ("[sla.NAME]", "sla.NAME"),
    ("[plans.NAME]", "plans.NAME"),
    ("[[rules]]", "rules"),
    ("[escalation]", "escalation"),
    ("[[escalation.levels]]", "escalation.levels"),
)


def misplaced_hint(name: str, allowed_here: Sequence[str]) -> str | None:
    """For a key that is valid elsewhere: where to move it.

    In TOML a key belongs to the nearest [table] header above it, so a key added at the
    end of the file lands in the last table.
    """
    homes = [
        header
        for header, table in _SECTIONS
        if name in keys_of(table) and keys_of(table) != tuple(allowed_here)
    ]
    if not homes or len(homes) > 2:
        return None
    return f"{name} is a key of {' or '.join(homes)}: move it under that header"


TOP_LEVEL_HINTS = {
    **{name: "this key belongs in [desk]" for name in keys_of("desk")},
    "calendar": "calendars are named tables: [calendars.NAME]",
    "levels": "escalation levels are [[escalation.levels]] tables",
}
CALENDAR_HINTS = {
    "hours": 'hours are given per weekday: mon = ["09:00-17:00"], tue = …',
    "country": 'did you mean "holiday_country"?',
}
