"""What the SLA computation returns: a `Clock` at an instant, a ticket's `TicketSla`, a
completed `ResponseCycle`; the clock states, and the one text every face shows for a
clock (SPEC §3.5, §7, §8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tui_desk.core.calendar import US_PER_SECOND, UTC, WorkingCalendar, from_epoch_us
from tui_desk.core.durations import Duration, format_span
from tui_desk.core.policy import CLOCKS
from tui_desk.core.sla_track import Track

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
ResponseClock = Literal["first_response", "next_response"]
# How a clock reads in every face (SPEC §3.5, §8): a countdown, or one of these marks.
PAUSE_MARK = "\u2016"  # ‖ : narrow in every terminal, unlike the ⏸ emoji
MET_MARK, MISSED_MARK, NO_CLOCK_MARK = "\u2713", "\u2717", "\u2014"  # ✓ ✗ —


def iso_z(moment: datetime | None) -> str | None:
    """SPEC §7 timestamp text: UTC, whole seconds (truncated), `Z` suffix; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_datetime(epoch_us: int | None) -> datetime | None:
    return None if epoch_us is None else from_epoch_us(epoch_us)


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
    track: Track | None = field(default=None, compare=False, repr=False)

    @property
    def due(self) -> datetime | None:
        return utc_datetime(self.due_us)

    @property
    def warn_at(self) -> datetime | None:
        return utc_datetime(self.warn_at_us)

    @property
    def warning_at(self) -> datetime | None:
        return utc_datetime(self.warning_at_us)

    @property
    def breached_at(self) -> datetime | None:
        return utc_datetime(self.breached_at_us)

    @property
    def met_at(self) -> datetime | None:
        return utc_datetime(self.met_at_us)

    @property
    def started_at(self) -> datetime | None:
        return utc_datetime(self.started_at_us)

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
        return utc_datetime(self.next_deadline_us)

    @property
    def terms_since(self) -> datetime | None:
        return utc_datetime(self.terms_since_us)

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

    clock: ResponseClock
    started_at: datetime
    met_at: datetime
    elapsed_seconds: int
    working_seconds: int
    target_seconds: int | None
    due: datetime | None
    outcome: Literal["met", "missed"] | None
    met_by: Literal["reply", "solve"] = "reply"
