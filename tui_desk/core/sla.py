"""SLA clocks of a ticket as a pure function of (policy, event log, now) (SPEC §3.1(4)-§3.6).

`compute_sla` replays the events up to `now` and returns the three clocks; `response_cycles`
lists the completed response cycles for reports; `escalation_instants` tells the escalation
engine when each clock reached (or will reach) a level. docs/sla.md explains every rule.

The model: a clock has a *start* (creation, or the oldest unanswered customer message), may
have a *stop* (the reply or solve that meets it) and accrues the working time of its SLA's
calendar only while the ticket's status is in the `active` category. Its deadline is the
instant its accrued time reaches the target, so time spent paused (or solved, or void)
shifts the deadline by exactly its overlap with working hours.

Instants are handled as epoch microseconds (see `core.calendar`); results keep them as
`*_us` ints and build UTC datetimes on demand, which keeps a screenful of tickets cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tui_desk.core.calendar import US_PER_SECOND, UTC, WorkingCalendar, from_epoch_us, to_epoch_us
from tui_desk.core.durations import Duration
from tui_desk.core.events import TicketHistory
from tui_desk.core.policy import (
    CLOCKS,
    STATUS_CATEGORIES,
    CalendarSpec,
    Policy,
    SlaPolicy,
    StatusCategory,
)

ClockState = Literal["none", "running", "warning", "breached", "paused", "met", "missed"]
CLOCK_STATES: tuple[ClockState, ...] = (
    "none",
    "running",
    "warning",
    "breached",
    "paused",
    "met",
    "missed",
)
RUNNING_STATES: frozenset[str] = frozenset({"running", "warning", "breached"})
STOPPED_STATES: frozenset[str] = frozenset({"met", "missed"})


def iso_z(moment: datetime | None) -> str | None:
    """SPEC §7 timestamp text: UTC, whole seconds (truncated), `Z` suffix; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datetime(epoch_us: int | None) -> datetime | None:
    return None if epoch_us is None else from_epoch_us(epoch_us)


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock at an instant (SPEC §3.5). Amounts are working seconds, rounded down.

    Instants are stored as epoch µs (`due_us`, ...) and read as UTC datetimes (`due`, ...):
    - `due`: the deadline (start + target + working time paused); for a paused clock the
      projection as if it resumed now; for a met clock the deadline it was met against.
    - `warn_at`: the instant the warn threshold is, was or would be reached (same projection).
    - `warning_at` / `breached_at`: when the clock *actually* reached warning / passed its due,
      None if it has not (or stopped first). Never earlier than the instant the terms that
      caused it came into force (a priority raise that breaches at once breaches then).
    - `started_at`: the clock's start (creation or the oldest unanswered customer message),
      even when working time only begins later; `met_at`: the reply or solve that stopped it.
    `track` is the clock's accrual record, used by `level_instant`.
    """

    state: ClockState
    target_seconds: int | None = None
    remaining_seconds: int | None = None
    elapsed_seconds: int | None = None
    due_us: int | None = None
    warn_at_us: int | None = None
    warning_at_us: int | None = None
    breached_at_us: int | None = None
    met_at_us: int | None = None
    started_at_us: int | None = None
    track: _Track | None = field(default=None, compare=False, repr=False)

    @property
    def due(self) -> datetime | None:
        return _datetime(self.due_us)

    @property
    def warn_at(self) -> datetime | None:
        return _datetime(self.warn_at_us)

    @property
    def warning_at(self) -> datetime | None:
        return _datetime(self.warning_at_us)

    @property
    def breached_at(self) -> datetime | None:
        return _datetime(self.breached_at_us)

    @property
    def met_at(self) -> datetime | None:
        return _datetime(self.met_at_us)

    @property
    def started_at(self) -> datetime | None:
        return _datetime(self.started_at_us)

    @property
    def calendar(self) -> WorkingCalendar | None:
        """The working calendar this clock counts in (None for `none` clocks)."""
        return self.track.calendar if self.track else None

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    def to_json(self) -> dict[str, Any]:
        """The SPEC §7 shape: `{"state": "none"}` or the six documented keys."""
        if self.state == "none":
            return {"state": "none"}
        return {
            "state": self.state,
            "target_seconds": self.target_seconds,
            "due": iso_z(self.due),
            "remaining_seconds": self.remaining_seconds,
            "elapsed_seconds": self.elapsed_seconds,
            "met_at": iso_z(self.met_at),
        }

    def level_instant(
        self, at: Literal["warning", "breach"], after: int | Duration = 0
    ) -> datetime | None:
        """When this clock reaches the escalation level `at` + `after` (SPEC §5).

        `after` is working time the clock itself accrues past the level, in seconds or as a
        Duration (whose `d` is the clock calendar's day): time paused does not count. Past
        instants are facts, future ones projections assuming the clock runs on from now;
        like `warning_at` and `breached_at` they are never earlier than the terms in force,
        and `after` counts from that effective instant.
        `breach` is the due instant itself (the clock is breached from just after it). None
        when the clock has no deadline or stopped before reaching the level.
        """
        track = self.track
        if track is None or self.due_us is None or self.warn_at_us is None:
            return None
        if at not in ("warning", "breach"):
            raise ValueError(f"escalation level at {at!r}: expected 'warning' or 'breach'")
        after_seconds = track.calendar.to_seconds(after) if isinstance(after, Duration) else after
        # X is counted from when the clock really reached the level: after a priority raise
        # that breaches at once, "breach+1d" is a working day after the raise, not a day
        # after the (earlier) recomputed due instant.
        instant_us = max(self.warn_at_us if at == "warning" else self.due_us, track.since_us)
        if after_seconds:
            accrued = track.elapsed_at(instant_us) + after_seconds * US_PER_SECOND
            instant_us = track.instant_at_elapsed(accrued)
        if track.stop_us is not None and instant_us >= track.stop_us:
            return None
        return from_epoch_us(instant_us)


NO_CLOCK = Clock(state="none")


@dataclass(frozen=True, slots=True)
class TicketSla:
    """All clocks of a ticket at an instant, and the terms (SLA, priority) in force.

    `next_deadline` is the earliest `due` of the running clocks (running, warning,
    breached); `terms_since` the instant the current SLA and priority came into force.
    """

    sla_name: str | None
    priority: str
    clocks: dict[str, Clock]
    next_deadline_us: int | None = None
    terms_since_us: int | None = None

    @property
    def next_deadline(self) -> datetime | None:
        return _datetime(self.next_deadline_us)

    @property
    def terms_since(self) -> datetime | None:
        return _datetime(self.terms_since_us)

    def to_json(self) -> dict[str, Any]:
        """The `sla` object of SPEC §7 (`next_deadline` is a sibling key of the ticket)."""
        return {name: self.clocks[name].to_json() for name in CLOCKS}


@dataclass(frozen=True, slots=True)
class ResponseCycle:
    """A completed response cycle, for reports (SPEC §6 reply wait, SLA met/missed).

    `elapsed_seconds` is clock time (working time while active); `working_seconds` the plain
    working time from start to reply (pauses included). `target_seconds`, `due` and
    `outcome` are None when no target applied (no SLA, or none for that priority).
    """

    clock: Literal["first_response", "next_response"]
    started_at: datetime
    met_at: datetime
    elapsed_seconds: int
    working_seconds: int
    target_seconds: int | None
    due: datetime | None
    outcome: Literal["met", "missed"] | None


# --------------------------------------------------------------------------------------------
# The policy, resolved once per Policy object


@dataclass(frozen=True, slots=True)
class _SlaTerms:
    """An SLA policy with its calendar and targets in working µs (None: no target)."""

    policy: SlaPolicy
    calendar: WorkingCalendar
    targets_us: dict[tuple[str, str], int | None]  # (priority, clock) -> µs
    warn_before_us: int | None

    def target_us(self, priority: str, clock: str) -> int | None:
        return self.targets_us.get((priority, clock))

    def warn_threshold_us(self, window_us: int) -> int:
        """Working µs of a window (the target) after which a clock warns; `before` wins."""
        if self.warn_before_us is not None:
            return max(0, window_us - self.warn_before_us)
        fraction = self.policy.warn_at.fraction
        return window_us if fraction is None else round(window_us * fraction)


class _Context:
    """What `compute_sla` needs from a policy, looked up once per Policy object."""

    __slots__ = ("policy", "categories", "slas", "fallback")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.categories: dict[str, StatusCategory] = {
            status: category
            for category in STATUS_CATEGORIES
            for status in getattr(policy.statuses, category)
        }
        self.slas: dict[str, _SlaTerms] = {}
        for name, sla in policy.sla.items():
            spec = policy.calendars.get(sla.calendar)
            if spec is not None:
                self.slas[name] = _sla_terms(sla, WorkingCalendar.for_spec(spec))
        default = self.slas.get(policy.desk.default_sla or "")
        self.fallback = default.calendar if default else _elapsed_calendar(policy.desk.timezone)

    def category(self, status: str | None) -> StatusCategory:
        """A status's category; unknown statuses (a policy changed since) count as active."""
        return self.categories.get(status, "active") if status is not None else "active"


def _sla_terms(sla: SlaPolicy, calendar: WorkingCalendar) -> _SlaTerms:
    targets: dict[tuple[str, str], int | None] = {}
    for priority, per_clock in sla.targets.items():
        for clock in CLOCKS:
            target = per_clock.get(clock)
            targets[priority, clock] = (
                None if target is None else calendar.to_seconds(target) * US_PER_SECOND
            )
    before = sla.warn_at.before
    before_us = None if before is None else calendar.to_seconds(before) * US_PER_SECOND
    return _SlaTerms(sla, calendar, targets, before_us)


def _elapsed_calendar(zone: str) -> WorkingCalendar:
    return WorkingCalendar.for_spec(CalendarSpec(name="elapsed", timezone=zone, always=True))


_CONTEXTS: dict[int, _Context] = {}


def _context(policy: Policy) -> _Context:
    """The resolved context of a policy (a few recent policies are kept, by identity)."""
    context = _CONTEXTS.get(id(policy))
    if context is None or context.policy is not policy:
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()  # atomic, unlike evicting one entry while workers read
        context = _CONTEXTS[id(policy)] = _Context(policy)
    return context


# --------------------------------------------------------------------------------------------
# The replayed timeline


@dataclass(frozen=True, slots=True)
class _Terms:
    sla: str | None
    priority: str
    since_us: int


@dataclass(frozen=True, slots=True)
class _Stop:
    at_us: int
    terms: _Terms


@dataclass(slots=True)
class _Timeline:
    """What the event log says, up to now, in epoch microseconds."""

    created_us: int
    now_us: int
    category: StatusCategory
    terms: _Terms
    active_runs: list[tuple[int, int]] = field(default_factory=list)  # closed active periods
    active_since: int | None = None  # start of the open active period, if active now
    first_reply: _Stop | None = None
    first_solve: _Stop | None = None
    last_solve: _Stop | None = None  # the solve in force now (None unless solved now)
    cycles: list[tuple[int, _Stop | None]] = field(default_factory=list)  # next_response
    dues: list[tuple[int, str, int | None]] = field(default_factory=list)  # (at, clock, due)

    @property
    def open_cycle(self) -> bool:
        return bool(self.cycles) and self.cycles[-1][1] is None


def _parse_due(value: Any, zone: str) -> int | None:
    """A `due` event's instant: ISO text or datetime; a naive value is in `desk.timezone`.

    An unreadable value counts as no manual due: services validate input, and one bad
    row must not stop a queue from rendering.
    """
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return to_epoch_us(moment)


def _replay(context: _Context, history: TicketHistory, now_us: int) -> _Timeline:
    """Walk the events, ordered by instant then seq, up to and including `now`."""
    created_us = to_epoch_us(history.created_at)
    timeline = _Timeline(
        created_us=created_us,
        now_us=now_us,
        category=context.category(history.status),
        terms=_Terms(history.sla, history.priority, created_us),
    )
    if timeline.category == "active":
        timeline.active_since = created_us
    elif timeline.category == "solved":
        timeline.first_solve = timeline.last_solve = _Stop(created_us, timeline.terms)
    keyed = [
        (to_epoch_us(event.at), event.seq, index) for index, event in enumerate(history.events)
    ]
    if any(keyed[i] > keyed[i + 1] for i in range(len(keyed) - 1)):
        keyed.sort()
    events = history.events
    for at_us, _seq, index in keyed:
        if at_us > now_us:
            break
        event = events[index]
        _apply(context, timeline, at_us, event.kind, event.data)
    return timeline


def _apply(
    context: _Context, timeline: _Timeline, at_us: int, kind: str, data: dict[str, Any]
) -> None:
    """Apply one event to the timeline."""
    if kind == "customer_message":
        # Only after the first response, and only the oldest unanswered message starts a cycle.
        if timeline.first_reply is not None and not timeline.open_cycle:
            timeline.cycles.append((at_us, None))
    elif kind == "reply":
        if timeline.first_reply is None:
            timeline.first_reply = _Stop(at_us, timeline.terms)
        elif timeline.open_cycle:
            timeline.cycles[-1] = (timeline.cycles[-1][0], _Stop(at_us, timeline.terms))
    elif kind == "status":
        _change_category(timeline, at_us, context.category(data.get("to")))
    elif kind == "priority" and data.get("to"):
        timeline.terms = _Terms(timeline.terms.sla, data["to"], at_us)
    elif kind == "quota" and "sla" in data:
        timeline.terms = _Terms(data["sla"], timeline.terms.priority, at_us)
    elif kind == "due" and data.get("clock"):
        due_us = _parse_due(data.get("due"), context.policy.desk.timezone)
        timeline.dues.append((at_us, data["clock"], due_us))


def _change_category(timeline: _Timeline, at_us: int, new: StatusCategory) -> None:
    old = timeline.category
    if old == new:
        return
    if timeline.active_since is not None:
        timeline.active_runs.append((timeline.active_since, at_us))
        timeline.active_since = None
    if new == "active":
        timeline.active_since = at_us
    if new == "solved":
        timeline.last_solve = _Stop(at_us, timeline.terms)
        if timeline.first_solve is None:
            timeline.first_solve = timeline.last_solve
    elif old == "solved":
        timeline.last_solve = None  # reopened (to active, paused or void)
    timeline.category = new


# --------------------------------------------------------------------------------------------
# One clock's accrual, in working positions of its calendar


class _Track:
    """The working time one clock accrued: closed active runs, then an open-ended tail.

    The tail starts where time would keep counting if nothing changed: the start of the
    current active run (running clocks), now (paused ones) or the stop (stopped ones). It
    is what lets a paused or met clock show the deadline it would have.
    """

    __slots__ = (
        "calendar",
        "runs",
        "tail_us",
        "tail_pos",
        "running",
        "start_us",
        "stop_us",
        "since_us",
    )

    def __init__(
        self,
        calendar: WorkingCalendar,
        runs: list[tuple[int, int]],
        tail_us: int,
        running: bool,
        start_us: int,
        stop_us: int | None,
        since_us: int,
    ) -> None:
        position = calendar.position
        self.calendar = calendar
        self.runs = [(start, end, position(start), position(end)) for start, end in runs]
        self.tail_us = tail_us
        self.tail_pos = position(tail_us)
        self.running = running
        self.start_us = start_us
        self.stop_us = stop_us
        self.since_us = since_us

    def elapsed_at(self, moment_us: int) -> int:
        """Working µs accrued by `moment_us` (the tail counts for instants after it)."""
        accrued = 0
        for start, end, start_pos, end_pos in self.runs:
            if moment_us <= start:
                return accrued
            if moment_us < end:
                return accrued + self.calendar.position(moment_us) - start_pos
            accrued += end_pos - start_pos
        if moment_us <= self.tail_us:
            return accrued
        return accrued + self.calendar.position(moment_us) - self.tail_pos

    def instant_at_elapsed(self, amount_us: int) -> int:
        """The earliest instant at which the clock has accrued `amount_us` of working time."""
        if amount_us <= 0:
            return self.start_us
        accrued = 0
        for _start, _end, start_pos, end_pos in self.runs:
            if amount_us <= accrued + end_pos - start_pos:
                return self.calendar.instant_at(start_pos + amount_us - accrued)
            accrued += end_pos - start_pos
        return self.calendar.instant_at(self.tail_pos + amount_us - accrued)


def _track(
    calendar: WorkingCalendar,
    timeline: _Timeline,
    start_us: int,
    stop_us: int | None,
    since_us: int,
) -> _Track:
    """Clip the ticket's active periods to one clock's [start, stop or now] window."""
    end_us = stop_us if stop_us is not None else timeline.now_us
    runs = [
        (max(run_start, start_us), min(run_end, end_us))
        for run_start, run_end in timeline.active_runs
        if run_end > start_us and run_start < end_us
    ]
    active_since = timeline.active_since
    running = stop_us is None and active_since is not None
    if running:
        assert active_since is not None
        tail_us = max(active_since, start_us)
    else:
        if active_since is not None and active_since < end_us:
            runs.append((max(active_since, start_us), end_us))
        tail_us = end_us
    return _Track(calendar, runs, tail_us, running, start_us, stop_us, since_us)


# --------------------------------------------------------------------------------------------
# Evaluating a clock


def _manual_due(
    timeline: _Timeline, clock: str, start_us: int, end_us: int
) -> tuple[int, int | None] | None:
    """The last manual due for `clock` set during the clock's life: (set at, due or None)."""
    found = None
    for at_us, name, due_us in timeline.dues:
        if name == clock and start_us <= at_us <= end_us:
            found = (at_us, due_us)
    return found


def _evaluate(
    context: _Context,
    timeline: _Timeline,
    clock: str,
    start_us: int,
    stop: _Stop | None,
) -> Clock:
    """One clock under the terms in force at its stop (stopped) or now (running, paused)."""
    terms = stop.terms if stop is not None else timeline.terms
    sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if sla is None and stop is not None:
        terms = timeline.terms  # stopped while without an SLA: judge it by today's terms
        sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if sla is None:
        return NO_CLOCK
    stop_us = stop.at_us if stop is not None else None
    end_us = stop_us if stop_us is not None else timeline.now_us
    target_us = sla.target_us(terms.priority, clock)
    manual = _manual_due(timeline, clock, start_us, end_us) if timeline.dues else None
    manual_due_us = manual[1] if manual is not None else None
    if target_us is None and manual_due_us is None:
        return NO_CLOCK
    since_us = terms.since_us
    if manual is not None and manual_due_us is not None:
        since_us = max(since_us, manual[0])
    calendar = sla.calendar
    track = _track(calendar, timeline, start_us, stop_us, since_us)
    elapsed_us = track.elapsed_at(end_us)
    if manual_due_us is not None:
        due_us = manual_due_us
        start_pos, due_pos = calendar.position(start_us), calendar.position(due_us)
        threshold_us = sla.warn_threshold_us(due_pos - start_pos)
        warn_us = calendar.instant_at(start_pos + threshold_us) if threshold_us > 0 else start_us
        remaining = (due_pos - calendar.position(end_us)) // US_PER_SECOND
    else:
        assert target_us is not None
        due_us = track.instant_at_elapsed(target_us)
        warn_us = track.instant_at_elapsed(sla.warn_threshold_us(target_us))
        remaining = target_us // US_PER_SECOND - elapsed_us // US_PER_SECOND
    return _clock(track, target_us, due_us, warn_us, elapsed_us, remaining, timeline.now_us)


def _clock(
    track: _Track,
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
        state=state,
        target_seconds=None if target_us is None else target_us // US_PER_SECOND,
        remaining_seconds=remaining,
        elapsed_seconds=elapsed_us // US_PER_SECOND,
        due_us=due_us,
        warn_at_us=warn_us,
        warning_at_us=max(warn_us, since_us) if warned else None,
        breached_at_us=max(due_us, since_us) if breached else None,
        met_at_us=stop_us,
        started_at_us=track.start_us,
        track=track,
    )


# --------------------------------------------------------------------------------------------
# The three clocks


def _first_response(context: _Context, timeline: _Timeline) -> Clock:
    return _evaluate(context, timeline, "first_response", timeline.created_us, timeline.first_reply)


def _next_response(context: _Context, timeline: _Timeline) -> Clock:
    """The running cycle, else the last completed one, else none (SPEC §3.2)."""
    if timeline.first_reply is None or not timeline.cycles:
        return NO_CLOCK
    start_us, stop = timeline.cycles[-1]
    return _evaluate(context, timeline, "next_response", start_us, stop)


def _resolution(context: _Context, timeline: _Timeline, sla: _SlaTerms) -> Clock:
    """Stopped by the solve in force (`resume`) or for good by the first solve (`keep`)."""
    keep = sla.policy.resolution_on_reopen == "keep"
    stop = timeline.first_solve if keep else timeline.last_solve
    return _evaluate(context, timeline, "resolution", timeline.created_us, stop)


def compute_sla(policy: Policy, history: TicketHistory, now: datetime) -> TicketSla:
    """The ticket's SLA clocks at `now`, from its events up to `now` (SPEC §3).

    All clocks are `none` when the ticket is void now or has no (known) SLA now.
    """
    context = _context(policy)
    timeline = _replay(context, history, to_epoch_us(now))
    terms = timeline.terms
    sla = context.slas.get(terms.sla) if terms.sla is not None else None
    if timeline.category == "void" or sla is None:
        clocks = dict.fromkeys(CLOCKS, NO_CLOCK)
        return TicketSla(terms.sla, terms.priority, clocks, None, terms.since_us)
    clocks = {
        "first_response": _first_response(context, timeline),
        "next_response": _next_response(context, timeline),
        "resolution": _resolution(context, timeline, sla),
    }
    dues = [
        clock.due_us
        for clock in clocks.values()
        if clock.due_us is not None and clock.state in RUNNING_STATES
    ]
    return TicketSla(terms.sla, terms.priority, clocks, min(dues, default=None), terms.since_us)


def response_cycles(
    policy: Policy, history: TicketHistory, now: datetime | None = None
) -> list[ResponseCycle]:
    """Completed response cycles up to `now` (default: the whole log), oldest first.

    The first response is the first cycle; each later one runs from the oldest unanswered
    customer message to the next public reply. Tickets void at `now` have none. Without a
    target, durations use the desk's default SLA calendar, else plain elapsed time.
    """
    context = _context(policy)
    now_us = to_epoch_us(now) if now is not None else _last_instant_us(history)
    timeline = _replay(context, history, now_us)
    if timeline.category == "void" or timeline.first_reply is None:
        return []
    completed = [("first_response", timeline.created_us, timeline.first_reply)]
    completed += [
        ("next_response", start, stop) for start, stop in timeline.cycles if stop is not None
    ]
    return [_cycle(context, timeline, name, start, stop) for name, start, stop in completed]


def _cycle(
    context: _Context, timeline: _Timeline, clock: str, start_us: int, stop: _Stop
) -> ResponseCycle:
    evaluated = _evaluate(context, timeline, clock, start_us, stop)
    track = evaluated.track
    if track is None:
        current = context.slas.get(timeline.terms.sla or "")
        calendar = current.calendar if current else context.fallback
        track = _track(calendar, timeline, start_us, stop.at_us, start_us)
    calendar = track.calendar
    working_us = calendar.position(stop.at_us) - calendar.position(start_us)
    return ResponseCycle(
        clock=clock,  # type: ignore[arg-type]
        started_at=from_epoch_us(start_us),
        met_at=from_epoch_us(stop.at_us),
        elapsed_seconds=track.elapsed_at(stop.at_us) // US_PER_SECOND,
        working_seconds=working_us // US_PER_SECOND,
        target_seconds=evaluated.target_seconds,
        due=evaluated.due,
        outcome=evaluated.state if evaluated.state in STOPPED_STATES else None,  # type: ignore[arg-type]
    )


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
