"""SLA clocks of a ticket as a pure function of (policy, event log, now) (SPEC §3.1(4)-§3.6).

`compute_sla` replays the events up to `now` and returns the three clocks; `response_cycles`
lists the completed response cycles for reports; `escalation_instants` tells the escalation
engine when each clock reached (or will reach) a level; `running_deadlines` gives, from a
lean `ClockLog`, only what the store caches of the running clocks (a store-wide recompute).
docs/sla.md explains every rule.

The model: a clock has a *start* (creation, or the oldest unanswered customer message), may
have a *stop* (the reply or solve that meets it) and accrues the working time of its SLA's
calendar only while the ticket's status is in the `active` category. Its deadline is the
instant its accrued time reaches the target, so time spent paused (or solved, or void)
shifts the deadline by exactly its overlap with working hours.

Instants are handled as epoch microseconds (see `core.calendar`); results keep them as
`*_us` ints and build UTC datetimes on demand, which keeps a screenful of tickets cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import itemgetter
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from tui_desk.core.calendar import US_PER_SECOND, UTC, WorkingCalendar, from_epoch_us, to_epoch_us
from tui_desk.core.durations import Duration, format_span
from tui_desk.core.events import ClockLog, ClockStep, TicketHistory
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
# How a clock reads in every face (SPEC §3.5, §8): a countdown, or one of these marks.
PAUSE_MARK = "\u2016"  # ‖ : narrow in every terminal, unlike the ⏸ emoji
MET_MARK, MISSED_MARK, NO_CLOCK_MARK = "\u2713", "\u2717", "\u2014"  # ✓ ✗ —


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

    @property
    def countdown(self) -> str:
        """The one text every face shows for this clock (SPEC §3.5, §8): remaining working
        time where a day is the clock calendar's working day (`1h 23m`, `−1d 3h` when
        breached), `‖ 40m` when paused, ✓ met, ✗ missed, — no clock."""
        state = self.state
        if state == "met":
            return MET_MARK
        if state == "missed":
            return MISSED_MARK
        if state == "none" or self.track is None:
            return NO_CLOCK_MARK
        text = format_span(self.remaining_seconds or 0, day_seconds=self.track.calendar.day_seconds)
        return f"{PAUSE_MARK} {text}" if state == "paused" else text

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

    @property
    def leading_clock(self) -> str | None:
        """The clock a one-countdown face shows (the CLI's queue): the running clock due
        first (the one `next_deadline` is), else the paused one due first; None if neither."""
        for states in (RUNNING_STATES, ("paused",)):
            candidates = [
                (clock.due_us, name)
                for name, clock in self.clocks.items()
                if clock.state in states and clock.due_us is not None
            ]
            if candidates:
                return min(candidates)[1]
        return None

    def to_json(self) -> dict[str, Any]:
        """The `sla` object of SPEC §7 (`next_deadline` is a sibling key of the ticket)."""
        return {name: self.clocks[name].to_json() for name in CLOCKS}


@dataclass(frozen=True, slots=True)
class ResponseCycle:
    """A completed response cycle, for reports (SPEC §6 reply wait, SLA met/missed).

    `elapsed_seconds` is clock time (working time while active); `working_seconds` the plain
    working time from start to reply (pauses included). `target_seconds`, `due` and
    `outcome` are None when no target applied (no SLA, or none for that priority).
    `met_by` says what stopped the cycle: a public reply, or a solve that came first (such
    a cycle counts for SLA met/missed, not for reply-wait figures).
    """

    clock: Literal["first_response", "next_response"]
    started_at: datetime
    met_at: datetime
    elapsed_seconds: int
    working_seconds: int
    target_seconds: int | None
    due: datetime | None
    outcome: Literal["met", "missed"] | None
    met_by: Literal["reply", "solve"] = "reply"


# --------------------------------------------------------------------------------------------
# The policy, resolved once per Policy object


@dataclass(frozen=True, slots=True)
class _SlaTerms:
    """An SLA policy with its calendar and targets in working µs (None: no target)."""

    policy: SlaPolicy
    calendar: WorkingCalendar
    targets_us: dict[tuple[str, str], int | None]  # (priority, clock) -> µs
    warn_before_us: int | None
    warn_thresholds_us: dict[tuple[str, str], int]  # (priority, clock) -> of its target

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
    terms = _SlaTerms(sla, calendar, targets, before_us, {})
    terms.warn_thresholds_us.update(
        (key, terms.warn_threshold_us(target_us))
        for key, target_us in targets.items()
        if target_us is not None
    )
    return terms


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

# The event kinds the clocks read, and those of them whose payload they read too; the
# others (notes, tags, escalations...) never move a clock.
CLOCK_EVENT_KINDS: frozenset[str] = frozenset(
    {"customer_message", "reply", "status", "priority", "quota", "due"}
)
CLOCK_PAYLOAD_KINDS: frozenset[str] = frozenset({"status", "priority", "quota", "due"})


class _Terms(NamedTuple):
    sla: str | None
    priority: str
    since_us: int


class _Stop(NamedTuple):
    at_us: int
    terms: _Terms
    solve: bool = False  # a solve (not a reply) stopped the clock


@dataclass(slots=True)
class _Timeline:
    """What the event log says, up to now, in epoch microseconds."""

    created_us: int
    now_us: int
    category: StatusCategory
    terms: _Terms
    active_runs: list[tuple[int, int]]  # closed active periods
    active_since: int | None  # start of the open active period, if active now
    first_reply: _Stop | None
    first_solve: _Stop | None
    last_solve: _Stop | None  # the solve in force now (None unless solved now)
    cycles: list[tuple[int, _Stop | None]]  # next_response
    dues: list[tuple[int, str, int | None]]  # (at, clock, due)


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


def clock_log(history: TicketHistory) -> ClockLog:
    """The events of a history that move clocks, with instants as epoch µs."""
    kinds = CLOCK_EVENT_KINDS
    return ClockLog(
        to_epoch_us(history.created_at),
        history.priority,
        history.sla,
        history.status,
        [(to_epoch_us(e.at), e.seq, e.kind, e.data) for e in history.events if e.kind in kinds],
    )


_STEP_ORDER = itemgetter(0, 1)


def _in_order(steps: Sequence[ClockStep]) -> Sequence[ClockStep]:
    """The steps ordered by (at, seq); the sort is stable, so equal keys keep log order."""
    if len(steps) < 2:
        return steps
    last_at, last_seq = steps[0][0], steps[0][1]
    for at_us, seq, _kind, _data in steps:
        if at_us < last_at or (at_us == last_at and seq < last_seq):
            return sorted(steps, key=_STEP_ORDER)
        last_at, last_seq = at_us, seq
    return steps


def _replay(context: _Context, log: ClockLog, now_us: int) -> _Timeline:
    """Walk the events, ordered by instant then seq, up to and including `now`.

    One loop over local variables: this runs for every ticket of a store recompute.
    """
    created_us = log.created_us
    # A status's category; unknown statuses (a policy changed since) count as active.
    categories = context.categories
    status = log.status
    category: StatusCategory = categories.get(status, "active") if status is not None else "active"
    terms = _Terms(log.sla, log.priority, created_us)
    active_runs: list[tuple[int, int]] = []
    active_since = created_us if category == "active" else None
    first_solve = last_solve = _Stop(created_us, terms, True) if category == "solved" else None
    first_reply: _Stop | None = first_solve
    cycles: list[tuple[int, _Stop | None]] = []
    dues: list[tuple[int, str, int | None]] = []
    open_cycle = False  # the last cycle waits for its reply
    for at_us, _seq, kind, data in _in_order(log.steps):
        if at_us > now_us:
            break
        if kind == "status":
            to = data.get("to")
            new: StatusCategory = categories.get(to, "active") if to is not None else "active"
            if new == category:
                continue
            if active_since is not None:
                active_runs.append((active_since, at_us))
                active_since = None
            if new == "active":
                active_since = at_us
            if new == "solved":
                last_solve = _Stop(at_us, terms, True)
                if first_solve is None:
                    first_solve = last_solve
                # A solve stops every clock still open (SPEC §3.5): a response clock the
                # solve overtook is judged at the solve and never moves again; a customer
                # who writes later starts a new next-response cycle.
                if first_reply is None:
                    first_reply = last_solve
                elif open_cycle:
                    cycles[-1] = (cycles[-1][0], last_solve)
                    open_cycle = False
            elif category == "solved":
                last_solve = None  # reopened (to active, paused or void)
            category = new
        elif kind == "customer_message":
            # Only after the first response, and only the oldest unanswered message starts
            # a cycle.
            if first_reply is not None and not open_cycle:
                cycles.append((at_us, None))
                open_cycle = True
        elif kind == "reply":
            if first_reply is None:
                first_reply = _Stop(at_us, terms)
            elif open_cycle:
                cycles[-1] = (cycles[-1][0], _Stop(at_us, terms))
                open_cycle = False
        elif kind == "priority":
            if data.get("to"):
                terms = _Terms(terms.sla, data["to"], at_us)
        elif kind == "quota":
            if "sla" in data:
                terms = _Terms(data["sla"], terms.priority, at_us)
        elif kind == "due" and data.get("clock"):
            due_us = _parse_due(data.get("due"), context.policy.desk.timezone)
            dues.append((at_us, data["clock"], due_us))
    return _Timeline(
        created_us,
        now_us,
        category,
        terms,
        active_runs,
        active_since,
        first_reply,
        first_solve,
        last_solve,
        cycles,
        dues,
    )


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
        "manual_due_us",
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
        self.manual_due_us: int | None = None  # set when a manual due rules the clock

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


class _Measure(NamedTuple):
    """A clock's figures before its state is decided (see `_clock`)."""

    track: _Track
    target_us: int | None
    due_us: int
    warn_us: int
    elapsed_us: int
    remaining: int


def _measure(
    context: _Context,
    timeline: _Timeline,
    clock: str,
    start_us: int,
    stop: _Stop | None,
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
    track = _track(calendar, timeline, start_us, stop_us, since_us)
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
    context: _Context,
    timeline: _Timeline,
    clock: str,
    start_us: int,
    stop: _Stop | None,
) -> Clock:
    measured = _measure(context, timeline, clock, start_us, stop)
    return NO_CLOCK if measured is None else _clock(*measured, timeline.now_us)


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
    return _new_clock(
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


# Clock's slot setters, in field order. A frozen dataclass's generated __init__ sets each
# field through object.__setattr__, twice as slow as these, and a queue screen builds a
# hundred clocks per refresh; `test_sla` checks that both ways build equal clocks.
(
    _set_state,
    _set_target,
    _set_remaining,
    _set_elapsed,
    _set_due,
    _set_warn_at,
    _set_warning_at,
    _set_breached_at,
    _set_met_at,
    _set_started_at,
    _set_track,
) = (getattr(Clock, f.name).__set__ for f in fields(Clock))


def _new_clock(
    state: ClockState,
    target_seconds: int | None,
    remaining_seconds: int,
    elapsed_seconds: int,
    due_us: int,
    warn_at_us: int,
    warning_at_us: int | None,
    breached_at_us: int | None,
    met_at_us: int | None,
    started_at_us: int,
    track: _Track,
) -> Clock:
    """`Clock(...)` with every field given, without the generated __init__ (see above)."""
    clock = object.__new__(Clock)
    _set_state(clock, state)
    _set_target(clock, target_seconds)
    _set_remaining(clock, remaining_seconds)
    _set_elapsed(clock, elapsed_seconds)
    _set_due(clock, due_us)
    _set_warn_at(clock, warn_at_us)
    _set_warning_at(clock, warning_at_us)
    _set_breached_at(clock, breached_at_us)
    _set_met_at(clock, met_at_us)
    _set_started_at(clock, started_at_us)
    _set_track(clock, track)
    return clock


# --------------------------------------------------------------------------------------------
# The three clocks


def _next_cycle(timeline: _Timeline) -> tuple[int, _Stop | None] | None:
    """The running next-response cycle, else the last completed one (SPEC §3.2)."""
    if timeline.first_reply is None or not timeline.cycles:
        return None
    return timeline.cycles[-1]


def _resolution_stop(timeline: _Timeline, sla: _SlaTerms) -> _Stop | None:
    """The solve in force (`resume`) or, for good, the first solve (`keep`)."""
    keep = sla.policy.resolution_on_reopen == "keep"
    return timeline.first_solve if keep else timeline.last_solve


def compute_sla(policy: Policy, history: TicketHistory, now: datetime) -> TicketSla:
    """The ticket's SLA clocks at `now`, from its events up to `now` (SPEC §3).

    All clocks are `none` when the ticket is void now or has no (known) SLA now.
    """
    context = _context(policy)
    timeline = _replay(context, clock_log(history), to_epoch_us(now))
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
    context = _context(policy)
    timeline = _replay(context, log, now_us)
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
    context = _context(policy)
    now_us = to_epoch_us(now) if now is not None else _last_instant_us(history)
    timeline = _replay(context, clock_log(history), now_us)
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
        met_by="solve" if stop.solve else "reply",
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
