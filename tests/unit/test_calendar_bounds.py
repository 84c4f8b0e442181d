"""Working-time arithmetic on any valid policy finishes after a bounded amount of work
(SPEC §2; issue #10.2): however little working time a calendar has, a deadline is found or
refused with a clear error after laying out at most HORIZON_YEARS + 2 calendar years."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui_desk.core.calendar import (
    HORIZON_YEARS,
    LAST_YEAR,
    CalendarRangeError,
    WorkingCalendar,
)
from tui_desk.core.policy import WEEKDAYS
from tui_desk.core.policy_load import PolicyError, parse_policy_text

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]
# Lays out the year of the start, then HORIZON_YEARS more at most, plus one year on either
# side when a local year begins before or after the UTC instant asked for.
MAX_YEARS_BUILT = HORIZON_YEARS + 3
# Every MM-DD of a leap year, 02-29 included.
EVERY_DATE = [(date(2000, 1, 1) + timedelta(days=n)).strftime("%m-%d") for n in range(366)]


@st.composite
def spans(draw: st.DrawFn) -> list[str]:
    """A day's working hours: none, or up to three non-overlapping spans (1 minute at least)."""
    edges = sorted(draw(st.sets(st.integers(0, 24 * 60), max_size=6)))
    pairs = list(zip(edges[::2], edges[1::2], strict=False))
    return [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in pairs if b > a]


@st.composite
def policies(draw: st.DrawFn) -> tuple[str, int]:
    """A policy text with one calendar, and the working seconds of its longest reach."""
    week = {day: draw(spans()) for day in WEEKDAYS}
    assume(any(week.values()))
    yearly = draw(st.one_of(st.just(EVERY_DATE), st.lists(st.sampled_from(EVERY_DATE))))
    one_off = draw(st.lists(st.dates(date(2000, 1, 1), date(2160, 12, 31)), max_size=20))
    country = draw(st.sampled_from([None, "DE", "US"]))
    target_minutes = draw(st.integers(1, 3652 * 24 * 60))
    offset_minutes = draw(st.integers(0, 3652 * 24 * 60))
    lines = ["[desk]", 'timezone = "UTC"', "[calendars.c]"]
    lines.append(f"timezone = {json.dumps(draw(st.sampled_from(ZONES)))}")
    lines += [f"{day} = {json.dumps(hours)}" for day, hours in week.items() if hours]
    lines.append(f"holidays = {json.dumps(yearly + [d.isoformat() for d in one_off])}")
    if country:
        lines.append(f'holiday_country = "{country}"')
    lines += ["[sla.s]", 'calendar = "c"', "[sla.s.targets]"]
    lines.append(f'normal = {{ first_response = "{target_minutes}m" }}')
    if offset_minutes:
        lines += ["[[escalation.levels]]", 'name = "late"', f'at = "breach+{offset_minutes}m"']
    return "\n".join(lines) + "\n", (target_minutes + offset_minutes) * 60


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policies(),
    st.datetimes(datetime(2000, 1, 1), datetime(2150, 12, 31), timezones=st.just(UTC)),
)
def test_deadlines_on_any_valid_policy_take_a_bounded_number_of_years(
    policy_and_reach: tuple[str, int], start: datetime
) -> None:
    text, reach = policy_and_reach
    try:
        policy = parse_policy_text(text)
    except PolicyError:
        assume(False)
        return
    calendar = WorkingCalendar(policy.calendars["c"])  # not the shared one: count from zero
    try:
        due = calendar.add_working(start, reach)
    except CalendarRangeError as error:
        assert "working time" in str(error)
    else:
        assert calendar.working_seconds(start, due) == reach
    assert calendar.years_built <= MAX_YEARS_BUILT


def test_a_minute_a_week_and_the_longest_valid_target_finds_its_deadline_quickly() -> None:
    text = (
        '[desk]\ntimezone = "UTC"\n[calendars.c]\nmon = ["10:00-10:01"]\n'
        '[sla.s]\ncalendar = "c"\n[sla.s.targets]\nnormal = { first_response = "8h41m" }\n'
    )
    calendar = WorkingCalendar(parse_policy_text(text).calendars["c"])
    start = datetime(2026, 1, 5, tzinfo=UTC)
    due = calendar.add_working(start, 521 * 60)
    assert due.date() == (start + timedelta(weeks=520)).date() and due.minute == 1
    assert calendar.years_built <= 2 * 10 + 1  # steps of 1, 1, 2, 4, 8 years: at most double


def test_a_calendar_whose_every_date_is_a_holiday_fails_after_three_years() -> None:
    text = (
        '[desk]\ntimezone = "UTC"\n[calendars.c]\nmon = ["09:00-17:00"]\n'
        f"holidays = {json.dumps(EVERY_DATE)}\n"
        '[sla.s]\ncalendar = "c"\n[sla.s.targets]\nnormal = { first_response = "1h" }\n'
    )
    calendar = WorkingCalendar(parse_policy_text(text).calendars["c"])
    with pytest.raises(CalendarRangeError, match="no working time"):
        calendar.add_working(datetime(2026, 1, 5, tzinfo=UTC), 3600)
    assert calendar.years_built <= 5


def test_instants_beyond_the_supported_years_are_refused_without_laying_them_out() -> None:
    calendar = WorkingCalendar(
        parse_policy_text(
            '[desk]\ntimezone = "UTC"\n[calendars.c]\nmon = ["09:00-17:00"]\n'
            '[sla.s]\ncalendar = "c"\n[sla.s.targets]\nnormal = { first_response = "1h" }\n'
        ).calendars["c"]
    )
    calendar.position(int(datetime(2026, 1, 5, tzinfo=UTC).timestamp()) * 1_000_000)
    with pytest.raises(CalendarRangeError, match=f"1900-{LAST_YEAR}"):
        calendar.add_working(datetime(9999, 12, 1, tzinfo=UTC), 3600)
    assert calendar.years_built == 1
    assert CalendarRangeError.exit_code == 2
