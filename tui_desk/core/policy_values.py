"""The parser of each kind of policy value (SPEC §2): durations, sizes, spans of working
hours, holidays, `warn_at`, escalation `at`, time zones, holiday countries and notifier argv.

Each parser turns a TOML value into its typed model value (a `Duration`, minutes after
midnight, a `WarnAt`, …) or raises `BadValue` with the message and the fix. The validator
and the model use these parsers and no others, so every value is parsed once, here.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tui_desk.core.durations import Duration, format_duration_spec, parse_duration
from tui_desk.core.policy import WarnAt
from tui_desk.core.text import format_size, parse_size

NOTIFY_PLACEHOLDERS = ("title", "body", "ticket", "level")


def show_value(value: Any) -> str:
    """A value as it would be written in TOML, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(show_value(item) for item in value) + "]"
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def quoted(names: Iterable[str]) -> str:
    """'"a", "b" or "c"'."""
    items = [json.dumps(name, ensure_ascii=False) for name in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate `word` most likely misspells (ignoring case), if any is close."""
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, braces: bool = False) -> str | None:
    best = closest(word, candidates)
    if best is None:
        return None
    return f"did you mean {{{best}}}?" if braces else f'did you mean "{best}"?'


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class BadValue(Exception):
    """A value that failed a check: the message and the fix, for the caller to report."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# ------------------------------------------------------------------------------------------
# Value checks (pure; raise BadValue)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ONE_OFF_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEARLY_DATE = re.compile(r"^(\d{2})-(\d{2})$")
_ESCALATION_AT = re.compile(r"^\s*(warning|breach)\s*(?:\+\s*(.*?))?\s*$")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
DURATION_HINT = 'write it like "45m", "4h", "1h30m" or "2d" (units d, h, m, s; biggest first)'
# The largest quota: far beyond any real plan, small enough for every computation on it.
MAX_QUOTA_TICKETS = 1_000_000
# SPEC §2: no duration or offset beyond 10 years, so that arithmetic on any valid policy
# finishes in bounded time. Counted with "1d" as 24 h (a working day is never longer).
MAX_DURATION = Duration(days=3652)
_MAX_DURATION_SECONDS = MAX_DURATION.to_seconds(86_400)
# A target plus the latest escalation offset must fall within 10 years of calendar time,
# that is within this many whole weeks of the calendar's working hours (10 × 365 days).
REACH_WEEKS = 521


MAX_BODY_SIZE_BOUNDS = (1_000, 100_000_000)  # 1KB .. 100MB: a message, not an archive


def parse_body_size(value: Any) -> int:
    """desk.max_body_size in bytes ("1MB" -> 1_000_000), or BadValue."""
    low, high = MAX_BODY_SIZE_BOUNDS
    hint = f'a size between {format_size(low)} and {format_size(high)}, e.g. "1MB"'
    if not isinstance(value, str):
        raise BadValue(f"expected a size in quotes, got {show_value(value)}", hint)
    try:
        size = parse_size(value)
    except ValueError:
        raise BadValue(f"{show_value(value)} is not a size", hint) from None
    if not low <= size <= high:
        raise BadValue(f"{show_value(value)} is out of range", hint)
    return size


def parse_policy_duration(value: Any) -> Duration:
    """A policy duration, or BadValue saying how to write one."""
    if not isinstance(value, str):
        hint = DURATION_HINT
        if is_int(value):
            hint = f'durations are text with a unit: did you mean "{value}m" or "{value}h"?'
        raise BadValue(f"expected a duration in quotes, got {show_value(value)}", hint)
    try:
        parsed = parse_duration(value)
    except ValueError as error:
        reason = str(error)
        if "repeats the unit" in reason:
            hint = 'give each unit once, e.g. "1h30m"'
        elif "biggest first" in reason:
            hint = 'write the units biggest first, e.g. "1h30m"'
        else:
            hint = DURATION_HINT
        raise BadValue(f"{show_value(value)} is not a duration", hint) from None
    return bounded(parsed, value)


def bounded(duration: Duration, value: Any) -> Duration:
    """`duration` if it is at most MAX_DURATION, else BadValue (every duration and offset)."""
    if duration.to_seconds(86_400) > _MAX_DURATION_SECONDS:
        raise BadValue(
            f"{show_value(value)} is longer than 10 years",
            f'durations and offsets may be at most 10 years: "{MAX_DURATION}" or '
            f'"{MAX_DURATION.days * 24}h"',
        )
    return duration


def parse_span(text: str) -> tuple[int, int]:
    """ "09:00-17:30" -> minutes after midnight (start, end); BadValue if not a span."""
    match = _SPAN.match(text)
    if not match:
        raise BadValue(
            f"{show_value(text)} is not a span of working hours",
            'write it as "HH:MM-HH:MM", e.g. "09:00-17:30"',
        )
    start = _minute_of_day(int(match[1]), int(match[2]), text)
    end = _minute_of_day(int(match[3]), int(match[4]), text)
    if start == 24 * 60:
        raise BadValue(f"{show_value(text)} starts at 24:00", "24:00 may only end a span")
    if end == start:
        raise BadValue(f"{show_value(text)} is empty: it starts and ends at the same time")
    if end < start:
        raise BadValue(
            f"{show_value(text)} is reversed: it ends before it starts",
            'hours cannot cross midnight: split it into "22:00-24:00" on one day '
            'and "00:00-06:00" on the next',
        )
    return start, end


def _minute_of_day(hours: int, minutes: int, text: str) -> int:
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise BadValue(
            f"{show_value(text)} has a time that does not exist", "times run from 00:00 to 24:00"
        )
    return hours * 60 + minutes


def format_span(start: int, end: int) -> str:
    """The canonical spelling of a span: "09:00-17:30"."""
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def parse_holiday(value: Any) -> date | tuple[int, int]:
    """A one-off "YYYY-MM-DD" holiday as a date, a yearly "MM-DD" one as (month, day)."""
    hint = 'write one-off holidays as "2026-12-24" and yearly ones as "12-24"'
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # an unquoted TOML date is fine too
    if not isinstance(value, str):
        raise BadValue(f"expected a date in quotes, got {show_value(value)}", hint)
    try:
        if _ONE_OFF_DATE.match(value):
            return date.fromisoformat(value)
        yearly = _YEARLY_DATE.match(value)
        if yearly:
            date(2000, int(yearly[1]), int(yearly[2]))  # a leap year, so 02-29 is allowed
            return int(yearly[1]), int(yearly[2])
    except ValueError:
        raise BadValue(f"{show_value(value)} is not a real date", hint) from None
    raise BadValue(f"{show_value(value)} is not a date", hint)


def format_holiday(day: date | tuple[int, int]) -> str:
    """The canonical spelling of a holiday: "2026-12-24", or "12-24" every year."""
    return day.isoformat() if isinstance(day, date) else f"{day[0]:02d}-{day[1]:02d}"


def parse_warn_at(value: Any) -> WarnAt:
    """warn_at: a share "75%" (0 < share < 100) or a positive duration before the due."""
    hint = (
        'use a share of the target below 100% like "75%", or a time before the deadline like "30m"'
    )
    if isinstance(value, float | int) and not isinstance(value, bool):
        if 0 < value < 1:
            hint = f'did you mean "{value * 100:g}%"?'
        elif 1 <= value < 100:
            hint = f'did you mean "{value:g}%"?'
        raise BadValue(f"expected a share or a duration in quotes, got {show_value(value)}", hint)
    if not isinstance(value, str):
        raise BadValue(f"expected a share or a duration in quotes, got {show_value(value)}", hint)
    percent = _PERCENT.match(value)
    if percent:
        share = float(percent[1])
        if share >= 100:
            raise BadValue(
                f"{show_value(value)} is not below 100%: the clock would never warn before it breaches",
                hint,
            )
        if share <= 0:
            raise BadValue(f"{show_value(value)} is not above 0%", hint)
        return WarnAt(fraction=share / 100, before=None)
    try:
        before = parse_duration(value)
    except ValueError:
        raise BadValue(
            f'{show_value(value)} is neither a share like "75%" nor a duration like "30m"', hint
        ) from None
    if before == Duration():
        raise BadValue(f"{show_value(value)} would warn only at the deadline itself", hint)
    return WarnAt(fraction=None, before=bounded(before, value))


def format_warn_at(warn_at: WarnAt) -> str:
    """The canonical spelling of warn_at: "75%" or "30m"."""
    if warn_at.fraction is not None:
        return f"{warn_at.fraction * 100:g}%"
    return format_duration_spec(warn_at.before or Duration())


def parse_escalation_at(value: Any) -> tuple[Literal["warning", "breach"], Duration]:
    """ "warning" | "breach" | "breach+DURATION" -> (kind, working time after it)."""
    hint = 'write at = "warning", "breach" or "breach+2h" (working time after the breach)'
    if not isinstance(value, str):
        raise BadValue(f"expected text in quotes, got {show_value(value)}", hint)
    match = _ESCALATION_AT.match(value)
    if not match:
        raise BadValue(f"{show_value(value)} is not warning, breach or breach+DURATION", hint)
    kind: Literal["warning", "breach"] = "warning" if match[1] == "warning" else "breach"
    extra = match[2]
    if extra is None:
        return kind, Duration()
    if kind == "warning":
        raise BadValue(
            f"{show_value(value)}: only breach takes a +DURATION",
            'use "warning", or "breach+DURATION"',
        )
    try:
        after = parse_duration(extra)
    except ValueError:
        raise BadValue(
            f"{show_value(value)}: {show_value(extra)} is not a duration", DURATION_HINT
        ) from None
    if after == Duration():
        raise BadValue(f'{show_value(value)} is the same as "breach"', 'write at = "breach"')
    return kind, bounded(after, value)


def format_escalation_at(kind: str, after: Duration) -> str:
    """The canonical spelling of an escalation level's `at`: "breach+2h"."""
    return f"breach+{format_duration_spec(after)}" if after != Duration() else kind


# notify_command (SPEC §5: the notifier is argv, never a shell). The rule: a placeholder is
# a whole argument or nothing. Text built around a placeholder ("notify-send {title}",
# "--eval=…{title}…") is refused whatever the program, because no list of programs can
# say which of them run such text as code (sh -c, flock -c, script -c, make --eval, awk,
# watch, …). There is no opt-in: every composition has a safe spelling, a shell that gets
# the placeholders as positional arguments (SAFE_NOTIFY_FORM).
SAFE_NOTIFY_FORM = '["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]'
# A second net for a whole-argument placeholder that a well-known program still runs as
# code: the script of a shell's -c (also behind env, sudo, timeout …), the code option of
# an interpreter, and every later argument of a program that joins its arguments into a
# shell line (ssh; watch unless -x/--exec). Best effort by nature; the rule above is the
# guarantee.
_SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "busybox")
_CODE_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    **{shell: ((), "c") for shell in _SHELLS},
    "su": (("--command",), "c"),
    "flock": (("--command",), "c"),
    "script": (("--command",), "c"),
    "python": ((), "c"),
    "perl": ((), "eE"),
    "ruby": ((), "e"),
    "node": (("--eval", "--print"), "ep"),
    "php": (("--run",), "r"),
    "awk": (("--source",), "e"),
    "gawk": (("--source",), "e"),
    "env": (("--split-string",), "S"),  # env -S "sh -c '…'" splits the text into argv
}
# Programs whose every later argument reaches a shell: (program, options that turn it off).
SHELL_TAIL: dict[str, tuple[str, ...]] = {"ssh": (), "watch": ("-x", "--exec")}


def _program_name(argument: str) -> str:
    """The program an argv element names: "/usr/bin/python3.12" -> "python"."""
    name = argument.rsplit("/", 1)[-1].lower().removesuffix(".exe")
    return re.sub(r"[\d.]+$", "", name) or name


def placeholders_run_as_code(argv: Sequence[str]) -> list[tuple[int, str]]:
    """(index, program) of each whole-argument placeholder that a well-known program runs
    as shell code or as a program's source."""
    found: list[tuple[int, str]] = []
    for position, argument in enumerate(argv):
        program = _program_name(argument)
        if program in SHELL_TAIL:
            rest = argv[position + 1 :]
            if not any(option in SHELL_TAIL[program] for option in rest):
                found.extend(
                    (position + 1 + offset, program)
                    for offset, later in enumerate(rest)
                    if _has_placeholder(later)
                )
            continue
        if program not in _CODE_OPTIONS:
            continue
        long_options, letters = _CODE_OPTIONS[program]
        for index in range(position + 1, len(argv) - 1):
            option = argv[index]
            takes_code = option.lower() in long_options or (
                bool(letters)
                and option.startswith("-")
                and not option.startswith("--")
                and option[-1:] in letters
            )
            code = index + 2 if argv[index + 1] == "--" and index + 2 < len(argv) else index + 1
            if takes_code and _has_placeholder(argv[code]):
                found.append((code, program))
    return sorted(set(found))


def _has_placeholder(argument: str) -> bool:
    return any(name in NOTIFY_PLACEHOLDERS for name in PLACEHOLDER.findall(argument))


def embedded_placeholders(argument: str) -> list[str]:
    """The known placeholders in an argument that is more than one placeholder."""
    names = [name for name in PLACEHOLDER.findall(argument) if name in NOTIFY_PLACEHOLDERS]
    return [] if not names or PLACEHOLDER.fullmatch(argument) else names


@functools.lru_cache(maxsize=256)
def zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a directory name
        return False
    return True


@functools.lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone_hint(name: str) -> str:
    zones = _zone_names()
    wanted = name.strip().replace(" ", "_").lower()
    same_city = [zone for zone in zones if zone.lower().rsplit("/", 1)[-1] == wanted]
    best = same_city[0] if same_city else closest(name.replace(" ", "_"), zones)
    if best is None:
        cities = {zone.rsplit("/", 1)[-1].lower(): zone for zone in zones}
        city = closest(wanted.rsplit("/", 1)[-1], cities, cutoff=0.8)
        best = cities[city] if city else None
    if best is not None:
        return f'did you mean "{best}"?'
    return 'use an IANA zone name like "Europe/Berlin", "America/New_York" or "UTC"'


@functools.lru_cache(maxsize=1)
def holiday_regions() -> dict[str, tuple[str, ...]]:
    """Country codes the `holidays` package knows, each with its subdivision codes."""
    import holidays  # imported here: it is only needed when a calendar names a country

    return {
        country: tuple(regions) for country, regions in holidays.list_supported_countries().items()
    }


def check_holiday_country(code: str) -> None:
    """BadValue unless `code` is a country ("DE") or a country's subdivision ("DE-BY") that
    the holidays package has public holidays for (the codes `core.calendar` looks up)."""
    regions = holiday_regions()
    country, dash, region = code.partition("-")
    if country in regions and (not dash or region in regions[country]):
        return
    message = f"{show_value(code)} is not a country the holidays package knows"
    if country in regions:
        message = f"{show_value(code)} is not a region of {country} the holidays package knows"
    raise BadValue(message, country_hint(code))


def country_hint(code: str) -> str:
    regions = holiday_regions()
    country, dash, region = code.upper().partition("-")
    if dash and country in regions:
        best = closest(region, regions[country])
        if best is not None:
            return f'did you mean "{country}-{best}"?'
        listing = ", ".join(regions[country][:12]) + (", …" if len(regions[country]) > 12 else "")
        return f'regions of {country}: {listing or "none"}; or use "{country}" alone'
    if code.upper() in regions:
        return f'did you mean "{code.upper()}"?'
    by_name = _country_names()
    name = closest(code.replace(" ", ""), by_name)
    if name is not None:
        return f'did you mean "{by_name[name]}" ({name})?'
    return 'use a two-letter ISO 3166 code like "DE", "US" or "GB", or a region like "DE-BY"'


def _country_names() -> dict[str, str]:
    try:
        from holidays.registry import COUNTRIES
    except ImportError:
        return {}
    return {entry[0]: entry[1] for entry in COUNTRIES.values()}
