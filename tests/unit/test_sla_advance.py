"""A countdown's per-second step (`advance_sla`) says what computing afresh says."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.sla_factories import Ticket, at
from tests.unit.test_sla_running import POLICIES, tickets
from tui_desk.core.sla import advance_sla, compute_sla


@settings(max_examples=300, deadline=None)
@given(
    tickets(),
    st.sampled_from(sorted(POLICIES)),
    st.booleans(),
    st.integers(-2 * 24 * 60, 6 * 24 * 60),
    st.lists(st.integers(0, 3 * 24 * 3600), min_size=1, max_size=4),
)
def test_advancing_step_by_step_equals_computing_afresh(ticket, which, quiet, start, steps):
    """`quiet`: start after the last event, where only time moves (the fast path)."""
    policy = POLICIES[which]
    history = ticket.history()
    base = max((e.at for e in history.events), default=ticket.created) if quiet else ticket.created
    since = base + timedelta(minutes=abs(start) if quiet else start)
    sla = compute_sla(policy, history, since)
    for seconds in steps:
        now = since + timedelta(seconds=seconds)
        sla = advance_sla(policy, history, sla, since, now)
        fresh = compute_sla(policy, history, now)
        assert sla == fresh
        assert sla.next_deadline_us == fresh.next_deadline_us
        since = now


def test_a_running_clock_counts_down_and_breaches_without_a_replay() -> None:
    policy = POLICIES["resume", "75%"]
    ticket = Ticket(at("2026-11-16 09:00"), priority="high")  # Monday, office hours
    history = ticket.history()
    morning = compute_sla(policy, history, at("2026-11-16 09:10"))
    later = advance_sla(policy, history, morning, at("2026-11-16 09:10"), at("2026-11-19 09:10"))
    first = later.clocks["first_response"]
    assert first == compute_sla(policy, history, at("2026-11-19 09:10")).clocks["first_response"]
    assert first.state == "breached" and first.remaining_seconds < 0
    assert first.track is morning.clocks["first_response"].track  # no replay happened
