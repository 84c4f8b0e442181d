"""Properties of working-time arithmetic and SLA clocks, over generated calendars and tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.unit.sla_factories import Ticket, make_policy
from tui_desk.core.calendar import WorkingCalendar
from tui_desk.core.policy import CalendarSpec
from tui_desk.core.sla import compute_sla

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Lord_Howe"]
ONE_US = timedelta(microseconds=1)
HOUR = 3600
ANY_MINUTE = st.integers(0, 1440)
ANY_ZONE = st.sampled_from(ZONES)


@st.composite
def day_spans(draw, boundaries=ANY_MINUTE) -> tuple[tuple[int, int], ...]:
    """0-3 non-overlapping (start, end) minute spans of one day."""
    points = sorted(draw(st.sets(boundaries, max_size=6)))
    points = points[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


@st.composite
def calendar_specs(draw, boundaries=ANY_MINUTE, zones=ANY_ZONE) -> CalendarSpec:
    week = tuple(draw(day_spans(boundaries)) for _ in range(7))
    assume(any(week))
    holidays = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=20))
    yearly = draw(st.frozensets(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=5))
    return CalendarSpec(
        name="generated",
        timezone=draw(zones),
        week=week,
        holidays=holidays,
        yearly_holidays=yearly,
    )


instants = st.datetimes(datetime(2025, 1, 1), datetime(2028, 6, 30), timezones=st.just(UTC))
amounts = st.integers(1, 300 * HOUR)


@settings(max_examples=300, deadline=None)
@given(calendar_specs(), instants, amounts)
def test_adding_then_measuring_back_gives_the_same_amount(spec, start, seconds):
    calendar = WorkingCalendar.for_spec(spec)
    due = calendar.add_working(start, seconds)
    assert due > start
    assert calendar.working_seconds(start, due) == seconds
    # ...and it is the earliest such instant.
    assert calendar.working_seconds(start, due - ONE_US) < seconds


@settings(max_examples=200, deadline=None)
@given(calendar_specs(), instants, amounts)
def test_going_back_then_measuring_gives_the_same_amount(spec, end, seconds):
    calendar = WorkingCalendar.for_spec(spec)
    start = calendar.add_working(end, -seconds)
    assert start < end
    assert calendar.working_seconds(start, end) == seconds


@settings(max_examples=300, deadline=None)
@given(calendar_specs(), instants, amounts)
def test_due_is_never_in_non_working_time_except_exactly_at_an_interval_end(spec, start, seconds):
    calendar = WorkingCalendar.for_spec(spec)
    due = calendar.add_working(start, seconds)
    assert calendar.is_working(due) or calendar.is_working(due - ONE_US)


@settings(max_examples=200, deadline=None)
@given(calendar_specs(), instants, amounts, amounts)
def test_due_is_monotonic_in_the_target(spec, start, first, second):
    calendar = WorkingCalendar.for_spec(spec)
    low, high = sorted((first, second))
    assert calendar.add_working(start, low) <= calendar.add_working(start, high)


@settings(max_examples=200, deadline=None)
@given(calendar_specs(), instants, instants, instants)
def test_working_time_is_additive(spec, a, b, c):
    calendar = WorkingCalendar.for_spec(spec)

    def micro(x: datetime, y: datetime) -> int:  # exact integers: float sums would round
        return round(calendar.working_seconds(x, y) * 1_000_000)

    assert micro(a, b) + micro(b, c) == micro(a, c)


def _reference_working_minutes(spec: CalendarSpec, start: datetime, minutes: int) -> int:
    """Minute by minute: is the wall-clock minute inside one of its local date's intervals?"""
    zone = ZoneInfo(spec.timezone)
    count = 0
    for step in range(minutes):
        local = (start + timedelta(minutes=step)).astimezone(zone)
        minute_of_day = local.hour * 60 + local.minute
        if local.date() in spec.holidays or (local.month, local.day) in spec.yearly_holidays:
            continue
        if any(begin <= minute_of_day < end for begin, end in spec.week[local.weekday()]):
            count += 1
    return count


# Boundaries away from 01:00-03:00, where DST jumps make wall times vanish or repeat and the
# calendar's documented resolution differs from a literal minute-by-minute reading.
safe_boundaries = st.integers(0, 1440).filter(lambda minute: not 60 < minute < 180)
dst_weeks = st.sampled_from(
    [
        datetime(2026, 3, 27, 12, tzinfo=UTC),
        datetime(2026, 10, 23, 12, tzinfo=UTC),
        datetime(2026, 3, 6, 12, tzinfo=UTC),
        datetime(2026, 10, 30, 12, tzinfo=UTC),
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    calendar_specs(safe_boundaries, st.sampled_from(["Europe/Berlin", "America/New_York"])),
    dst_weeks,
    st.integers(0, 48 * 60),
)
def test_working_time_matches_a_minute_by_minute_count_across_dst(spec, around, offset):
    start = around + timedelta(minutes=offset)
    calendar = WorkingCalendar.for_spec(spec)
    minutes = 3 * 24 * 60
    expected = _reference_working_minutes(spec, start, minutes) * 60
    assert calendar.working_seconds(start, start + timedelta(minutes=minutes)) == expected


# ---- SLA clocks ------------------------------------------------------------------------------

POLICY = make_policy()
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@st.composite
def paused_tickets(draw) -> tuple[Ticket, Ticket]:
    """The same ticket twice: with random pending/open toggles, and without any."""
    created = MONDAY + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    gaps = draw(st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=6))
    paused, plain = Ticket(created), Ticket(created)
    when = created
    for index, gap in enumerate(gaps):
        when += timedelta(minutes=gap)
        paused.set_status(when, "pending" if index % 2 == 0 else "open")
    return paused, plain


@settings(max_examples=200, deadline=None)
@given(paused_tickets(), st.integers(0, 20 * 24 * 60))
def test_pauses_never_make_a_deadline_earlier(tickets, later):
    paused, plain = tickets
    now = paused.created + timedelta(minutes=later)
    with_pauses = compute_sla(POLICY, paused.history(), now).clocks["resolution"]
    without = compute_sla(POLICY, plain.history(), now).clocks["resolution"]
    assert with_pauses.due >= without.due
    assert with_pauses.elapsed_seconds <= without.elapsed_seconds


@settings(max_examples=200, deadline=None)
@given(paused_tickets(), st.integers(0, 20 * 24 * 60))
def test_elapsed_plus_remaining_is_the_target_and_elapsed_never_decreases(tickets, later):
    paused, _ = tickets
    now = paused.created + timedelta(minutes=later)
    earlier = compute_sla(POLICY, paused.history(), now - timedelta(minutes=later // 2)).clocks
    current = compute_sla(POLICY, paused.history(), now).clocks
    for name in ("first_response", "resolution"):
        clock = current[name]
        assert clock.elapsed_seconds + clock.remaining_seconds == clock.target_seconds
        assert earlier[name].elapsed_seconds <= clock.elapsed_seconds


@settings(max_examples=200, deadline=None)
@given(paused_tickets())
def test_a_clock_evaluated_at_its_own_due_has_used_exactly_its_target(tickets):
    paused, _ = tickets
    horizon = paused.created + timedelta(days=30)
    projected = compute_sla(POLICY, paused.history(), horizon).clocks["resolution"]
    assume(projected.state != "paused")  # a paused clock's due moves with now
    due = projected.due
    at_due = compute_sla(POLICY, paused.history(), due).clocks["resolution"]
    assert at_due.due == due
    assert (at_due.elapsed_seconds, at_due.remaining_seconds) == (at_due.target_seconds, 0)
    assert at_due.state in ("warning", "paused")


@st.composite
def solved_tickets(draw) -> Ticket:
    """A ticket with random replies, customer messages, pauses and priority changes, then a
    solve (or a solve and a close) as its last events."""
    created = MONDAY + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    ticket = Ticket(created, priority=draw(st.sampled_from(["urgent", "normal", "low"])))
    when = created
    steps = st.sampled_from(["reply", "message", "pending", "open", "urgent", "due"])
    for step in draw(st.lists(steps, max_size=6)):
        when += timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
        if step == "reply":
            ticket.reply(when)
        elif step == "message":
            ticket.message(when)
        elif step in ("pending", "open"):
            ticket.set_status(when, step)
        elif step == "urgent":
            ticket.set_priority(when, "urgent")
        else:
            ticket.set_due(when, (when + timedelta(hours=draw(st.integers(-5, 30)))).isoformat())
    when += timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
    ticket.set_status(when, "solved")
    if draw(st.booleans()):
        ticket.set_status(when + timedelta(days=draw(st.integers(0, 5))), "closed")
    return ticket


@settings(max_examples=200, deadline=None)
@given(solved_tickets(), st.integers(0, 60 * 24 * 60), st.integers(1, 400 * 24 * 60))
def test_after_a_solve_nothing_about_any_clock_changes_as_now_advances(ticket, after, later):
    last = ticket.events[-1].at
    first_look = compute_sla(POLICY, ticket.history(), last + timedelta(minutes=after))
    second_look = compute_sla(POLICY, ticket.history(), last + timedelta(minutes=after + later))
    assert first_look == second_look
    for clock in second_look.clocks.values():
        assert clock.state in ("none", "met", "missed")
        assert clock.countdown in ("\u2014", "\u2713", "\u2717")
