"""SLA clocks of a ticket as a pure function of (policy, event log, now) (SPEC §3.1(4)-§3.6).

`compute_sla` replays the events up to `now` and returns the three clocks; `advance_sla`
moves them on in time; `response_cycles` lists the completed response cycles for reports;
`escalation_instants` tells the escalation engine when each clock reached (or will reach) a
level; `running_deadlines` gives, from a lean `ClockLog`, only what the store caches of the
running clocks (a store-wide recompute). This module owns measuring and judging a clock;
docs/sla.md explains every rule. The parts it builds on: `sla_terms` (the policy resolved),
`sla_timeline` (the replayed log), `sla_track` (one clock's accrual) and `sla_clock` (the
results, re-exported here).

The model: a clock has a *start* (creation, or the oldest unanswered customer message), may
have a *stop* (the reply or solve that meets it) and accrues the working time of its SLA's
calendar only while the ticket's status is in the `active` category. Its deadline is the
instant its accrued time reaches the target, so time spent paused (or solved, or void)
shifts the deadline by exactly its overlap with working hours.

Instants are handled as epoch microseconds (see `core.calendar`); results keep them as
`*_us` ints and build UTC datetimes on demand, which keeps a screenful of tickets cheap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from tui_desk.core.calendar import US_PER_SECOND, from_epoch_us, to_epoch_us
from tui_desk.core.durations import Duration
from tui_desk.core.events import ClockLog, TicketHistory
from tui_desk.core.policy import CLOCKS, Policy
from tui_desk.core.sla_clock import (
    CLOCK_STATES,
    MET_MARK,
    MISSED_MARK,
    NO_CLOCK,
    NO_CLOCK_MARK,
    PAUSE_MARK,
    RUNNING_STATES,
    STOPPED_STATES,
    Clock,
    ClockState,
    ResponseClock,
    ResponseCycle,
    TicketSla,
    iso_z,
)
from tui_desk.core.sla_terms import SlaContext, SlaTerms, sla_context
from tui_desk.core.sla_timeline import (
    CLOCK_EVENT_KINDS,
    CLOCK_PAYLOAD_KINDS,
    Stop,
    Timeline,
    clock_log,
    replay,
)
from tui_desk.core.sla_track import Track, clip_track

__all__ = [
    "CLOCK_EVENT_KINDS",
    "CLOCK_PAYLOAD_KINDS",
    "CLOCK_STATES",
    "MET_MARK",
    "MISSED_MARK",
    "NO_CLOCK",
    "NO_CLOCK_MARK",
    "NO_RUNNING_DEADLINES",
    "PAUSE_MARK",
    "RUNNING_STATES",
    "STOPPED_STATES",
    "Clock",
    "ClockState",
    "ResponseClock",
    "ResponseCycle",
    "RunningDeadlines",
    "TicketSla",
    "advance_sla",
    "clock_log",
    "compute_sla",
    "escalation_instants",
    "iso_z",
    "response_cycles",
    "running_deadlines",
]

# --------------------------------------------------------------------------------------------
# Measuring and judging a clock


def _manual_due(
    timeline: Timeline, clock: str, start_us: int, end_us: int
) -> tuple[int, int | None] | None:
    """The last manual due for `clock` set during the clock's life: (set at, due or None)."""
    found = None
    for at_us, name, due_us in timeline.dues:
        if name == clock and start_us <= at_us <= end_us:
            found = (at_us, due_us)
    return found


class _Measure(NamedTuple):
    """A clock's figures before its state is decided (see `_clock`)."""

    track: Track
    target_us: int | None
    due_us: int
    warn_us: int
    elapsed_us: int
    remaining: int


def _measure(
    context: SlaContext,
    timeline: Timeline,
    clock: str,
    start_us: int,
    stop: Stop | None,
) -> _Measure | None:
    """One clock under the terms in force at its stop (stopped) or now (running, paused);
    None when it has no target and no manual due (a `none` clock)."""
    terms = stop.terms if stop is not None else timeline.terms
    sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if sla is None and stop is not None:
        terms = timeline.terms  # stopped while without an SLA: judge it by today's terms
        sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if sla is None:
        return None
    stop_us = stop.at_us if stop is not None else None
    end_us = stop_us if stop_us is not None else timeline.now_us
    target_us = sla.targets_us.get((terms.priority, clock))
    manual = _manual_due(timeline, clock, start_us, end_us) if timeline.dues else None
    manual_due_us = manual[1] if manual is not None else None
    if target_us is None and manual_due_us is None:
        return None
    since_us = terms.since_us
    if manual is not None and manual_due_us is not None:
        since_us = max(since_us, manual[0])
    calendar = sla.calendar
    track = clip_track(calendar, timeline, start_us, stop_us, since_us)
    elapsed_us = track.elapsed_at(end_us)
    if manual_due_us is not None:
        track.manual_due_us = due_us = manual_due_us
        start_pos, due_pos = calendar.position(start_us), calendar.position(due_us)
        threshold_us = sla.warn_threshold_us(due_pos - start_pos)
        warn_us = calendar.instant_at(start_pos + threshold_us) if threshold_us > 0 else start_us
        remaining = (due_pos - calendar.position(end_us)) // US_PER_SECOND
    else:
        assert target_us is not None
        due_us = track.instant_at_elapsed(target_us)
        warn_us = track.instant_at_elapsed(sla.warn_thresholds_us[terms.priority, clock])
        remaining = target_us // US_PER_SECOND - elapsed_us // US_PER_SECOND
    return _Measure(track, target_us, due_us, warn_us, elapsed_us, remaining)


def _evaluate(
    context: SlaContext,
    timeline: Timeline,
    clock: str,
    start_us: int,
    stop: Stop | None,
) -> Clock:
    measured = _measure(context, timeline, clock, start_us, stop)
    return NO_CLOCK if measured is None else _clock(*measured, timeline.now_us)


def _clock(
    track: Track,
    target_us: int | None,
    due_us: int,
    warn_us: int,
    elapsed_us: int,
    remaining: int,
    now_us: int,
) -> Clock:
    """Decide the state and the instants actually reached, and build the `Clock`."""
    stop_us = track.stop_us
    state: ClockState
    if stop_us is not None:
        state = "met" if stop_us <= due_us else "missed"
        warned, breached = warn_us < stop_us, due_us < stop_us
    else:
        warned, breached = warn_us <= now_us, due_us < now_us
        if not track.running:
            state = "paused"
        elif breached:
            state = "breached"
        elif warned:
            state = "warning"
        else:
            state = "running"
    since_us = track.since_us
    return Clock(
        state,
        None if target_us is None else target_us // US_PER_SECOND,
        remaining,
        elapsed_us // US_PER_SECOND,
        due_us,
        warn_us,
        max(warn_us, since_us) if warned else None,
        max(due_us, since_us) if breached else None,
        stop_us,
        track.start_us,
        track,
    )


# --------------------------------------------------------------------------------------------
# The three clocks


def _next_cycle(timeline: Timeline) -> tuple[int, Stop | None] | None:
    """The running next-response cycle, else the last completed one (SPEC §3.2)."""
    if timeline.first_reply is None or not timeline.cycles:
        return None
    return timeline.cycles[-1]


def _resolution_stop(timeline: Timeline, sla: SlaTerms) -> Stop | None:
    """The solve in force (`resume`) or, for good, the first solve (`keep`)."""
    keep = sla.policy.resolution_on_reopen == "keep"
    return timeline.first_solve if keep else timeline.last_solve


def compute_sla(policy: Policy, history: TicketHistory, now: datetime) -> TicketSla:
    """The ticket's SLA clocks at `now`, from its events up to `now` (SPEC §3).

    All clocks are `none` when the ticket is void now or has no (known) SLA now.
    """
    context = sla_context(policy)
    timeline = replay(context, clock_log(history), to_epoch_us(now))
    terms = timeline.terms
    sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if timeline.category == "void" or sla is None:
        clocks = dict.fromkeys(CLOCKS, NO_CLOCK)
        return TicketSla(terms.sla, terms.priority, clocks, None, terms.since_us)
    created_us = timeline.created_us
    cycle = _next_cycle(timeline)
    clocks = {
        "first_response": _evaluate(
            context, timeline, "first_response", created_us, timeline.first_reply
        ),
        "next_response": NO_CLOCK
        if cycle is None
        else _evaluate(context, timeline, "next_response", cycle[0], cycle[1]),
        "resolution": _evaluate(
            context, timeline, "resolution", created_us, _resolution_stop(timeline, sla)
        ),
    }
    dues = [
        clock.due_us
        for clock in clocks.values()
        if clock.due_us is not None and clock.state in RUNNING_STATES
    ]
    return TicketSla(terms.sla, terms.priority, clocks, min(dues, default=None), terms.since_us)


def advance_sla(
    policy: Policy, history: TicketHistory, sla: TicketSla, since: datetime, now: datetime
) -> TicketSla:
    """`compute_sla(policy, history, now)`, given `sla` = `compute_sla(policy, history,
    since)`: what a countdown needs every second.

    When no event of the history lies after `since`, only time moved: stopped clocks stay
    as they were, running ones accrue working time along their own track (their due and
    warn instants are fixed) and may cross into warning or breached. A paused clock's
    projected due moves with now, and an event after `since` or a `now` before it may
    change anything: those are computed afresh.
    """
    since_us, now_us = to_epoch_us(since), to_epoch_us(now)
    events = history.events
    if now_us < since_us or (events and to_epoch_us(events[-1].at) > since_us):
        return compute_sla(policy, history, now)
    clocks: dict[str, Clock] = {}
    for name, clock in sla.clocks.items():
        track = clock.track
        if track is None or track.stop_us is not None:
            clocks[name] = clock  # no clock, or stopped: nothing left to change
            continue
        if not track.running or clock.due_us is None or clock.warn_at_us is None:
            return compute_sla(policy, history, now)
        elapsed_us = track.elapsed_at(now_us)
        calendar = track.calendar
        if track.manual_due_us is not None:
            remaining = (
                calendar.position(clock.due_us) - calendar.position(now_us)
            ) // US_PER_SECOND
        else:
            assert clock.target_seconds is not None
            remaining = clock.target_seconds - elapsed_us // US_PER_SECOND
        target_us = None if clock.target_seconds is None else clock.target_seconds * US_PER_SECOND
        clocks[name] = _clock(
            track, target_us, clock.due_us, clock.warn_at_us, elapsed_us, remaining, now_us
        )
    return TicketSla(sla.sla_name, sla.priority, clocks, sla.next_deadline_us, sla.terms_since_us)


class RunningDeadlines(NamedTuple):
    """The due instants of a ticket's running clocks (None: not running), the earliest of
    them and the earliest warn instant, in epoch µs: the figures the store caches."""

    first_response: int | None
    next_response: int | None
    resolution: int | None
    next_deadline: int | None
    next_warning: int | None


NO_RUNNING_DEADLINES = RunningDeadlines(None, None, None, None, None)


def running_deadlines(policy: Policy, log: ClockLog, now_us: int) -> RunningDeadlines:
    """What `compute_sla` says of the clocks that run at `now` (running, warning, breached),
    without evaluating the others: recomputing a store's cached figures (SPEC §3.6) needs
    no more, and most tickets of a store are solved.
    """
    context = sla_context(policy)
    timeline = replay(context, log, now_us)
    terms = timeline.terms
    sla = context.slas.get(terms.sla) if terms.sla is not None else None
    # A clock runs only while the ticket is active and the clock has no stop; a void
    # ticket or one without a (known) SLA has none at all.
    if timeline.category != "active" or sla is None:
        return NO_RUNNING_DEADLINES
    created_us = timeline.created_us
    first = (
        _measure(context, timeline, "first_response", created_us, None)
        if timeline.first_reply is None
        else None
    )
    cycle = _next_cycle(timeline)
    following = (
        _measure(context, timeline, "next_response", cycle[0], None)
        if cycle is not None and cycle[1] is None
        else None
    )
    resolution = (
        _measure(context, timeline, "resolution", created_us, None)
        if _resolution_stop(timeline, sla) is None
        else None
    )
    running = [m for m in (first, following, resolution) if m is not None and m.track.running]
    if not running:
        return NO_RUNNING_DEADLINES
    return RunningDeadlines(
        first.due_us if first is not None and first.track.running else None,
        following.due_us if following is not None and following.track.running else None,
        resolution.due_us if resolution is not None and resolution.track.running else None,
        min(m.due_us for m in running),
        min(m.warn_us for m in running),
    )


def response_cycles(
    policy: Policy, history: TicketHistory, now: datetime | None = None
) -> list[ResponseCycle]:
    """Completed response cycles up to `now` (default: the whole log), oldest first.

    The first response is the first cycle; each later one runs from the oldest unanswered
    customer message to the next public reply. Tickets void at `now` have none. Without a
    target, durations use the desk's default SLA calendar, else plain elapsed time.
    """
    context = sla_context(policy)
    now_us = to_epoch_us(now) if now is not None else _last_instant_us(history)
    timeline = replay(context, clock_log(history), now_us)
    if timeline.category == "void" or timeline.first_reply is None:
        return []
    completed: list[tuple[ResponseClock, int, Stop]] = [
        ("first_response", timeline.created_us, timeline.first_reply)
    ]
    completed += [
        ("next_response", start, stop) for start, stop in timeline.cycles if stop is not None
    ]
    return [_cycle(context, timeline, name, start, stop) for name, start, stop in completed]


def _cycle(
    context: SlaContext, timeline: Timeline, clock: ResponseClock, start_us: int, stop: Stop
) -> ResponseCycle:
    evaluated = _evaluate(context, timeline, clock, start_us, stop)
    track = evaluated.track
    if track is None:
        current = context.slas.get(timeline.terms.sla or "")
        calendar = current.calendar if current else context.fallback
        track = clip_track(calendar, timeline, start_us, stop.at_us, start_us)
    calendar = track.calendar
    working_us = calendar.position(stop.at_us) - calendar.position(start_us)
    return ResponseCycle(
        clock=clock,
        started_at=from_epoch_us(start_us),
        met_at=from_epoch_us(stop.at_us),
        elapsed_seconds=track.elapsed_at(stop.at_us) // US_PER_SECOND,
        working_seconds=working_us // US_PER_SECOND,
        target_seconds=evaluated.target_seconds,
        due=evaluated.due,
        outcome=_outcome(evaluated.state),
        met_by="solve" if stop.solve else "reply",
    )


def _outcome(state: ClockState) -> Literal["met", "missed"] | None:
    """A stopped clock's outcome; None for a clock without a target (`none`)."""
    if state == "met" or state == "missed":
        return state
    return None


def _last_instant_us(history: TicketHistory) -> int:
    return max([to_epoch_us(history.created_at), *(to_epoch_us(e.at) for e in history.events)])


def escalation_instants(
    ticket: TicketSla, at: Literal["warning", "breach"], after: int | Duration = 0
) -> dict[str, datetime]:
    """Per clock, when it reaches the escalation level `at` + `after` (`Clock.level_instant`).

    Clocks without a deadline, or that stopped before the level, are left out.
    """
    instants = {}
    for name, clock in ticket.clocks.items():
        instant = clock.level_instant(at, after)
        if instant is not None:
            instants[name] = instant
    return instants
