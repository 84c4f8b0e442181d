"""Escalation levels of a ticket as a pure function of (policy, event log, now) (SPEC §5).

`escalation_timeline` replays the ticket's SLA clocks and says when its escalation level
changed (each level at the exact instant a clock reached it, de-escalation when the causing
clock stops or the ticket is solved or void) and which level comes next; `recorded_escalation`
reads what the log already records (levels reached and left, acknowledgements), and
`escalation_changes` is the difference to record. docs/escalation.md explains the choices.

How the timeline is exact without stepping through time: between two *shape changes* of the
clocks (a priority, SLA or due change, a new next-response cycle, entering or leaving a
solved/void status) every clock is one fixed function of time, so one `compute_sla` at the end
of each such segment gives, through `Clock.level_instant`, the instant each level was reached
within it. Pauses, replies and solves inside a segment are already in those clocks' tracks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tui_desk.core.calendar import WorkingCalendar, from_epoch_us, to_epoch_us
from tui_desk.core.events import TicketHistory
from tui_desk.core.policy import CLOCKS, EscalationLevel, Policy, StatusCategory
from tui_desk.core.sla import RUNNING_STATES, TicketSla, compute_sla

NOT_ESCALATING: frozenset[str] = frozenset({"solved", "void"})
# Events after which the clocks are a different function of time (see the module docstring).
_TERMS_KINDS = frozenset({"priority", "due"})


class LogEvent(Protocol):
    """What `recorded_escalation` reads of an event (`TicketEvent` and the services' views)."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def author(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class LevelStep:
    """The ticket's escalation level from `at` on: 0 (none) or a 1-based level of the policy,
    and the clock holding it (the one that reached it first; None at level 0)."""

    at: datetime
    level: int
    clock: str | None


@dataclass(frozen=True, slots=True)
class NextLevel:
    """The next level the ticket will reach if its running clocks keep running."""

    level: int
    name: str
    clock: str
    at: datetime
    calendar: WorkingCalendar  # the clock's calendar ("within the next working hour")


@dataclass(frozen=True, slots=True)
class EscalationTimeline:
    """The ticket's level over time, from `start` (the level in force at `since`) to now.

    `steps` are the changes after `start`, oldest first. `current` is the level now, the
    instant it was entered (or `start.at` if that was before `since`) and the clock holding it
    now. `sla` holds the clocks at now (None when the ticket is solved or void now).
    """

    start: LevelStep
    steps: tuple[LevelStep, ...]
    current: LevelStep
    upcoming: NextLevel | None
    sla: TicketSla | None


@dataclass(frozen=True, slots=True)
class LevelChange:
    """One escalation event to record: a level reached, or the level left (de-escalation)."""

    at: datetime
    level: int  # reached: the level reached; left: the level left
    name: str
    clock: str | None
    reached: bool
    to: int  # the ticket's level after the change

    def event_data(self) -> dict[str, Any]:
        """The `escalation` event's data (SPEC §7, core.events)."""
        data: dict[str, Any] = {
            "level": self.level,
            "name": self.name,
            "clock": self.clock,
            "reached": self.reached,
        }
        if not self.reached:
            data["to"] = self.to
        return data


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """What a ticket's log records about its escalation.

    `since` is when the current level was reached; `last_change` the instant of the latest
    level event (reached or left), from which the escalation pass continues.
    """

    level: int = 0
    name: str | None = None
    clock: str | None = None
    since: datetime | None = None
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    last_change: datetime | None = None
    changes: int = 0  # how many level events the log holds


# --------------------------------------------------------------------------------------------
# The timeline


def escalation_timeline(
    policy: Policy, history: TicketHistory, now: datetime, since: datetime | None = None
) -> EscalationTimeline:
    """The ticket's escalation level from `since` (default: its creation) up to `now`.

    Solved and void tickets are at level 0; a level holds from the instant its clock reached
    it until that clock stops (met), so a clock paused after reaching a level keeps it, and one
    paused before it never reaches it while paused.
    """
    levels = policy.escalation.levels
    now_us = to_epoch_us(now)
    created_us = to_epoch_us(history.created_at)
    # Points at or before the base make the starting level; with no `since` every instant
    # of the ticket's life is after it.
    base_us = created_us - 1 if since is None else min(max(to_epoch_us(since), created_us), now_us)
    if now_us < created_us or not levels:
        nothing = LevelStep(from_epoch_us(min(created_us, now_us)), 0, None)
        return EscalationTimeline(nothing, (), nothing, None, None)

    segments = _segments(policy, history, created_us, now_us)
    points: list[tuple[int, int, str | None]] = []
    sla: TicketSla | None = None
    for index, (start_us, escalating) in enumerate(segments):
        last = index + 1 == len(segments)
        end_us = now_us if last else segments[index + 1][0] - 1
        if end_us < base_us:
            continue
        if not escalating:
            points.append((start_us, 0, None))
            sla = None
            continue
        sla = compute_sla(policy, history, now if last else from_epoch_us(end_us))
        points.extend(_segment_points(levels, sla, start_us, end_us))

    level, clock, entered_us = 0, None, base_us
    start: LevelStep | None = None
    steps: list[LevelStep] = []
    for at_us, point_level, point_clock in points:
        if at_us > base_us and start is None:
            start = LevelStep(from_epoch_us(max(base_us, created_us)), level, clock)
        if at_us > base_us and point_level != level:
            steps.append(LevelStep(from_epoch_us(at_us), point_level, point_clock))
            entered_us = at_us
        level, clock = point_level, point_clock
    if start is None:
        start = LevelStep(from_epoch_us(max(base_us, created_us)), level, clock)
    current = LevelStep(from_epoch_us(max(entered_us, created_us)), level, clock)
    upcoming = _next_level(levels, sla, level, now_us) if sla is not None else None
    return EscalationTimeline(start, tuple(steps), current, upcoming, sla)


def _category(policy: Policy, status: str | None) -> StatusCategory:
    """A status's category; unknown statuses (a policy changed since) count as active."""
    try:
        return policy.statuses.category(status or "")
    except KeyError:
        return "active"


def _segments(
    policy: Policy, history: TicketHistory, created_us: int, now_us: int
) -> list[tuple[int, bool]]:
    """Start instants of the segments in which the clocks are fixed functions of time, and
    whether the ticket may escalate in each (it is neither solved nor void)."""
    category = _category(policy, history.status)
    segments: list[list[Any]] = [[created_us, category]]
    first_reply, open_cycle = category == "solved", False
    keyed = sorted(
        ((to_epoch_us(event.at), event.seq, event) for event in history.events),
        key=lambda item: (item[0], item[1]),
    )
    for at_us, _seq, event in keyed:
        if at_us > now_us:
            break
        kind = event.kind
        boundary = False
        if kind == "customer_message":
            # A new next-response cycle: the previous one is only visible until it starts.
            if first_reply and not open_cycle:
                open_cycle = boundary = True
        elif kind == "reply":
            if not first_reply:
                first_reply = True
            else:
                open_cycle = False
        elif kind == "status":
            new = _category(policy, event.data.get("to"))
            boundary = new != category and (new in NOT_ESCALATING or category in NOT_ESCALATING)
            if new == "solved" and category != "solved":
                # A solve stops the open response clocks as a reply would (core.sla).
                first_reply, open_cycle = True, False
            category = new
        elif kind in _TERMS_KINDS or (kind == "quota" and "sla" in event.data):
            boundary = True
        if boundary and at_us > segments[-1][0]:
            segments.append([at_us, category])
        elif at_us == segments[-1][0]:
            segments[-1][1] = category
    return [(start, category not in NOT_ESCALATING) for start, category in segments]


def _segment_points(
    levels: Sequence[EscalationLevel], sla: TicketSla, start_us: int, end_us: int
) -> list[tuple[int, int, str | None]]:
    """(instant, level, clock) at every instant of [start, end] where the level may change."""
    holds: list[tuple[int, str, list[tuple[int, int, int]], int | None]] = []
    instants = {start_us}
    for order, name in enumerate(CLOCKS):
        clock = sla.clocks[name]
        if clock.state == "none":
            continue
        stop_us = clock.met_at_us
        if stop_us is not None and stop_us <= start_us:
            continue
        reaches: list[tuple[int, int, int]] = []  # (held from, reached at, level)
        for index, level in enumerate(levels, start=1):
            instant = clock.level_instant(level.at, level.after)
            if instant is None:
                continue
            reached_us = to_epoch_us(instant)
            held_us = max(reached_us, start_us)
            if reached_us > end_us or (stop_us is not None and held_us >= stop_us):
                continue
            reaches.append((held_us, reached_us, index))
            instants.add(held_us)
        if reaches:
            if stop_us is not None:
                instants.add(stop_us)
            holds.append((order, name, reaches, stop_us))
    points: list[tuple[int, int, str | None]] = []
    for point_us in sorted(instants):
        best: tuple[int, int, int] | None = None  # (-level, reached at, clock order)
        best_clock: str | None = None
        for order, name, reaches, stop_us in holds:
            if stop_us is not None and point_us >= stop_us:
                continue
            for held_us, reached_us, index in reaches:
                key = (-index, reached_us, order)
                if held_us <= point_us and (best is None or key < best):
                    best, best_clock = key, name
        points.append((point_us, -best[0] if best else 0, best_clock))
    return points


def _next_level(
    levels: Sequence[EscalationLevel], sla: TicketSla, current: int, now_us: int
) -> NextLevel | None:
    """The earliest future instant a running clock reaches a level above the current one."""
    best: tuple[int, int] | None = None
    found: NextLevel | None = None
    for name in CLOCKS:
        clock = sla.clocks[name]
        if clock.state not in RUNNING_STATES or clock.calendar is None:
            continue
        for index, level in enumerate(levels, start=1):
            if index <= current:
                continue
            instant = clock.level_instant(level.at, level.after)
            if instant is None:
                continue
            instant_us = to_epoch_us(instant)
            key = (instant_us, -index)
            if instant_us > now_us and (best is None or key < best):
                best = key
                found = NextLevel(index, level.name, name, instant, clock.calendar)
    return found


# --------------------------------------------------------------------------------------------
# What the log records, and what is left to record


def recorded_escalation(events: Iterable[LogEvent]) -> EscalationRecord:
    """Replay the `escalation` and `escalation_ack` events of a log ordered by (at, seq).

    An acknowledgement covers the level it was given for and every lower one, until a level
    is reached again: a new level needs a new acknowledgement.
    """
    level = 0
    reached: dict[int, tuple[int, datetime, str | None, str | None]] = {}  # order, at, name, clock
    acks: list[tuple[int, int, datetime, str | None]] = []  # order, level, at, by
    last_change: datetime | None = None
    changes = 0
    for order, event in enumerate(events):
        data = event.data
        if event.kind == "escalation" and "reached" in data:
            changes += 1
            last_change = event.at
            event_level = int(data.get("level") or 0)
            if data["reached"]:
                reached[event_level] = (order, event.at, data.get("name"), data.get("clock"))
                level = event_level
            else:
                level = int(data.get("to") or 0)
            for higher in [known for known in reached if known > level]:
                del reached[higher]
        elif event.kind == "escalation_ack":
            acks.append((order, int(data.get("level") or level), event.at, event.author))
    if level == 0 or level not in reached:
        return EscalationRecord(level=level, last_change=last_change, changes=changes)
    order, since, name, clock = reached[level]
    covering = [ack for ack in acks if ack[0] > order and ack[1] >= level]
    ack = covering[-1] if covering else None
    return EscalationRecord(
        level=level,
        name=name,
        clock=clock,
        since=since,
        acknowledged=ack is not None,
        acknowledged_by=ack[3] if ack else None,
        acknowledged_at=ack[2] if ack else None,
        last_change=last_change,
        changes=changes,
    )


def escalation_changes(
    record: EscalationRecord, timeline: EscalationTimeline, levels: Sequence[EscalationLevel]
) -> list[LevelChange]:
    """The level events that bring the log from `record` to `timeline`.

    `timeline` should start at `record.last_change`. Going up records every level passed, each
    at the instant of the step; going down records one event for the level left. A log that
    disagrees with the timeline at its start (events written with a past `--at`, a policy
    change) is corrected at that instant.
    """

    def name(level: int) -> str:
        if 1 <= level <= len(levels):
            return levels[level - 1].name
        return record.name or f"level {level}"

    current = record.level
    clocks: dict[int, str | None] = {record.level: record.clock}
    out: list[LevelChange] = []
    for step in (timeline.start, *timeline.steps):
        if step.level > current:
            for level in range(current + 1, step.level + 1):
                out.append(LevelChange(step.at, level, name(level), step.clock, True, level))
                clocks[level] = step.clock
        elif step.level < current:
            out.append(
                LevelChange(step.at, current, name(current), clocks.get(current), False, step.level)
            )
        current = step.level
    return out


__all__ = [
    "EscalationRecord",
    "EscalationTimeline",
    "LevelChange",
    "LevelStep",
    "NextLevel",
    "escalation_changes",
    "escalation_timeline",
    "recorded_escalation",
]
