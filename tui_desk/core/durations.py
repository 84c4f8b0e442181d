"""Duration strings of the policy file ("45m", "1h30m", "2d") and their display."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"^(?:\d+[dhms])+$")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True, slots=True)
class Duration:
    """A policy duration: whole days (whose length depends on a calendar) plus seconds."""

    days: int = 0
    seconds: int = 0

    def to_seconds(self, day_seconds: int) -> int:
        """The duration in seconds, given how long one `d` is."""
        return self.days * day_seconds + self.seconds

    def __str__(self) -> str:
        return format_duration_spec(self)


def parse_duration(text: str) -> Duration:
    """Parse "1h30m", "2d", "45m" (units d, h, m, s, each at most once, biggest first).

    Raises ValueError with a message meant for the user.
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact or not _WHOLE.match(compact):
        raise ValueError(f'{text!r} is not a duration; write it like "45m", "4h", "1h30m" or "2d"')
    units_seen: list[str] = []
    days = seconds = 0
    for amount, unit in _PART.findall(compact):
        if unit in units_seen:
            raise ValueError(f"{text!r} repeats the unit {unit!r}")
        units_seen.append(unit)
        if unit == "d":
            days += int(amount)
        else:
            seconds += int(amount) * _UNIT_SECONDS[unit]
    order = "dhms"
    if units_seen != sorted(units_seen, key=order.index):
        raise ValueError(f'{text!r}: write the units biggest first, like "1h30m"')
    return Duration(days=days, seconds=seconds)


def format_duration_spec(duration: Duration) -> str:
    """The canonical policy spelling of a duration ("1d4h", "90m" -> "1h30m")."""
    parts = []
    if duration.days:
        parts.append(f"{duration.days}d")
    hours, rest = divmod(duration.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if seconds:
        parts.append(f"{seconds}s")
    return "".join(parts) or "0m"


MINUS = "\u2212"  # the minus sign, not a hyphen: "−12m" reads as a number
# The unit of SLA countdowns (`core.sla.Clock.countdown`), named wherever they are shown.
COUNTDOWN_UNIT = (
    "Countdowns are the working time left on the clock's SLA calendar, negative when overdue; "
    "1d is that calendar's working day (its day_length, e.g. 8h): −1d 3h is 11 working hours "
    "overdue on an 8 h day. ‖ paused, ✓ met, ✗ missed."
)


def format_span(seconds: float, *, day_seconds: int) -> str:
    """Countdown text of a span: "2h 10m", "1d 3h", "45s"; "−1d 3h" when negative.

    `day_seconds` is what one `d` means and has no default on purpose: for an SLA clock it
    is its calendar's working day (`day_length`, SPEC §3.4), the same "1d" the policy file
    means, so 113 working hours on an 8 h calendar read "14d 1h", never "4d 17h". Spans of
    wall-clock time (a quota resetting) pass 86 400. Amounts round towards zero.
    """
    if day_seconds <= 0:
        raise ValueError(f"a day of {day_seconds} seconds")
    sign = MINUS if seconds < 0 else ""
    total = int(abs(seconds))
    days, rest = divmod(total, day_seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        text = f"{hours}h {minutes:02d}m"
    elif minutes:
        text = f"{minutes}m"
    else:
        text = f"{secs}s"
    return sign + text
