"""The one countdown text of a clock (SPEC §3.5): working time where a day is the clock's
calendar working day (`day_length`), the same "1d" the policy file means."""

from __future__ import annotations

import pytest

from tests.unit.sla_factories import Ticket, at, make_policy
from tui_desk.core.durations import format_span
from tui_desk.core.sla import compute_sla

HOUR = 3600


@pytest.mark.parametrize(
    ("seconds", "day", "text"),
    [
        (-113 * HOUR, 8 * HOUR, "\u221214d 1h"),  # 113 working hours late on 8 h days
        (-113 * HOUR, 24 * HOUR, "\u22124d 17h"),  # the same on a 24x7 calendar
        (-(27 * HOUR), 8 * HOUR, "\u22123d 3h"),
        (8 * HOUR, 8 * HOUR, "1d"),
        (2 * HOUR + 10 * 60, 8 * HOUR, "2h 10m"),
        (HOUR + 5 * 60, 8 * HOUR, "1h 05m"),
        (-12 * 60, 8 * HOUR, "\u221212m"),
        (45, 8 * HOUR, "45s"),
        (0, 8 * HOUR, "0s"),
    ],
)
def test_spans_are_counted_in_days_of_the_given_length(seconds: int, day: int, text: str) -> None:
    assert format_span(seconds, day_seconds=day) == text


def test_a_span_has_no_default_day_length() -> None:
    with pytest.raises(TypeError):
        format_span(3600)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        format_span(3600, day_seconds=0)


def test_a_breached_clock_counts_down_in_its_calendars_working_days() -> None:
    # Office 09:00-18:00 with day_length 8h; a 1 h first response due Mon 10:00, still
    # unanswered on Thursday 12:00: 8 + 9 + 9 + 3 = 29 working hours overdue = 3d 5h.
    policy = make_policy(
        calendar={
            "timezone": "Europe/Berlin",
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ["09:00-18:00"]),
            "day_length": "8h",
        }
    )
    ticket = Ticket(at("2026-11-16 09:00"))
    clock = compute_sla(policy, ticket.history(), at("2026-11-19 12:00")).clocks["first_response"]
    assert (clock.state, clock.remaining_seconds) == ("breached", -29 * HOUR)
    assert clock.countdown == "\u22123d 5h"


def test_a_paused_clock_shows_the_pause_mark_and_stopped_ones_a_tick_or_cross() -> None:
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_status(at("2026-11-16 10:00"), "pending")
    clocks = compute_sla(make_policy(), ticket.history(), at("2026-11-16 12:00")).clocks
    assert clocks["resolution"].countdown == "\u2016 3h 00m"
    assert clocks["first_response"].countdown == "\u2713"
    assert clocks["next_response"].countdown == "\u2014"
    late = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 11:00"))
    first = compute_sla(make_policy(), late.history(), at("2026-11-16 12:00")).clocks
    assert first["first_response"].countdown == "\u2717"
