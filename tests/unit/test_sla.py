"""SLA clocks (SPEC §3.1(4)-§3.6), hand-computed on a Mon-Fri 09:00-18:00 Berlin calendar.

Targets (tests/unit/sla_factories.py): normal 1h / 2h / 4h, urgent 30m / 1h / 2h
(first response / next response / resolution); warn at 75 % unless told otherwise.
2026-11-16 is a Monday, 2026-11-20 a Friday.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tests.unit.sla_factories import Ticket, at, every_day, make_policy
from tui_desk.core.durations import Duration
from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.sla import NO_CLOCK, compute_sla, escalation_instants, response_cycles

HOUR = 3600
POLICY = make_policy()


def clocks(ticket: Ticket, now: str, policy=POLICY):
    return compute_sla(policy, ticket.history(), at(now)).clocks


def sla_at(ticket: Ticket, now: str, policy=POLICY):
    return compute_sla(policy, ticket.history(), at(now))


# ---- first response --------------------------------------------------------------------------


def test_created_friday_1730_with_1h_target_is_due_monday_0930():
    first = clocks(Ticket(at("2026-11-20 17:30")), "2026-11-21 12:00")["first_response"]
    assert first.state == "running"
    assert first.due == at("2026-11-23 09:30")
    assert (first.elapsed_seconds, first.remaining_seconds, first.target_seconds) == (
        1800,
        1800,
        HOUR,
    )


def test_ticket_created_outside_hours_starts_accruing_at_the_next_working_minute():
    first = clocks(Ticket(at("2026-11-21 10:00")), "2026-11-23 09:30")["first_response"]
    assert first.started_at == at("2026-11-21 10:00")
    assert first.due == at("2026-11-23 10:00")
    assert first.elapsed_seconds == 1800


def test_first_response_is_met_by_a_public_reply_and_never_by_a_note():
    ticket = Ticket(at("2026-11-16 10:00")).note(at("2026-11-16 10:20"))
    assert clocks(ticket, "2026-11-16 12:00")["first_response"].state == "breached"
    ticket.reply(at("2026-11-16 10:40"))
    first = clocks(ticket, "2026-11-16 12:00")["first_response"]
    assert first.state == "met"
    assert first.met_at == at("2026-11-16 10:40")
    assert (first.elapsed_seconds, first.remaining_seconds) == (2400, 1200)
    assert first.due == at("2026-11-16 11:00")


def test_first_response_after_the_deadline_is_missed():
    ticket = Ticket(at("2026-11-16 10:00")).reply(at("2026-11-16 11:30"))
    first = clocks(ticket, "2026-11-16 12:00")["first_response"]
    assert first.state == "missed"
    assert first.remaining_seconds == -1800
    assert first.breached_at == at("2026-11-16 11:00")


def test_deadline_exactly_at_1800_is_1800():
    ticket = Ticket(at("2026-11-16 17:00"))
    first = clocks(ticket, "2026-11-16 18:30")["first_response"]
    assert first.due == at("2026-11-16 18:00")
    # Past the deadline outside hours: breached, with no working time overdue yet.
    assert (first.state, first.remaining_seconds) == ("breached", 0)
    ticket.reply(at("2026-11-16 18:00"))
    assert clocks(ticket, "2026-11-16 18:30")["first_response"].state == "met"


def test_events_after_now_are_ignored():
    ticket = Ticket(at("2026-11-16 10:00")).reply(at("2026-11-16 11:00"))
    assert clocks(ticket, "2026-11-16 10:30")["first_response"].state == "running"
    assert clocks(ticket, "2026-11-16 11:00")["first_response"].state == "met"


# ---- states and warnings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state", "remaining"),
    [
        ("2026-11-16 10:30", "running", 1800),
        ("2026-11-16 10:45", "warning", 900),
        ("2026-11-16 11:00", "warning", 0),  # at the deadline, not yet past it
        ("2026-11-16 11:00:01", "breached", -1),
        ("2026-11-16 13:00", "breached", -2 * HOUR),
    ],
)
def test_running_warning_breached_with_warn_at_75_percent(now, state, remaining):
    first = clocks(Ticket(at("2026-11-16 10:00")), now)["first_response"]
    assert (first.state, first.remaining_seconds) == (state, remaining)
    assert first.warn_at == at("2026-11-16 10:45")


def test_warning_and_breach_instants_are_recorded_once_reached():
    first = clocks(Ticket(at("2026-11-16 10:00")), "2026-11-16 12:00")["first_response"]
    assert first.warning_at == at("2026-11-16 10:45")
    assert first.breached_at == at("2026-11-16 11:00")
    early = clocks(Ticket(at("2026-11-16 10:00")), "2026-11-16 10:30")["first_response"]
    assert early.warning_at is None and early.breached_at is None


def test_warn_at_as_a_duration_before_the_deadline():
    policy = make_policy(warn_at="30m")
    ticket = Ticket(at("2026-11-16 10:00"))
    assert clocks(ticket, "2026-11-16 13:29", policy)["resolution"].state == "running"
    resolution = clocks(ticket, "2026-11-16 13:30", policy)["resolution"]
    assert (resolution.state, resolution.warn_at, resolution.due) == (
        "warning",
        at("2026-11-16 13:30"),
        at("2026-11-16 14:00"),
    )


def test_warn_before_due_counts_working_time_across_the_weekend():
    policy = make_policy(warn_at="30m")
    resolution = clocks(Ticket(at("2026-11-20 16:00")), "2026-11-21 12:00", policy)["resolution"]
    assert resolution.due == at("2026-11-23 11:00")
    assert resolution.warn_at == at("2026-11-23 10:30")


def test_warn_duration_longer_than_the_target_warns_from_the_start():
    first = clocks(Ticket(at("2026-11-16 10:00")), "2026-11-16 10:00", make_policy(warn_at="2h"))
    assert (first["first_response"].state, first["first_response"].warn_at) == (
        "warning",
        at("2026-11-16 10:00"),
    )


def test_met_clock_remembers_it_had_warned():
    ticket = Ticket(at("2026-11-16 10:00")).reply(at("2026-11-16 10:50"))
    first = clocks(ticket, "2026-11-16 12:00")["first_response"]
    assert (first.state, first.warning_at, first.breached_at) == (
        "met",
        at("2026-11-16 10:45"),
        None,
    )


# ---- pauses ----------------------------------------------------------------------------------


def test_pending_from_friday_1600_to_tuesday_1000_shifts_the_deadline_by_the_paused_working_time():
    ticket = (
        Ticket(at("2026-11-20 15:00"))
        .reply(at("2026-11-20 15:30"))
        .set_status(at("2026-11-20 16:00"), "pending")
        .set_status(at("2026-11-24 10:00"), "open")
    )
    unpaused_due = at("2026-11-23 10:00")  # Fri 15:00 + 4 h
    paused_working_time = 2 * HOUR + 9 * HOUR + 1 * HOUR  # Fri 16-18, Mon 9-18, Tue 9-10
    resolution = clocks(ticket, "2026-11-24 10:00")["resolution"]
    assert resolution.due == at("2026-11-24 13:00")
    office = resolution.calendar
    assert office.working_seconds(unpaused_due, resolution.due) == paused_working_time
    assert (resolution.state, resolution.elapsed_seconds) == ("running", HOUR)


def test_paused_clock_shows_the_deadline_as_if_it_resumed_now():
    ticket = Ticket(at("2026-11-20 15:00")).reply(at("2026-11-20 15:30"))
    ticket.set_status(at("2026-11-20 16:00"), "pending")
    resolution = clocks(ticket, "2026-11-21 12:00")["resolution"]
    assert resolution.state == "paused"
    assert (resolution.elapsed_seconds, resolution.remaining_seconds) == (HOUR, 3 * HOUR)
    assert resolution.due == at("2026-11-23 12:00")  # 2 h of Friday paused so far


def test_reply_and_pending_in_one_action_meets_the_response_then_pauses():
    ticket = Ticket(at("2026-11-16 10:00"))
    ticket.reply(at("2026-11-16 10:30")).set_status(at("2026-11-16 10:30"), "pending")
    sla = sla_at(ticket, "2026-11-16 12:00")
    assert sla.clocks["first_response"].state == "met"
    assert sla.clocks["first_response"].met_at == at("2026-11-16 10:30")
    assert sla.clocks["resolution"].state == "paused"
    assert sla.clocks["resolution"].elapsed_seconds == 1800
    assert sla.next_deadline is None


def test_events_at_one_instant_are_ordered_by_seq_not_by_their_place_in_the_log():
    created = at("2026-11-16 10:00")
    same = at("2026-11-16 10:30")
    opening = TicketEvent(created, "customer_message", seq=1)
    reply = TicketEvent(at("2026-11-16 10:10"), "reply", seq=2)
    message = TicketEvent(same, "customer_message", seq=3)
    answer = TicketEvent(same, "reply", seq=4)
    shuffled = TicketHistory(
        created, "normal", "standard", "new", (answer, message, opening, reply)
    )
    next_response = compute_sla(POLICY, shuffled, at("2026-11-16 12:00")).clocks["next_response"]
    assert (next_response.state, next_response.elapsed_seconds) == ("met", 0)
    answered_first = TicketHistory(
        created,
        "normal",
        "standard",
        "new",
        (
            opening,
            reply,
            TicketEvent(same, "reply", seq=3),
            TicketEvent(same, "customer_message", seq=4),
        ),
    )
    next_response = compute_sla(POLICY, answered_first, at("2026-11-16 11:00")).clocks[
        "next_response"
    ]
    assert (next_response.state, next_response.started_at) == ("running", same)


def test_time_spent_void_does_not_count():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 10:00"), "spam")
    ticket.set_status(at("2026-11-16 12:00"), "open")
    resolution = clocks(ticket, "2026-11-16 13:00")["resolution"]
    assert resolution.elapsed_seconds == 2 * HOUR
    assert resolution.due == at("2026-11-16 15:00")


def test_unknown_status_counts_as_active():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 10:00"), "in_triage")
    assert clocks(ticket, "2026-11-16 12:00")["resolution"].elapsed_seconds == 3 * HOUR


# ---- next response ---------------------------------------------------------------------------


def test_next_response_does_not_exist_before_the_first_response():
    ticket = Ticket(at("2026-11-16 09:00")).message(at("2026-11-16 09:10"))
    assert clocks(ticket, "2026-11-16 09:20")["next_response"] is NO_CLOCK
    ticket.reply(at("2026-11-16 09:30"))
    assert clocks(ticket, "2026-11-16 09:40")["next_response"].state == "none"


def test_three_customer_messages_in_a_row_next_response_counts_from_the_oldest():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    for when in ("10:00", "10:30", "11:00"):
        ticket.message(at(f"2026-11-16 {when}"))
    next_response = clocks(ticket, "2026-11-16 11:15")["next_response"]
    assert next_response.started_at == at("2026-11-16 10:00")
    assert (next_response.state, next_response.elapsed_seconds) == ("running", 4500)
    assert next_response.due == at("2026-11-16 12:00")


def test_each_next_response_cycle_is_measured_separately():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.message(at("2026-11-16 10:00")).reply(at("2026-11-16 11:45"))
    met = clocks(ticket, "2026-11-16 12:30")["next_response"]
    assert (met.state, met.elapsed_seconds, met.met_at) == ("met", 6300, at("2026-11-16 11:45"))
    ticket.message(at("2026-11-16 13:00"))
    running = clocks(ticket, "2026-11-16 13:30")["next_response"]
    assert (running.state, running.started_at, running.elapsed_seconds) == (
        "running",
        at("2026-11-16 13:00"),
        1800,
    )


def test_customer_message_on_a_paused_ticket_only_counts_once_it_is_reopened():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.set_status(at("2026-11-16 09:30"), "pending").message(at("2026-11-16 10:00"))
    assert clocks(ticket, "2026-11-16 11:00")["next_response"].state == "paused"
    ticket.set_status(at("2026-11-16 10:00"), "open")
    assert clocks(ticket, "2026-11-16 11:00")["next_response"].elapsed_seconds == HOUR


# ---- resolution, solving and reopening -------------------------------------------------------


def solved_then_reopened(**policy_options) -> tuple[Ticket, object]:
    policy = make_policy(**policy_options)
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.set_status(at("2026-11-16 10:00"), "solved")
    ticket.message(at("2026-11-17 09:00")).set_status(at("2026-11-17 09:00"), "open")
    return ticket, policy


def test_solving_meets_the_resolution_clock():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.set_status(at("2026-11-16 10:00"), "solved")
    resolution = clocks(ticket, "2026-11-16 12:00")["resolution"]
    assert (resolution.state, resolution.met_at) == ("met", at("2026-11-16 10:00"))
    assert (resolution.elapsed_seconds, resolution.remaining_seconds) == (HOUR, 3 * HOUR)


def test_solving_after_the_deadline_misses_it():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 14:00"), "solved")
    resolution = clocks(ticket, "2026-11-16 15:00")["resolution"]
    assert (resolution.state, resolution.remaining_seconds) == ("missed", -HOUR)


def test_reopen_with_resume_continues_from_the_accrued_working_time():
    ticket, policy = solved_then_reopened(resolution_on_reopen="resume")
    resolution = clocks(ticket, "2026-11-17 10:00", policy)["resolution"]
    assert (resolution.state, resolution.elapsed_seconds) == ("running", 2 * HOUR)
    assert resolution.due == at("2026-11-17 12:00")  # the night solved does not count
    assert resolution.met_at is None
    ticket.set_status(at("2026-11-17 11:00"), "solved")
    resolution = clocks(ticket, "2026-11-17 12:00", policy)["resolution"]
    assert (resolution.state, resolution.met_at, resolution.elapsed_seconds) == (
        "met",
        at("2026-11-17 11:00"),
        3 * HOUR,
    )


def test_reopen_with_keep_the_first_solve_stands():
    ticket, policy = solved_then_reopened(resolution_on_reopen="keep")
    ticket.set_status(at("2026-11-17 15:00"), "solved")
    resolution = clocks(ticket, "2026-11-17 16:00", policy)["resolution"]
    assert (resolution.state, resolution.met_at, resolution.elapsed_seconds) == (
        "met",
        at("2026-11-16 10:00"),
        HOUR,
    )


def test_reopening_message_starts_a_next_response_cycle():
    ticket, policy = solved_then_reopened()
    next_response = clocks(ticket, "2026-11-17 10:00", policy)["next_response"]
    assert (next_response.state, next_response.started_at) == ("running", at("2026-11-17 09:00"))


def test_ticket_imported_already_solved_is_met_at_creation():
    ticket = Ticket(at("2026-11-16 09:00"), status="closed")
    resolution = clocks(ticket, "2026-11-16 12:00")["resolution"]
    assert (resolution.state, resolution.met_at, resolution.elapsed_seconds) == (
        "met",
        at("2026-11-16 09:00"),
        0,
    )


# ---- a solve stops every clock (SPEC §3.5) ---------------------------------------------------


def test_a_solve_before_any_reply_meets_the_first_response_at_the_solve():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 09:20"), "solved")
    first = clocks(ticket, "2026-11-16 12:00")["first_response"]
    assert (first.state, first.met_at, first.due) == (
        "met",
        at("2026-11-16 09:20"),
        at("2026-11-16 10:00"),
    )
    assert (first.elapsed_seconds, first.remaining_seconds) == (1200, 2400)


def test_a_solve_after_the_first_response_due_misses_it():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 11:00"), "solved")
    first = clocks(ticket, "2026-11-23 12:00")["first_response"]
    assert (first.state, first.met_at, first.remaining_seconds) == (
        "missed",
        at("2026-11-16 11:00"),
        -HOUR,
    )


def test_solved_ticket_whose_customer_wrote_last_keeps_its_next_response_still():
    # Reply 09:30, the customer writes 10:00, solved 10:30 without an answer: the cycle
    # (2 h target) stopped at the solve, 30 working minutes in, due 12:00 for good.
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.message(at("2026-11-16 10:00")).set_status(at("2026-11-16 10:30"), "solved")
    seen = {
        now: clocks(ticket, now)["next_response"]
        for now in ("2026-11-16 10:30", "2026-11-16 17:00", "2026-11-19 11:00", "2027-02-01 09:00")
    }
    for clock in seen.values():
        assert (clock.state, clock.met_at, clock.due) == (
            "met",
            at("2026-11-16 10:30"),
            at("2026-11-16 12:00"),
        )
        assert (clock.elapsed_seconds, clock.remaining_seconds) == (1800, 1.5 * HOUR)
    assert len(set(seen.values())) == 1


def test_a_closed_ticket_overdue_at_the_solve_stays_missed_by_the_same_amount():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.message(at("2026-11-16 10:00")).set_status(at("2026-11-16 13:00"), "solved")
    ticket.set_status(at("2026-11-17 09:00"), "closed")
    for now in ("2026-11-16 13:00", "2026-11-17 12:00", "2026-12-01 12:00"):
        cycle = clocks(ticket, now)["next_response"]
        assert (cycle.state, cycle.remaining_seconds, cycle.due) == (
            "missed",
            -HOUR,
            at("2026-11-16 12:00"),
        )


def test_after_a_solve_the_customer_writing_again_starts_a_new_cycle():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 09:20"), "solved")
    ticket.message(at("2026-11-17 09:00")).set_status(at("2026-11-17 09:00"), "open")
    sla = sla_at(ticket, "2026-11-17 10:00")
    assert sla.clocks["first_response"].state == "met"  # stopped for good by the solve
    following = sla.clocks["next_response"]
    assert (following.state, following.started_at, following.due) == (
        "running",
        at("2026-11-17 09:00"),
        at("2026-11-17 11:00"),
    )


def test_response_cycles_say_a_solve_stopped_a_cycle():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.message(at("2026-11-16 10:00")).set_status(at("2026-11-16 10:30"), "solved")
    cycles = response_cycles(POLICY, ticket.history())
    assert [(c.clock, c.met_by, c.outcome) for c in cycles] == [
        ("first_response", "reply", "met"),
        ("next_response", "solve", "met"),
    ]


# ---- priority and SLA changes ----------------------------------------------------------------


def test_priority_raised_three_hours_in_to_a_two_hour_target_breaches_at_once():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_priority(at("2026-11-16 12:00"), "urgent")
    sla = sla_at(ticket, "2026-11-16 12:00")
    resolution = sla.clocks["resolution"]
    assert sla.priority == "urgent"
    assert (resolution.state, resolution.target_seconds) == ("breached", 2 * HOUR)
    assert resolution.due == at("2026-11-16 11:00")
    assert resolution.remaining_seconds == -HOUR
    # It became breached when the priority changed, not when the new target ran out.
    assert resolution.breached_at == at("2026-11-16 12:00") == sla.terms_since
    assert sla.clocks["first_response"].state == "met"  # judged by the terms when it was met


def test_priority_change_applies_from_the_original_start_with_pause_carried_over():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_status(at("2026-11-16 10:00"), "pending").set_status(at("2026-11-16 14:00"), "open")
    ticket.set_priority(at("2026-11-16 14:30"), "urgent")
    resolution = clocks(ticket, "2026-11-16 14:30")["resolution"]
    assert resolution.due == at("2026-11-16 15:00")  # 09:00 + 2 h target + 4 h paused
    assert resolution.state == "warning"


def test_sla_change_by_quota_event_applies_from_the_original_start():
    ticket = Ticket(at("2026-11-20 17:00")).set_sla(at("2026-11-21 10:00"), "premium")
    sla = sla_at(ticket, "2026-11-21 10:00")
    resolution = sla.clocks["resolution"]
    assert sla.sla_name == "premium"
    assert resolution.due == at("2026-11-21 01:00")  # 24x7: Fri 17:00 + 8 h
    assert (resolution.state, resolution.breached_at) == ("breached", at("2026-11-21 10:00"))


def test_quota_event_with_no_sla_removes_every_clock():
    ticket = Ticket(at("2026-11-16 09:00")).set_sla(at("2026-11-16 09:00"), None)
    sla = sla_at(ticket, "2026-11-16 12:00")
    assert sla.sla_name is None
    assert all(clock is NO_CLOCK for clock in sla.clocks.values())
    assert sla.next_deadline is None


def test_quota_event_without_an_sla_key_keeps_the_sla():
    ticket = Ticket(at("2026-11-16 09:00")).event("quota", at("2026-11-16 09:00"), over_quota=False)
    assert sla_at(ticket, "2026-11-16 09:30").sla_name == "standard"


@pytest.mark.parametrize("sla", [None, "gold-that-no-longer-exists"])
def test_ticket_without_a_known_sla_has_no_clocks(sla):
    result = sla_at(Ticket(at("2026-11-16 09:00"), sla=sla), "2026-11-16 12:00")
    assert {clock.state for clock in result.clocks.values()} == {"none"}


def test_priority_without_a_target_has_no_clock():
    result = clocks(Ticket(at("2026-11-16 09:00"), priority="low"), "2026-11-16 10:00")
    assert result["first_response"].target_seconds == 4 * HOUR
    assert result["next_response"].state == result["resolution"].state == "none"


def test_void_ticket_has_no_clocks():
    ticket = Ticket(at("2026-11-16 09:00")).set_status(at("2026-11-16 09:05"), "spam")
    result = sla_at(ticket, "2026-11-16 12:00")
    assert all(clock.state == "none" for clock in result.clocks.values())
    assert result.to_json() == {
        name: {"state": "none"} for name in ("first_response", "next_response", "resolution")
    }


# ---- manual due ------------------------------------------------------------------------------


def test_manual_due_overrides_the_computed_one_and_pauses_no_longer_shift_it():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_due(at("2026-11-16 09:30"), "2026-11-17T12:00:00+01:00")
    ticket.set_status(at("2026-11-16 10:00"), "pending").set_status(at("2026-11-16 14:00"), "open")
    resolution = clocks(ticket, "2026-11-16 15:00")["resolution"]
    assert resolution.due == at("2026-11-17 12:00")
    assert resolution.remaining_seconds == 6 * HOUR  # Mon 15-18, Tue 9-12
    assert (resolution.state, resolution.elapsed_seconds) == ("running", 2 * HOUR)


def test_clearing_the_manual_due_returns_to_the_computed_one():
    ticket = Ticket(at("2026-11-16 09:00")).set_due(at("2026-11-16 09:30"), "2026-11-17T12:00:00Z")
    ticket.set_due(at("2026-11-16 10:00"), None)
    assert clocks(ticket, "2026-11-16 10:30")["resolution"].due == at("2026-11-16 13:00")


def test_manual_due_in_the_past_breaches_from_when_it_was_set():
    ticket = Ticket(at("2026-11-16 09:00")).set_due(at("2026-11-16 11:00"), "2026-11-16T10:00:00")
    resolution = clocks(ticket, "2026-11-16 11:30")["resolution"]
    assert resolution.due == at("2026-11-16 10:00")  # naive: desk time zone
    assert (resolution.state, resolution.remaining_seconds) == ("breached", -5400)
    assert resolution.breached_at == at("2026-11-16 11:00")


def test_unreadable_manual_due_is_ignored():
    ticket = Ticket(at("2026-11-16 09:00")).set_due(at("2026-11-16 09:30"), "next tuesday")
    assert clocks(ticket, "2026-11-16 10:00")["resolution"].due == at("2026-11-16 13:00")


def test_manual_due_gives_a_deadline_to_a_clock_without_target():
    ticket = Ticket(at("2026-11-16 09:00"), priority="low").set_due(
        at("2026-11-16 09:00"), "2026-11-16T17:00:00+01:00"
    )
    resolution = clocks(ticket, "2026-11-16 10:00")["resolution"]
    assert (resolution.state, resolution.target_seconds, resolution.due) == (
        "running",
        None,
        at("2026-11-16 17:00"),
    )
    assert resolution.warn_at == at("2026-11-16 15:00")  # 75 % of the 8 h window


# ---- units, output and the ticket view -------------------------------------------------------


def test_d_targets_use_the_calendars_day_length():
    targets = {"normal": {"first_response": "1d", "resolution": "2d"}}
    office = {
        "timezone": "Europe/Berlin",
        **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ["09:00-18:00"]),
    }
    nine_hour_days = clocks(
        Ticket(at("2026-11-16 10:00")), "2026-11-16 10:00", make_policy(targets=targets)
    )
    assert nine_hour_days["first_response"].due == at("2026-11-17 10:00")
    eight_hour_days = make_policy(targets=targets, calendar={**office, "day_length": "8h"})
    result = clocks(Ticket(at("2026-11-16 10:00")), "2026-11-16 10:00", eight_hour_days)
    assert result["first_response"].due == at("2026-11-16 18:00")
    assert result["resolution"].target_seconds == 16 * HOUR


def test_clock_json_has_exactly_the_spec_shape():
    ticket = Ticket(at("2026-11-16 10:00:30.5")).reply(at("2026-11-16 10:40:00"))
    result = sla_at(ticket, "2026-11-16 12:00").to_json()
    assert result["first_response"] == {
        "state": "met",
        "target_seconds": 3600,
        "due": "2026-11-16T10:00:30Z",
        "remaining_seconds": 1231,  # target - elapsed, elapsed rounded down (2369.5 s)
        "elapsed_seconds": 2369,
        "met_at": "2026-11-16T09:40:00Z",
    }
    assert result["next_response"] == {"state": "none"}
    assert set(result["resolution"]) == {
        "state",
        "target_seconds",
        "due",
        "remaining_seconds",
        "elapsed_seconds",
        "met_at",
    }
    assert result["resolution"]["met_at"] is None


def test_next_deadline_is_the_earliest_due_of_running_clocks():
    ticket = Ticket(at("2026-11-16 09:00"))
    assert sla_at(ticket, "2026-11-16 09:10").next_deadline == at("2026-11-16 10:00")
    ticket.reply(at("2026-11-16 09:20"))
    assert sla_at(ticket, "2026-11-16 09:30").next_deadline == at("2026-11-16 13:00")
    assert sla_at(ticket, "2026-11-16 09:30").next_deadline.tzinfo is UTC


def test_now_may_be_in_any_zone():
    ticket = Ticket(at("2026-11-16 09:00"))
    in_berlin = compute_sla(POLICY, ticket.history(), at("2026-11-16 09:30"))
    in_utc = compute_sla(POLICY, ticket.history(), datetime(2026, 11, 16, 8, 30, tzinfo=UTC))
    assert in_berlin == in_utc


def test_sla_on_a_tokyo_calendar_evaluated_with_instants_in_utc():
    weekdays = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ["09:00-18:00"])
    tokyo = make_policy(calendar={"timezone": "Asia/Tokyo", **weekdays})
    ticket = Ticket(datetime(2026, 11, 20, 8, 30, tzinfo=UTC))  # Friday 17:30 in Tokyo
    sla = compute_sla(tokyo, ticket.history(), datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    assert sla.clocks["first_response"].due == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    assert sla.next_deadline == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def test_resolution_on_a_night_shift_counts_the_extra_hour_when_clocks_go_back():
    nights = make_policy(calendar={"timezone": "Europe/Berlin", **every_day("00:00-06:00")})
    ticket = Ticket(at("2026-10-25 00:00"))  # 00:00 CEST = 22:00 UTC the day before
    resolution = clocks(ticket, "2026-10-25 01:00", nights)["resolution"]
    assert resolution.due == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 4 h later, 03:00 CET


def test_resolution_on_a_night_shift_loses_the_hour_when_clocks_go_forward():
    nights = make_policy(calendar={"timezone": "Europe/Berlin", **every_day("00:00-06:00")})
    ticket = Ticket(at("2026-03-29 00:00"))  # 23:00 UTC the day before
    resolution = clocks(ticket, "2026-03-29 01:00", nights)["resolution"]
    # 5 h of work that night: the 4 h target ends at 03:00 UTC, 05:00 CEST.
    assert resolution.due == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    ticket.set_status(at("2026-03-29 05:30"), "solved")
    assert clocks(ticket, "2026-03-29 06:00", nights)["resolution"].state == "missed"


# ---- reports and escalation helpers ----------------------------------------------------------


def test_response_cycles_list_every_completed_cycle_with_its_outcome():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.message(at("2026-11-16 10:00")).set_status(at("2026-11-16 10:30"), "on_hold")
    ticket.set_status(at("2026-11-16 11:30"), "open").reply(at("2026-11-16 13:00"))
    ticket.message(at("2026-11-16 14:00"))  # still unanswered: not a completed cycle
    cycles = response_cycles(POLICY, ticket.history())
    assert [(c.clock, c.outcome) for c in cycles] == [
        ("first_response", "met"),
        ("next_response", "met"),
    ]
    second = cycles[1]
    assert (second.started_at, second.met_at) == (at("2026-11-16 10:00"), at("2026-11-16 13:00"))
    assert (second.elapsed_seconds, second.working_seconds, second.target_seconds) == (
        2 * HOUR,
        3 * HOUR,
        2 * HOUR,
    )
    assert second.due == at("2026-11-16 13:00")


def test_response_cycles_without_sla_measure_on_the_default_sla_calendar():
    ticket = Ticket(at("2026-11-20 17:30"), sla=None).reply(at("2026-11-23 09:30"))
    (cycle,) = response_cycles(POLICY, ticket.history())
    assert (cycle.elapsed_seconds, cycle.outcome, cycle.target_seconds, cycle.due) == (
        HOUR,
        None,
        None,
        None,
    )
    no_default = make_policy(default_sla=None)
    (cycle,) = response_cycles(no_default, ticket.history())
    assert cycle.elapsed_seconds == 64 * HOUR  # plain elapsed time


def test_response_cycles_up_to_now_and_none_for_void_tickets():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    assert response_cycles(POLICY, ticket.history(), at("2026-11-16 09:10")) == []
    ticket.set_status(at("2026-11-16 10:00"), "merged")
    assert response_cycles(POLICY, ticket.history()) == []


def test_escalation_instants_for_warning_breach_and_working_time_after_breach():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    sla = sla_at(ticket, "2026-11-16 12:00")
    assert escalation_instants(sla, "warning") == {"resolution": at("2026-11-16 12:00")}
    assert escalation_instants(sla, "breach") == {"resolution": at("2026-11-16 13:00")}
    assert escalation_instants(sla, "breach", 2 * HOUR) == {"resolution": at("2026-11-16 15:00")}
    assert escalation_instants(sla, "breach", Duration(days=1)) == {
        "resolution": at("2026-11-17 13:00")
    }


def test_working_time_after_breach_does_not_count_time_paused():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_status(at("2026-11-16 14:00"), "pending").set_status(at("2026-11-16 16:00"), "open")
    resolution = clocks(ticket, "2026-11-16 16:30")["resolution"]
    assert resolution.breached_at == at("2026-11-16 13:00")
    assert resolution.level_instant("breach", 2 * HOUR) == at("2026-11-16 17:00")


def test_escalation_levels_past_a_stop_are_never_reached():
    ticket = Ticket(at("2026-11-16 10:00")).reply(at("2026-11-16 11:30"))
    first = clocks(ticket, "2026-11-16 12:00")["first_response"]
    assert first.level_instant("breach") == at("2026-11-16 11:00")
    assert first.level_instant("breach", 20 * 60) == at("2026-11-16 11:20")
    assert first.level_instant("breach", HOUR) is None
    assert NO_CLOCK.level_instant("breach") is None
    with pytest.raises(ValueError, match="warning"):
        first.level_instant("overdue")  # type: ignore[arg-type]


def test_same_history_same_answer():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:20"))
    ticket.set_status(at("2026-11-16 10:00"), "pending")
    history = ticket.history()
    first = compute_sla(POLICY, history, at("2026-11-16 12:00"))
    events = list(history.events)
    random.Random(3).shuffle(events)
    shuffled = TicketHistory(
        history.created_at, history.priority, history.sla, history.status, tuple(events)
    )
    assert compute_sla(POLICY, shuffled, at("2026-11-16 12:00")) == first
