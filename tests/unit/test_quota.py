"""Contracts, quota periods, overage and forecast (SPEC §1, §3.1, §4), hand-computed.

Instants are written in UTC next to the local time they stand for, so that each expected
boundary can be checked by hand against the zone's offset on that date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tui_desk.core.durations import Duration
from tui_desk.core.policy import Plan
from tui_desk.core.quota import (
    ContractTerms,
    QuotaPeriod,
    contract_state,
    contract_term,
    decide_overage,
    forecast_exhaustion,
    quota_period,
    resets_at,
    select_contract,
    standing_period,
    usage_level,
)

BERLIN = "Europe/Berlin"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plan(
    tickets: int | None = 20,
    per: str | None = "month",
    anchor: str = "calendar",
    overage: str = "no_sla",
    expiry_warning: Duration | None = None,
) -> Plan:
    return Plan(
        name="p",
        sla="premium",
        quota_tickets=tickets,
        quota_per=None if tickets is None else per,
        anchor=anchor,  # type: ignore[arg-type]
        overage=overage,  # type: ignore[arg-type]
        expiry_warning=expiry_warning,
    )


def contract(
    start: str = "2026-01-01",
    end: str | None = None,
    product: str | None = None,
    contract_id: int = 1,
    customer_id: int = 1,
) -> ContractTerms:
    return ContractTerms(
        contract_id,
        customer_id,
        "p",
        product,
        date.fromisoformat(start),
        date.fromisoformat(end) if end else None,
    )


def period(
    p: Plan, c: ContractTerms, at: str, tz: str = BERLIN, week_starts: str = "monday"
) -> tuple[datetime, datetime | None]:
    found = quota_period(p, c, utc(at), tz, week_starts)
    return found.start.astimezone(UTC), found.end.astimezone(UTC) if found.end else None


# ----------------------------------------------------------------------------------------
# §4.1 weekly periods: boundaries at local midnight, in a zone ahead of UTC


def test_weekly_boundary_is_local_monday_midnight_in_tokyo_not_utc() -> None:
    weekly = plan(3, "week")
    # Sun 22 Nov 2026 23:30 JST = 14:30 UTC: still the week of Mon 16 Nov (JST).
    assert period(weekly, contract(), "2026-11-22T14:30", "Asia/Tokyo") == (
        utc("2026-11-15T15:00"),  # Mon 16 Nov 00:00 JST
        utc("2026-11-22T15:00"),  # Mon 23 Nov 00:00 JST
    )
    # Mon 23 Nov 00:30 JST = Sun 22 Nov 15:30 UTC: UTC says Sunday, but it is a new week.
    assert period(weekly, contract(), "2026-11-22T15:30", "Asia/Tokyo") == (
        utc("2026-11-22T15:00"),
        utc("2026-11-29T15:00"),
    )


def test_weekly_boundary_in_auckland_during_daylight_saving_time() -> None:
    weekly = plan(3, "week")
    # NZDT is UTC+13 in November. Sun 22 Nov 23:30 NZDT = Sun 10:30 UTC.
    assert period(weekly, contract(), "2026-11-22T10:30", "Pacific/Auckland") == (
        utc("2026-11-15T11:00"),
        utc("2026-11-22T11:00"),
    )
    # Mon 23 Nov 00:30 NZDT = Sun 11:30 UTC: the next week.
    assert period(weekly, contract(), "2026-11-22T11:30", "Pacific/Auckland")[0] == utc(
        "2026-11-22T11:00"
    )


def test_weeks_starting_on_sunday_and_on_saturday() -> None:
    weekly = plan(3, "week")
    wednesday = "2026-11-18T12:00"  # Wed 18 Nov 13:00 CET
    assert period(weekly, contract(), wednesday, week_starts="sunday") == (
        utc("2026-11-14T23:00"),  # Sun 15 Nov 00:00 CET
        utc("2026-11-21T23:00"),  # Sun 22 Nov
    )
    assert period(weekly, contract(), wednesday, week_starts="saturday") == (
        utc("2026-11-13T23:00"),  # Sat 14 Nov 00:00 CET
        utc("2026-11-20T23:00"),  # Sat 21 Nov
    )
    # Sat 21 Nov 00:30 CET opens a week that starts on Saturday.
    assert period(weekly, contract(), "2026-11-20T23:30", week_starts="saturday")[0] == utc(
        "2026-11-20T23:00"
    )
    # Sun 15 Nov 00:30 JST = Sat 14 Nov 15:30 UTC: a Sunday week has begun in Tokyo.
    assert period(weekly, contract(), "2026-11-14T15:30", "Asia/Tokyo", "sunday")[0] == utc(
        "2026-11-14T15:00"
    )


def test_contract_anchored_weeks_start_on_the_contract_weekday() -> None:
    weekly = plan(3, "week", anchor="contract")
    thursday_start = contract("2026-11-05")  # a Thursday
    assert period(weekly, thursday_start, "2026-11-18T12:00") == (
        utc("2026-11-18T23:00") - timedelta(days=7),  # Thu 12 Nov 00:00 CET
        utc("2026-11-18T23:00"),  # Thu 19 Nov 00:00 CET
    )


# ----------------------------------------------------------------------------------------
# §4.1 months, quarters, years: calendar and contract anchored


def test_calendar_month_runs_from_the_first_to_the_first_in_the_desk_zone() -> None:
    assert period(plan(), contract(), "2026-11-18T12:00") == (
        utc("2026-10-31T23:00"),  # 1 Nov 00:00 CET
        utc("2026-11-30T23:00"),  # 1 Dec 00:00 CET
    )
    # 1 Nov 00:30 CET is 31 Oct 23:30 UTC, already November's period.
    assert period(plan(), contract(), "2026-10-31T23:30")[0] == utc("2026-10-31T23:00")


def test_contract_anchored_month_on_the_31st_clamps_to_february_and_returns_to_31() -> None:
    monthly = plan(anchor="contract")
    on_31st = contract("2027-01-31")
    # 2027 is no leap year: 31 Jan, 28 Feb, 31 Mar, 30 Apr, 31 May.
    assert period(monthly, on_31st, "2027-02-15T12:00") == (
        utc("2027-01-30T23:00"),  # 31 Jan 00:00 CET
        utc("2027-02-27T23:00"),  # 28 Feb 00:00 CET
    )
    assert period(monthly, on_31st, "2027-02-27T22:59") == (
        utc("2027-01-30T23:00"),
        utc("2027-02-27T23:00"),
    )
    assert period(monthly, on_31st, "2027-02-27T23:00") == (  # 28 Feb 00:00 CET
        utc("2027-02-27T23:00"),
        utc("2027-03-30T22:00"),  # 31 Mar 00:00 CEST (DST began 28 Mar)
    )
    assert period(monthly, on_31st, "2027-03-30T22:00") == (
        utc("2027-03-30T22:00"),
        utc("2027-04-29T22:00"),  # 30 Apr 00:00 CEST
    )
    assert period(monthly, on_31st, "2027-05-10T10:00") == (
        utc("2027-04-29T22:00"),
        utc("2027-05-30T22:00"),  # 31 May
    )


def test_contract_anchored_month_in_a_leap_year_clamps_to_the_29th() -> None:
    monthly = plan(anchor="contract")
    on_31st = contract("2028-01-31")
    assert period(monthly, on_31st, "2028-02-28T12:00")[1] == utc("2028-02-28T23:00")  # 29 Feb
    assert period(monthly, on_31st, "2028-02-29T12:00") == (
        utc("2028-02-28T23:00"),
        utc("2028-03-30T22:00"),  # 31 Mar 2028 00:00 CEST (DST began 26 Mar)
    )


def test_contract_anchored_month_on_the_15th() -> None:
    assert period(plan(anchor="contract"), contract("2026-03-15"), "2026-11-14T22:59") == (
        utc("2026-10-14T22:00"),  # 15 Oct 00:00 CEST
        utc("2026-11-14T23:00"),  # 15 Nov 00:00 CET
    )


def test_calendar_quarter_and_year() -> None:
    assert period(plan(per="quarter"), contract(), "2026-11-18T12:00") == (
        utc("2026-09-30T22:00"),  # 1 Oct 00:00 CEST
        utc("2026-12-31T23:00"),  # 1 Jan 2027 00:00 CET
    )
    assert period(plan(per="quarter"), contract(), "2026-02-01T12:00") == (
        utc("2025-12-31T23:00"),
        utc("2026-03-31T22:00"),  # 1 Apr 00:00 CEST
    )
    assert period(plan(per="year"), contract(), "2026-11-18T12:00") == (
        utc("2025-12-31T23:00"),
        utc("2026-12-31T23:00"),
    )
    # 31 Dec 2026 23:30 UTC is already 1 Jan 2027 in Berlin.
    assert period(plan(per="year"), contract(), "2026-12-31T23:30")[0] == utc("2026-12-31T23:00")


def test_contract_anchored_quarter() -> None:
    quarterly = plan(per="quarter", anchor="contract")
    feb_15 = contract("2026-02-15")  # quarters start 15 Feb, 15 May, 15 Aug, 15 Nov
    assert period(quarterly, feb_15, "2026-11-18T12:00") == (
        utc("2026-11-14T23:00"),
        utc("2027-02-14T23:00"),
    )
    assert period(quarterly, feb_15, "2026-11-14T22:59") == (
        utc("2026-08-14T22:00"),
        utc("2026-11-14T23:00"),
    )
    # Starting on 30 Nov: the next quarters begin 28 Feb (clamped), then 30 May.
    nov_30 = contract("2026-11-30")
    assert period(quarterly, nov_30, "2027-03-01T12:00") == (
        utc("2027-02-27T23:00"),
        utc("2027-05-29T22:00"),
    )


def test_contract_anchored_year_on_a_leap_day() -> None:
    yearly = plan(per="year", anchor="contract")
    leap_day = contract("2024-02-29")
    # Anniversaries: 28 Feb in common years, 29 Feb in leap years.
    assert period(yearly, leap_day, "2026-11-18T12:00") == (
        utc("2026-02-27T23:00"),
        utc("2027-02-27T23:00"),
    )
    assert period(yearly, leap_day, "2028-02-28T12:00") == (
        utc("2027-02-27T23:00"),
        utc("2028-02-28T23:00"),  # 29 Feb 2028
    )
    assert period(yearly, leap_day, "2028-02-29T12:00")[0] == utc("2028-02-28T23:00")


# ----------------------------------------------------------------------------------------
# §4.1 term


def test_term_quota_covers_the_whole_contract() -> None:
    term = plan(100, "term")
    assert period(term, contract("2026-01-01"), "2026-11-18T12:00") == (
        utc("2025-12-31T23:00"),
        None,
    )
    # The end date is the last day covered: the term ends at midnight after it.
    assert period(term, contract("2026-01-01", "2026-06-30"), "2026-03-01T12:00") == (
        utc("2025-12-31T23:00"),
        utc("2026-06-30T22:00"),  # 1 Jul 00:00 CEST
    )


def test_unlimited_plans_count_per_calendar_month_for_display() -> None:
    assert period(plan(None), contract(), "2026-11-18T12:00") == (
        utc("2026-10-31T23:00"),
        utc("2026-11-30T23:00"),
    )


# ----------------------------------------------------------------------------------------
# §4.3 overage


def test_ticket_n_plus_one_is_over_quota_and_loses_its_sla_under_no_sla() -> None:
    three = plan(3, "week")
    for used_before in (0, 1, 2):
        decision = decide_overage(three, used_before)
        assert (decision.over_quota, decision.billable, decision.keeps_sla) == (
            False,
            False,
            True,
        )
    fourth = decide_overage(three, 3)
    assert (fourth.over_quota, fourth.billable, fourth.keeps_sla) == (True, False, False)
    assert decide_overage(three, 10).over_quota


def test_billable_overage_keeps_the_sla() -> None:
    fourth = decide_overage(plan(3, "week", overage="billable"), 3)
    assert (fourth.over_quota, fourth.billable, fourth.keeps_sla) == (True, True, True)


def test_unlimited_plans_are_never_over_quota() -> None:
    assert not decide_overage(plan(None), 10_000).over_quota


def test_a_zero_ticket_quota_makes_every_ticket_over_quota() -> None:
    assert decide_overage(plan(0), 0).over_quota


# ----------------------------------------------------------------------------------------
# §3.1 contract selection and §1 overlaps


def test_the_product_contract_wins_and_others_fall_back_to_the_general_one() -> None:
    general = contract("2026-01-01", contract_id=1)
    vault = contract("2026-01-01", product="securevault", contract_id=2)
    day = date(2026, 11, 18)
    assert select_contract([general, vault], "securevault", day) == vault
    assert select_contract([general, vault], None, day) == general
    assert select_contract([general, vault], "other", day) == general
    # A product contract never serves a ticket about nothing in particular.
    assert select_contract([vault], None, day) is None


def test_product_names_match_regardless_of_case() -> None:
    vault = contract("2026-01-01", product="SecureVault")
    assert select_contract([vault], "securevault", date(2026, 11, 18)) == vault


def test_only_a_contract_active_on_the_ticket_date_is_selected() -> None:
    ended = contract("2026-01-01", "2026-10-31", contract_id=1)
    later = contract("2026-12-01", contract_id=2)
    assert select_contract([ended, later], None, date(2026, 10, 31)) == ended  # last day
    assert select_contract([ended, later], None, date(2026, 11, 1)) is None
    assert select_contract([ended, later], None, date(2026, 12, 1)) == later
    # A product ticket whose product contract ended falls back to the general one.
    vault = contract("2026-01-01", "2026-06-30", product="securevault", contract_id=3)
    assert select_contract([vault, later], "securevault", date(2026, 12, 5)) == later


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (("2026-01-01", "2026-06-30", None), ("2026-06-30", None, None), True),  # shared day
        (("2026-01-01", "2026-06-30", None), ("2026-07-01", None, None), False),  # adjacent
        (("2026-01-01", None, None), ("2030-01-01", None, None), True),  # open-ended
        (("2026-03-01", "2026-04-01", None), ("2026-01-01", "2026-12-31", None), True),
        (("2026-01-01", None, "securevault"), ("2026-01-01", None, None), False),
        (("2026-01-01", None, "securevault"), ("2026-01-01", None, "SecureVault"), True),
        (("2026-01-01", None, "securevault"), ("2026-01-01", None, "mail"), False),
    ],
)
def test_contract_overlap_rules(
    a: tuple[str, str | None, str | None], b: tuple[str, str | None, str | None], overlap: bool
) -> None:
    first = contract(a[0], a[1], a[2], contract_id=1)
    second = contract(b[0], b[1], b[2], contract_id=2)
    assert first.overlaps(second) is overlap
    assert second.overlaps(first) is overlap


def test_contracts_of_different_customers_never_overlap() -> None:
    assert not contract(customer_id=1).overlaps(contract(customer_id=2))


# ----------------------------------------------------------------------------------------
# Burn-rate forecast

NOVEMBER = QuotaPeriod(utc("2026-10-31T23:00"), utc("2026-11-30T23:00"))


def test_forecast_at_the_current_pace_falls_before_the_reset() -> None:
    # 10 days in, 8 of 20 used: 0.8 a day; 12 left take 15 days.
    now = utc("2026-11-10T23:00")
    assert forecast_exhaustion(8, 20, NOVEMBER, now) == utc("2026-11-25T23:00")


def test_no_forecast_when_the_quota_outlasts_the_period() -> None:
    # 4 of 20 in 10 days: 16 left take 40 days, after the reset.
    assert forecast_exhaustion(4, 20, NOVEMBER, utc("2026-11-10T23:00")) is None


def test_no_forecast_when_unlimited_open_ended_unused_or_already_used_up() -> None:
    now = utc("2026-11-10T23:00")
    assert forecast_exhaustion(8, None, NOVEMBER, now) is None
    assert forecast_exhaustion(8, 20, QuotaPeriod(NOVEMBER.start, None), now) is None
    assert forecast_exhaustion(0, 20, NOVEMBER, now) is None
    assert forecast_exhaustion(20, 20, NOVEMBER, now) is None
    assert forecast_exhaustion(25, 20, NOVEMBER, now) is None


def test_forecast_pace_is_measured_over_at_least_a_day() -> None:
    # 2 tickets in the first 6 hours: counted as 2 a day, so 18 more take 9 days.
    now = utc("2026-11-01T05:00")
    assert forecast_exhaustion(2, 20, NOVEMBER, now) == utc("2026-11-10T05:00")


def test_forecast_pace_counts_from_the_contract_start_within_the_period() -> None:
    # Contract from 6 Nov (00:00 CET = 5 Nov 23:00 UTC); 8 used in 5 days: 1.6 a day,
    # 12 left take 7.5 days.
    since = utc("2026-11-05T23:00")
    now = utc("2026-11-10T23:00")
    assert forecast_exhaustion(8, 20, NOVEMBER, now, since=since) == utc("2026-11-18T11:00")


# ----------------------------------------------------------------------------------------
# Contract expiry and the panel's standing


def test_contract_term_ends_at_midnight_after_its_last_day() -> None:
    term = contract_term(contract("2026-01-01", "2026-12-15"), BERLIN)
    assert term.start == utc("2025-12-31T23:00")
    assert term.end == utc("2026-12-15T23:00")
    assert contract_term(contract("2026-01-01"), BERLIN).end is None


def test_contract_state_upcoming_active_expiring_expired() -> None:
    warned = plan(expiry_warning=Duration(days=30))
    c = contract("2026-01-01", "2026-12-15")  # ends 16 Dec 00:00 CET = 15 Dec 23:00 UTC
    assert contract_state(warned, c, utc("2025-12-31T22:59"), BERLIN) == "upcoming"
    assert contract_state(warned, c, utc("2025-12-31T23:00"), BERLIN) == "active"
    assert contract_state(warned, c, utc("2026-11-15T22:59"), BERLIN) == "active"
    assert contract_state(warned, c, utc("2026-11-15T23:00"), BERLIN) == "expiring"
    assert contract_state(warned, c, utc("2026-12-15T22:59"), BERLIN) == "expiring"
    assert contract_state(warned, c, utc("2026-12-15T23:00"), BERLIN) == "expired"
    # Without an expiry_warning a contract is simply active until it ends.
    assert contract_state(plan(), c, utc("2026-12-15T22:00"), BERLIN) == "active"
    assert contract_state(warned, contract("2026-01-01"), utc("2099-01-01T00:00"), BERLIN) == (
        "active"
    )


def test_an_expired_contract_shows_its_last_period_and_an_upcoming_one_its_first() -> None:
    monthly = plan()
    ended = contract("2026-01-01", "2026-10-20")
    last = standing_period(monthly, ended, utc("2026-11-18T12:00"), BERLIN)
    assert (last.start, last.end) == (utc("2026-09-30T22:00"), utc("2026-10-31T23:00"))
    upcoming = contract("2026-12-10")
    first = standing_period(monthly, upcoming, utc("2026-11-18T12:00"), BERLIN)
    assert (first.start, first.end) == (utc("2026-11-30T23:00"), utc("2026-12-31T23:00"))


def test_resets_at_the_period_end_unless_the_contract_ends_first() -> None:
    november = NOVEMBER
    open_ended = contract_term(contract("2026-01-01"), BERLIN)
    assert resets_at(november, open_ended, "active") == november.end
    ends_in_november = contract_term(contract("2026-01-01", "2026-11-20"), BERLIN)
    assert resets_at(november, ends_in_november, "expiring") is None
    ends_on_the_reset = contract_term(contract("2026-01-01", "2026-11-30"), BERLIN)
    assert resets_at(november, ends_on_the_reset, "expiring") is None
    assert resets_at(november, open_ended, "expired") is None
    assert resets_at(QuotaPeriod(november.start, None), open_ended, "active") is None


@pytest.mark.parametrize(
    ("used", "limit", "state", "level"),
    [
        (0, 20, "active", "normal"),
        (15, 20, "active", "normal"),
        (16, 20, "active", "high"),  # 80 %
        (19, 20, "expiring", "high"),
        (20, 20, "active", "exhausted"),
        (25, 20, "active", "exhausted"),
        (4, 5, "active", "high"),
        (500, None, "active", "normal"),
        (3, 20, "expired", "expired"),
        (25, 20, "expired", "expired"),
    ],
)
def test_usage_levels(used: int, limit: int | None, state: str, level: str) -> None:
    assert usage_level(used, limit, state) == level  # type: ignore[arg-type]
