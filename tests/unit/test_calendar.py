"""Working-time arithmetic (SPEC §3.4), hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.sla_factories import at, calendar_spec, every_day
from tui_desk.core.calendar import WorkingCalendar, to_epoch_us
from tui_desk.core.durations import Duration
from tui_desk.core.policy import CalendarSpec

HOUR = 3600
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def office(**extra) -> WorkingCalendar:
    return WorkingCalendar.for_spec(calendar_spec(**extra))


# ---- deadlines on a 09:00-18:00 weekday calendar ------------------------------------------


def test_created_friday_1730_with_1h_target_is_due_monday_0930():
    assert office().add_working(at("2026-11-20 17:30"), HOUR) == at("2026-11-23 09:30")


def test_deadline_landing_exactly_on_1800_is_1800_not_next_morning():
    assert office().add_working(at("2026-11-20 17:00"), HOUR) == at("2026-11-20 18:00")


def test_start_at_the_end_of_the_day_counts_from_next_morning():
    assert office().add_working(at("2026-11-19 18:00"), HOUR) == at("2026-11-20 10:00")


def test_start_outside_hours_begins_at_the_next_working_minute():
    calendar = office()
    assert calendar.add_working(at("2026-11-21 03:00"), 60) == at("2026-11-23 09:01")
    assert calendar.add_working(at("2026-11-23 07:00"), 30 * 60) == at("2026-11-23 09:30")


def test_zero_working_time_is_the_start_itself():
    assert office().add_working(at("2026-11-21 03:00"), 0) == at("2026-11-21 03:00")


def test_long_target_spans_weeks_by_whole_days():
    # 40 working hours from Monday 09:00 is Friday 13:00 (4 x 9 h + 4 h).
    assert office().add_working(at("2026-11-16 09:00"), 40 * HOUR) == at("2026-11-20 13:00")


def test_split_day_skips_the_lunch_break():
    hours = {"fri": ["09:00-13:00", "14:00-17:00"]}
    calendar = WorkingCalendar.for_spec(calendar_spec(hours))
    assert calendar.add_working(at("2026-11-20 12:30"), HOUR) == at("2026-11-20 14:30")
    assert calendar.working_seconds(at("2026-11-20 09:00"), at("2026-11-20 18:00")) == 7 * HOUR


def test_intervals_ending_at_2400_join_the_next_days_from_0000():
    hours = {"mon": ["20:00-24:00"], "tue": ["00:00-04:00"]}
    calendar = WorkingCalendar.for_spec(calendar_spec(hours))
    assert calendar.add_working(at("2026-11-16 23:00"), 2 * HOUR) == at("2026-11-17 01:00")
    assert calendar.working_seconds(at("2026-11-16 00:00"), at("2026-11-18 00:00")) == 8 * HOUR


def test_results_are_utc_aware():
    result = office().add_working(at("2026-11-20 17:30"), HOUR)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def test_subsecond_inputs_are_exact_to_the_microsecond():
    start = at("2026-11-16 10:00").replace(microsecond=250_000)
    assert office().add_working(start, 1.5) == at("2026-11-16 10:00:01.750000")
    assert office().working_seconds(start, at("2026-11-16 10:00:01")) == 0.75


def test_negative_amounts_go_back_to_the_latest_matching_instant():
    calendar = office()
    assert calendar.add_working(at("2026-11-23 09:30"), -HOUR) == at("2026-11-20 17:30")
    assert calendar.add_working(at("2026-11-23 09:00"), -HOUR) == at("2026-11-20 17:00")


# ---- measuring -----------------------------------------------------------------------------


def test_working_seconds_over_a_weekend_counts_only_hours():
    assert office().working_seconds(at("2026-11-20 17:30"), at("2026-11-23 09:30")) == HOUR


def test_working_seconds_is_negative_when_the_end_is_before_the_start():
    assert office().working_seconds(at("2026-11-23 09:30"), at("2026-11-20 17:30")) == -HOUR


def test_is_working_treats_intervals_as_half_open():
    calendar = office()
    assert calendar.is_working(at("2026-11-20 09:00"))
    assert calendar.is_working(at("2026-11-20 17:59:59"))
    assert not calendar.is_working(at("2026-11-20 18:00"))
    assert not calendar.is_working(at("2026-11-21 12:00"))


def test_next_working_instant():
    calendar = office()
    assert calendar.next_working_instant(at("2026-11-20 10:00")) == at("2026-11-20 10:00")
    assert calendar.next_working_instant(at("2026-11-20 18:00")) == at("2026-11-23 09:00")
    assert calendar.next_working_instant(at("2026-11-22 23:59")) == at("2026-11-23 09:00")


# ---- holidays --------------------------------------------------------------------------------


def test_one_off_holiday_in_the_middle_is_skipped():
    calendar = office(holidays=frozenset({date(2026, 11, 25)}))
    assert calendar.add_working(at("2026-11-24 17:00"), 2 * HOUR) == at("2026-11-26 10:00")


def test_yearly_holiday_is_skipped_every_year():
    calendar = office(yearly_holidays=frozenset({(12, 24), (12, 25)}))
    assert calendar.add_working(at("2026-12-23 17:30"), HOUR) == at("2026-12-28 09:30")
    assert calendar.add_working(at("2027-12-23 17:30"), HOUR) == at("2027-12-27 09:30")


def test_yearly_february_29_holiday_applies_in_leap_years_only():
    calendar = office(yearly_holidays=frozenset({(2, 29)}))
    assert calendar.add_working(at("2028-02-28 17:30"), HOUR) == at("2028-03-01 09:30")
    assert calendar.add_working(at("2027-02-26 17:30"), HOUR) == at("2027-03-01 09:30")


def test_holiday_country_public_holidays_are_skipped():
    # Good Friday (2026-04-03) and Easter Monday (2026-04-06) in Germany.
    calendar = office(holiday_country="DE")
    assert calendar.add_working(at("2026-04-02 17:30"), HOUR) == at("2026-04-07 09:30")


def test_holiday_country_with_subdivision():
    # Epiphany (2026-01-06) is a holiday in Bavaria, not in all of Germany.
    assert office(holiday_country="DE").add_working(at("2026-01-05 17:30"), HOUR) == at(
        "2026-01-06 09:30"
    )
    bavaria = office(holiday_country="DE-BY")
    assert bavaria.add_working(at("2026-01-05 17:30"), HOUR) == at("2026-01-07 09:30")


def test_unknown_holiday_country_is_refused():
    with pytest.raises(ValueError, match="XX"):
        WorkingCalendar(calendar_spec(holiday_country="XX"))


def test_holidays_are_whole_dates_in_the_calendars_zone():
    # Monday 2026-11-23 is a public holiday in Japan; Tokyo hours are 00:00-09:00 UTC.
    calendar = WorkingCalendar.for_spec(calendar_spec(timezone="Asia/Tokyo", holiday_country="JP"))
    friday_1730_tokyo = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert calendar.add_working(friday_1730_tokyo, HOUR) == datetime(
        2026, 11, 24, 0, 30, tzinfo=UTC
    )


# ---- time zones and DST ----------------------------------------------------------------------


def test_tokyo_calendar_evaluated_with_instants_in_utc():
    calendar = WorkingCalendar.for_spec(calendar_spec(timezone="Asia/Tokyo"))
    friday_1730_tokyo = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    due = calendar.add_working(friday_1730_tokyo, HOUR)
    assert due == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    assert due.astimezone(TOKYO).strftime("%a %H:%M") == "Mon 09:30"
    assert calendar.is_working(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    assert not calendar.is_working(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", "2026-03-29", 5),  # clocks go forward at 02:00
        ("Europe/Berlin", "2026-10-25", 7),  # clocks go back at 03:00
        ("Europe/Berlin", "2026-10-26", 6),
        ("America/New_York", "2026-03-08", 5),
        ("America/New_York", "2026-11-01", 7),
        ("America/New_York", "2026-11-02", 6),
    ],
)
def test_night_shift_containing_the_dst_jump_is_an_hour_shorter_or_longer(zone, day, hours):
    tz = ZoneInfo(zone)
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("00:00-06:00"), timezone=zone))
    midnight = at(f"{day} 00:00", tz)
    assert calendar.working_seconds(midnight, at(f"{day} 12:00", tz)) == hours * HOUR


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])
def test_day_shift_on_a_dst_sunday_is_still_nine_hours(day):
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("09:00-18:00")))
    assert calendar.working_seconds(at(f"{day} 00:00"), at(f"{day} 23:00")) == 9 * HOUR


def test_deadline_across_spring_forward_counts_real_elapsed_time():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("00:00-06:00")))
    due = calendar.add_working(at("2026-03-29 00:00"), 4 * HOUR)
    assert due == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") == "05:00 CEST"


def test_deadline_across_fall_back_lands_in_the_repeated_hour_second_pass():
    calendar = WorkingCalendar.for_spec(
        calendar_spec(every_day("00:00-06:00"), timezone="America/New_York")
    )
    due = calendar.add_working(at("2026-11-01 00:00", NEW_YORK), 2 * HOUR)
    # 00:00 EDT + 2 h real = 01:00 EST (the second 01:00 of the night).
    assert due == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:00 EST"


def test_interval_starting_at_a_nonexistent_time_starts_when_clocks_jump():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("02:30-05:00")))
    # 02:30 does not exist on 2026-03-29: work starts at 03:00 CEST, so 2 h instead of 2.5 h.
    assert calendar.working_seconds(at("2026-03-29 00:00"), at("2026-03-29 12:00")) == 2 * HOUR
    assert calendar.next_working_instant(at("2026-03-29 01:00")) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_interval_ending_at_a_nonexistent_time_ends_when_clocks_jump():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("01:00-02:30")))
    assert calendar.working_seconds(at("2026-03-29 00:00"), at("2026-03-29 12:00")) == HOUR


def test_interval_wholly_inside_the_gap_is_empty():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("02:15-02:45")))
    assert calendar.working_seconds(at("2026-03-29 00:00"), at("2026-03-29 12:00")) == 0
    assert calendar.working_seconds(at("2026-03-30 00:00"), at("2026-03-30 12:00")) == 30 * 60


def test_ambiguous_boundaries_take_first_occurrence_to_start_and_last_to_end():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("02:30-05:00")))
    # 02:30 CEST (00:30 UTC) to 05:00 CET (04:00 UTC): 3.5 h.
    assert calendar.working_seconds(at("2026-10-25 00:00"), at("2026-10-25 12:00")) == 3.5 * HOUR


def test_back_to_back_intervals_across_the_repeated_hour_count_it_once_per_pass():
    calendar = WorkingCalendar.for_spec(calendar_spec(every_day("00:00-02:30", "02:30-06:00")))
    assert calendar.working_seconds(at("2026-10-25 00:00"), at("2026-10-25 12:00")) == 7 * HOUR


# ---- always and day length -------------------------------------------------------------------


def test_always_calendar_is_plain_elapsed_time():
    calendar = WorkingCalendar.for_spec(
        CalendarSpec(name="always", timezone="Europe/Berlin", always=True)
    )
    assert calendar.add_working(at("2026-11-21 03:00"), 90 * 60) == at("2026-11-21 04:30")
    assert calendar.working_seconds(at("2026-03-29 00:00"), at("2026-03-29 06:00")) == 5 * HOUR
    assert calendar.is_working(at("2026-12-25 03:00"))
    assert calendar.day_seconds == 24 * HOUR


def test_always_calendar_is_always_working():
    calendar = WorkingCalendar.for_spec(CalendarSpec(name="always", timezone="UTC", always=True))
    moment = at("2026-12-25 03:00")
    assert calendar.next_working_instant(moment) == moment
    assert calendar.add_working(moment, -HOUR) == at("2026-12-25 02:00")


def test_integer_api_works_on_epoch_microseconds():
    calendar = office()
    friday_1730 = to_epoch_us(at("2026-11-20 17:30"))
    monday_0930 = calendar.add_working_us(friday_1730, HOUR * 1_000_000)
    assert monday_0930 == to_epoch_us(at("2026-11-23 09:30"))
    assert calendar.position(monday_0930) - calendar.position(friday_1730) == HOUR * 1_000_000
    assert calendar.instant_at(calendar.position(monday_0930)) == monday_0930
    assert calendar.latest_instant_at(
        calendar.position(friday_1730 + 3600 * 1_000_000)
    ) == to_epoch_us(at("2026-11-23 09:00"))


def test_day_length_defaults_to_the_most_common_working_weekday_length():
    hours = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu")} | {
        "fri": ["09:00-16:00"]
    }
    assert WorkingCalendar.for_spec(calendar_spec(hours)).day_seconds == 9 * HOUR


def test_day_length_tie_goes_to_the_longer_length():
    hours = dict.fromkeys(("mon", "tue", "wed"), ["09:00-17:00"]) | dict.fromkeys(
        ("thu", "fri", "sat"), ["09:00-15:00"]
    )
    assert WorkingCalendar.for_spec(calendar_spec(hours)).day_seconds == 8 * HOUR


def test_explicit_day_length_defines_d():
    calendar = office(day_length=Duration(seconds=8 * HOUR))
    assert calendar.day_seconds == 8 * HOUR
    assert calendar.to_seconds(Duration(days=2, seconds=1800)) == 16 * HOUR + 1800
    assert calendar.add_working(
        at("2026-11-16 10:00"), calendar.to_seconds(Duration(days=1))
    ) == at("2026-11-16 18:00")


def test_one_d_on_a_nine_hour_day_is_the_same_time_next_working_day():
    calendar = office()
    assert calendar.add_working(
        at("2026-11-20 10:00"), calendar.to_seconds(Duration(days=1))
    ) == at("2026-11-23 10:00")


def test_always_calendar_with_day_length():
    spec = CalendarSpec(
        name="a", timezone="UTC", always=True, day_length=Duration(seconds=8 * HOUR)
    )
    assert WorkingCalendar.for_spec(spec).day_seconds == 8 * HOUR


# ---- the table and its limits ----------------------------------------------------------------


def test_far_deadlines_and_past_years_extend_the_table_both_ways():
    calendar = WorkingCalendar(calendar_spec(holiday_country="DE"))
    start = at("2026-06-01 11:00")
    far = calendar.add_working(start, 5000 * HOUR)  # about 2.5 years ahead
    assert far.year == 2028
    assert calendar.working_seconds(start, far) == 5000 * HOUR
    past = at("2019-03-04 11:00")
    total = calendar.working_seconds(past, start)
    by_year = sum(
        calendar.working_seconds(
            max(past, at(f"{year}-01-01 00:00")), min(start, at(f"{year + 1}-01-01 00:00"))
        )
        for year in range(2019, 2027)
    )
    assert total == by_year > 0
    assert calendar.add_working(past, total) == start
    # From an interval start, the earliest instant with that working time is the previous end.
    monday_0900 = at("2026-06-01 09:00")
    assert calendar.add_working(past, calendar.working_seconds(past, monday_0900)) == at(
        "2026-05-29 18:00"
    )


def test_equal_specs_share_one_calendar():
    assert WorkingCalendar.for_spec(calendar_spec()) is WorkingCalendar.for_spec(calendar_spec())


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        office().add_working(datetime(2026, 11, 20, 10, 0), HOUR)


def test_calendar_without_hours_is_refused():
    with pytest.raises(ValueError, match="no working hours"):
        WorkingCalendar(calendar_spec({}))


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        WorkingCalendar(calendar_spec(timezone="Mars/Olympus"))


def test_calendar_whose_every_working_day_is_a_holiday_fails_instead_of_looping():
    every_sunday_is_off = {
        (month, day) for month in range(1, 13) for day in range(1, 32) if _valid(month, day)
    }
    calendar = WorkingCalendar(
        calendar_spec({"sun": ["09:00-10:00"]}, yearly_holidays=frozenset(every_sunday_is_off))
    )
    with pytest.raises(ValueError, match="no working time"):
        calendar.add_working(at("2026-11-20 10:00"), HOUR)


def _valid(month: int, day: int) -> bool:
    try:
        date(2028, month, day)
    except ValueError:
        return False
    return True


def test_instants_at_interval_edges_measure_consistently():
    calendar = office()
    day_start, day_end = at("2026-11-20 09:00"), at("2026-11-20 18:00")
    assert calendar.working_seconds(day_start, day_end) == 9 * HOUR
    assert calendar.working_seconds(day_end, day_end + timedelta(hours=15)) == 0
