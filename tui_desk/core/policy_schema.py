"""The declaration of every policy key (SPEC §2): which table it belongs to, its default,
and what it means. Validation takes the allowed keys and the defaults from here, the model's
defaults come from here, and docs/policy.md's key tables are generated from it
(`with_key_tables`; a test fails when the document drifts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CLOCKS: tuple[str, ...] = ("first_response", "next_response", "resolution")
STATUS_CATEGORIES = ("active", "paused", "solved", "void")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WEEK_STARTS = ("monday", "sunday", "saturday")
REOPEN_MODES = ("resume", "keep")
QUOTA_PERIODS = ("week", "month", "quarter", "year", "term")
ANCHORS = ("calendar", "contract")
OVERAGES = ("no_sla", "billable")
QUOTA_KEYS = ("tickets", "per")
RULE_CONDITIONS = (
    "subject_contains",
    "body_contains",
    "from_domain",
    "from_address",
    "customer",
    "channel",
    "has_tag",
)
RULE_ACTIONS = ("priority", "product", "tags", "assignee", "sla")
LEVEL_ACTIONS = ("priority", "assignee", "tags")
TOP_KEYS = (
    "desk",
    "statuses",
    "priorities",
    "calendars",
    "sla",
    "plans",
    "rules",
    "escalation",
    "keys",
)


class _Required:
    """The default of a key that must be written."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Setting:
    """One key of the policy file: its table ("sla.NAME"), name, default and meaning.

    `default` is a TOML value, REQUIRED, or None when leaving the key out means "none"
    (or, where `shown` says so, something computed). `keys` names several keys that share
    one row of the documentation (the weekdays).
    """

    table: str
    name: str
    default: Any
    doc: str
    shown: str | None = None  # the default column, when the default is not a plain value
    keys: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.keys or (self.name,)

    def default_text(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.default is REQUIRED:
            return "**required**"
        if self.default is None:
            return "none"
        return f"`{_toml(self.default)}`"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "desk",
        "timezone",
        REQUIRED,
        'IANA zone (`"Europe/Berlin"`). Quota periods, report periods, times typed without an offset, and the default zone of calendars. Unknown zones get a suggestion (`"Berlin"` → `"Europe/Berlin"`).',
    ),
    Setting(
        "desk",
        "name",
        "tui-desk",
        "Shown in the TUI and reports.",
    ),
    Setting(
        "desk",
        "week_starts",
        "monday",
        "`monday` \\| `sunday` \\| `saturday`: start of weekly quota and report periods.",
    ),
    Setting(
        "desk",
        "default_sla",
        None,
        'SLA policy for tickets with no active contract; must name an `[sla.NAME]`. Leave it out for "no SLA".',
    ),
    Setting(
        "desk",
        "repeat_window",
        "30d",
        "Calendar-day window for the new-vs-repeat ticket KPI.",
    ),
    Setting(
        "desk",
        "max_body_size",
        "1MB",
        'The longest message, reply or note accepted, in bytes of UTF-8: `"512KB"`, `"1MB"`, `"2MiB"` (KB/MB are 1000-based, KiB/MiB 1024-based); from 1KB to 100MB. A longer body is refused — exit 2 on the command line, a message in the composer — and nothing is written. See [security.md](security.md).',
    ),
    Setting(
        "statuses",
        "active",
        ["new", "open"],
        "Clocks run. At least one.",
    ),
    Setting(
        "statuses",
        "paused",
        ["pending", "on_hold"],
        "Clocks stop; deadlines shift by the paused working time. May be empty.",
    ),
    Setting(
        "statuses",
        "solved",
        ["solved", "closed"],
        "Resolution met; clocks stop. At least one.",
    ),
    Setting(
        "statuses",
        "void",
        ["spam", "merged"],
        "Not a real request: no SLA, no quota credit, not in KPIs. May be empty.",
    ),
    Setting(
        "statuses",
        "initial",
        "new",
        "Status of a new ticket. Must be an **active** status (its clocks start at creation).",
    ),
    Setting(
        "statuses",
        "reopen_to",
        "open",
        "Status a paused or solved ticket gets when the customer writes. Must be an **active** status (so the clocks run again, SPEC §3.6).",
    ),
    Setting(
        "priorities",
        "order",
        ["urgent", "high", "normal", "low"],
        "Most urgent first; at least one; no duplicates.",
    ),
    Setting(
        "priorities",
        "default",
        "normal",
        "Priority of a ticket nobody and no rule set; must be in `order`.",
    ),
    Setting(
        "calendars.NAME",
        "timezone",
        None,
        "The zone the hours are wall-clock times in.",
        shown="`desk.timezone`",
    ),
    Setting(
        "calendars.NAME",
        "always",
        False,
        "`true`: a 24×7 calendar of plain elapsed time. It may not have hours, holidays, `holiday_country` or `day_length`.",
    ),
    Setting(
        "calendars.NAME",
        "mon … sun",
        [],
        'The day\'s working spans. A day left out (or `[]`) is not a working day. Spans may not overlap (touching, like `"09:00-12:00"` and `"12:00-18:00"`, is fine), may not be reversed or empty, and cannot cross midnight — split a night shift over two days. Written back sorted.',
        keys=WEEKDAYS,
    ),
    Setting(
        "calendars.NAME",
        "holidays",
        [],
        'Whole days off: one-off `"YYYY-MM-DD"` and yearly `"MM-DD"`.',
    ),
    Setting(
        "calendars.NAME",
        "holiday_country",
        None,
        'Adds that country\'s public holidays, from the `holidays` package. Any code that package knows (`"DE"`, `"US"`, …), or one of its regions (`"DE-BY"`, `"US-CA"`: the national holidays plus the region\'s). Suggestions are made for country names (`"Germany"` → `"DE"`) and lower case.',
    ),
    Setting(
        "calendars.NAME",
        "day_length",
        None,
        'What `"1d"` means on this calendar: hours and minutes, more than zero, at most `"24h"`. Default: the most common working-weekday length (SPEC §3.4); 24h on an `always` calendar. Left out of the effective policy when not given, because the calendar computes it.',
        shown="see below",
    ),
    Setting(
        "sla.NAME",
        "calendar",
        REQUIRED,
        "Name of the calendar whose working time the clocks count.",
    ),
    Setting(
        "sla.NAME",
        "warn_at",
        "75%",
        'When a clock turns to *warning*: a share of its target (`"75%"`, strictly between 0% and 100%), or a working-time duration before the deadline (`"10m"`). A duration must be shorter than **every** target of this SLA (all priorities, all clocks; `"1d"` counted with the calendar\'s `day_length`): otherwise that clock would be in warning, and escalate, the moment it starts. The problem names each target it is not shorter than. `0.75` or `75` get a `did you mean "75%"?`.',
    ),
    Setting(
        "sla.NAME",
        "resolution_on_reopen",
        "resume",
        "`resume`: a reopened ticket's resolution clock continues from the working time it had accrued \\| `keep`: the first solve stands (SPEC §3.6).",
    ),
    Setting(
        "sla.NAME",
        "targets",
        REQUIRED,
        "One entry per priority.",
    ),
    Setting(
        "plans.NAME",
        "sla",
        REQUIRED,
        "The SLA policy of the plan's tickets; must name an `[sla.NAME]`.",
    ),
    Setting(
        "plans.NAME",
        "quota",
        "unlimited",
        '`"unlimited"` or `{ tickets = N, per = "month" }` with `N` a whole number from 0 to 1,000,000 and `per` one of `week` \\| `month` \\| `quarter` \\| `year` \\| `term`. (`tickets = 0` is allowed: every ticket is over quota, useful with `overage = "billable"`.)',
    ),
    Setting(
        "plans.NAME",
        "anchor",
        "calendar",
        '`calendar`: periods start on calendar boundaries in `desk.timezone` \\| `contract`: on the contract\'s start date (SPEC §4.1). Ignored for `per = "term"` and unlimited quotas.',
    ),
    Setting(
        "plans.NAME",
        "overage",
        "no_sla",
        "`no_sla`: tickets over quota get no SLA clocks \\| `billable`: they keep the SLA and are marked billable (SPEC §4.3).",
    ),
    Setting(
        "plans.NAME",
        "expiry_warning",
        None,
        "Calendar-day duration before a contract's end date from which the quota panel warns. Left out: no warning.",
    ),
    Setting(
        "rules",
        "name",
        None,
        "Shown in the ticket's log.",
        shown='`"rule N"` (its position)',
    ),
    Setting(
        "rules",
        "when",
        {},
        "Conditions, all of which must hold; each is a **list** of alternatives, any of which matches: `subject_contains`, `body_contains`, `from_domain`, `from_address`, `customer`, `channel`, `has_tag`. Text matching is case-insensitive and Unicode-aware (NFKC). An empty `when` matches every ticket.",
    ),
    Setting(
        "rules",
        "set",
        {},
        "Actions: `priority` (a known priority), `product`, `tags` (a list; added), `assignee`, `sla` (a known SLA policy; overrides the plan's).",
    ),
    Setting(
        "rules",
        "stop",
        False,
        "`true`: no later rule runs for a ticket this rule matched.",
    ),
    Setting(
        "escalation",
        "notify_command",
        None,
        'Command run once per level reached: an argv **list**, never a shell line. The placeholders `{title}`, `{body}`, `{ticket}`, `{level}` each stand for a whole argument; any other `{word}` is an error (with "did you mean"). A placeholder inside a larger argument (`"notify-send {title}"`, `"Ticket {ticket}"`) is refused whatever the program, and so is a whole-argument placeholder that a well-known program runs as code (`["sh", "-c", "{body}"]`, any argument of `ssh`). Build text with a shell that gets the placeholders as arguments of their own: `["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]` (see docs/escalation.md). The default policy leaves it commented out, so nothing is executed unless you opt in.',
    ),
    Setting(
        "escalation",
        "levels",
        [],
        "`[[escalation.levels]]` tables, in the order they are reached.",
    ),
    Setting(
        "escalation.levels",
        "name",
        REQUIRED,
        "Unique among the levels.",
    ),
    Setting(
        "escalation.levels",
        "at",
        REQUIRED,
        '`"warning"` (a clock reaches its warn threshold) \\| `"breach"` (a clock passes its due) \\| `"breach+DURATION"` (that much *working* time after the due, e.g. `"breach+2h"`, `"breach+1d"`). Spaces around `+` are accepted; `"breach+0m"` is refused in favour of `"breach"`.',
    ),
    Setting(
        "escalation.levels",
        "notify",
        [],
        "Operator names or roles to notify.",
    ),
    Setting(
        "escalation.levels",
        "set",
        {},
        "Action run once when the level is reached: `priority` (a known priority), `assignee`, `tags` (a list; added).",
    ),
)


def keys_of(table: str) -> tuple[str, ...]:
    """The keys allowed in `table` ("desk", "calendars.NAME", "escalation.levels", …)."""
    return _KEYS.get(table, ())


def default(table: str, name: str) -> Any:
    """The declared default of a key (a TOML value; a list is a fresh copy)."""
    value = _DEFAULTS[table, name]
    return list(value) if isinstance(value, list) else value


def key_table(table: str) -> str:
    """The Markdown table of the keys of `table`, as docs/policy.md shows it."""
    rows = ["| Key | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        if setting.table == table:
            name = " … ".join(f"`{key}`" for key in (setting.names[0], setting.names[-1]))
            name = name if setting.keys else f"`{setting.name}`"
            rows.append(f"| {name} | {setting.default_text()} | {setting.doc} |")
    return "\n".join(rows)


_GENERATED = re.compile(
    r"(<!-- keys of (?P<table>[\w.]+): generated from tui_desk/core/policy_schema.py -->\n)"
    r".*?(\n<!-- end of keys -->)",
    re.DOTALL,
)


def with_key_tables(markdown: str) -> str:
    """`markdown` with every generated key table replaced by the declaration's."""
    return _GENERATED.sub(lambda m: m[1] + key_table(m["table"]) + m[3], markdown)


_KEYS: dict[str, tuple[str, ...]] = {}
_DEFAULTS: dict[tuple[str, str], Any] = {}
for _setting in SETTINGS:
    _KEYS[_setting.table] = _KEYS.get(_setting.table, ()) + _setting.names
    _DEFAULTS.update(
        dict.fromkeys(((_setting.table, name) for name in _setting.names), _setting.default)
    )


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return "{}" if value == {} else str(value)
