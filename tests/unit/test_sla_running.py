"""The lean path of a store recompute (SPEC §3.6): `running_deadlines` on a `ClockLog` says
what `compute_sla` on the full history says of the running clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.sla_factories import Ticket, at, make_policy
from tui_desk.core.calendar import to_epoch_us
from tui_desk.core.events import ClockLog, TicketEvent, TicketHistory
from tui_desk.core.sla import (
    CLOCK_EVENT_KINDS,
    RUNNING_STATES,
    clock_log,
    compute_sla,
    running_deadlines,
)

POLICIES = {
    (reopen, warn): make_policy(resolution_on_reopen=reopen, warn_at=warn)
    for reopen in ("resume", "keep")
    for warn in ("75%", "15m")
}
STATUSES = ["open", "open", "new", "pending", "on_hold", "solved", "closed", "spam", "gone"]
PRIORITIES = ["urgent", "high", "normal", "low", "unknown"]
SLAS = ["standard", "premium", None, "retired"]
DUES = [None, "2026-11-18T12:00:00Z", "2026-11-17 16:30", "2026-11-16T08:00:00+01:00", "soon"]
START = at("2026-11-16 08:00")
ACTIONS = ["message"] * 3 + ["reply"] * 3 + ["status"] * 2
ACTIONS += ["note", "priority", "sla", "due", "tags", "escalation"]


def expected(ticket: TicketHistory, policy, now: datetime) -> tuple:  # noqa: ANN001
    """The cached figures as the store has always derived them: from `compute_sla`."""
    sla = compute_sla(policy, ticket, now)
    clocks = sla.clocks
    running = [c for c in clocks.values() if c.state in RUNNING_STATES]
    return (
        *(
            clocks[name].due_us if clocks[name].state in RUNNING_STATES else None
            for name in ("first_response", "next_response", "resolution")
        ),
        sla.next_deadline_us,
        min((c.warn_at_us for c in running if c.warn_at_us is not None), default=None),
    )


@st.composite
def tickets(draw) -> Ticket:  # noqa: ANN001
    """A ticket with any mix of events, some of them out of order or sharing a seq."""
    ticket = Ticket(
        START + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60))),
        priority=draw(st.sampled_from(PRIORITIES[:4])),
        sla=draw(st.sampled_from(SLAS[:3])),
        status=draw(st.sampled_from(["new", "open", "pending", "solved"])),
    )
    when = ticket.created
    for _ in range(draw(st.integers(0, 12))):
        when += timedelta(minutes=draw(st.integers(-30, 24 * 60)))
        action = draw(st.sampled_from(ACTIONS))
        if action == "message":
            ticket.message(when)
        elif action == "reply":
            ticket.reply(when)
        elif action == "note":
            ticket.note(when)
        elif action == "status":
            ticket.set_status(when, draw(st.sampled_from(STATUSES)))
        elif action == "priority":
            ticket.set_priority(when, draw(st.sampled_from(PRIORITIES)))
        elif action == "sla":
            ticket.set_sla(when, draw(st.sampled_from(SLAS)))
        elif action == "due":
            clock = draw(st.sampled_from(["resolution", "first_response", "next_response"]))
            ticket.set_due(when, draw(st.sampled_from(DUES)), clock=clock)
        elif action == "tags":
            ticket.event("tags", when, added=["vip"], removed=[])
        else:
            ticket.event("escalation", when, level=1, name="lead", clock="resolution")
    if draw(st.booleans()):  # events recorded without a seq sort by instant, stably
        ticket.events = [
            TicketEvent(e.at, e.kind, e.author, e.body, e.data, 0) for e in ticket.events
        ]
    return ticket


@settings(max_examples=400, deadline=None)
@given(
    tickets(),
    st.integers(-60, 5 * 24 * 60),
    st.sampled_from(sorted(POLICIES)),
)
def test_running_deadlines_are_the_running_clocks_of_compute_sla(ticket, minutes, which):
    policy = POLICIES[which]
    history = ticket.history()
    now = ticket.created + timedelta(minutes=minutes)
    found = running_deadlines(policy, clock_log(history), to_epoch_us(now))
    assert tuple(found) == expected(history, policy, now)


def test_a_log_without_the_events_the_clocks_ignore_gives_the_same_clocks():
    ticket = (
        Ticket(at("2026-11-16 09:00"))
        .note(at("2026-11-16 09:10"))
        .reply(at("2026-11-16 09:30"))
        .event("assignee", at("2026-11-16 09:31"), **{"from": None, "to": "ana"})
        .message(at("2026-11-16 10:00"))
    )
    history = ticket.history()
    log = clock_log(history)
    assert [step[2] for step in log.steps] == ["customer_message", "reply", "customer_message"]
    assert {step[2] for step in log.steps} <= CLOCK_EVENT_KINDS
    now = at("2026-11-16 11:00")
    assert tuple(running_deadlines(make_policy(), log, to_epoch_us(now))) == expected(
        history, make_policy(), now
    )


def test_steps_out_of_order_are_replayed_by_instant_then_seq():
    created = to_epoch_us(at("2026-11-16 09:00"))
    reply = to_epoch_us(at("2026-11-16 09:20"))
    message = to_epoch_us(at("2026-11-16 09:40"))
    ordered = [(created, 1, "customer_message", {}), (reply, 2, "reply", {})]
    ordered.append((message, 3, "customer_message", {}))
    shuffled = [ordered[2], ordered[0], ordered[1]]
    now = to_epoch_us(at("2026-11-16 12:00"))
    policy = make_policy()

    def log(steps):  # noqa: ANN001, ANN202
        return ClockLog(created, "normal", "standard", "new", steps)

    assert running_deadlines(policy, log(shuffled), now) == running_deadlines(
        policy, log(ordered), now
    )
    # The next response runs from the 09:40 message: 2 h of working time, due 11:40.
    assert running_deadlines(policy, log(shuffled), now).next_response == to_epoch_us(
        at("2026-11-16 11:40")
    )


def test_a_solved_ticket_has_no_running_deadline():
    ticket = Ticket(at("2026-11-16 09:00")).reply(at("2026-11-16 09:30"))
    ticket.set_status(at("2026-11-16 09:30"), "solved")
    deadlines = running_deadlines(
        make_policy(), clock_log(ticket.history()), to_epoch_us(at("2026-11-17 09:00"))
    )
    assert tuple(deadlines) == (None,) * 5
