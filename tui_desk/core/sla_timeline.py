"""The replayed event log of one ticket up to now, in epoch µs: its status periods, the
terms (SLA, priority) in force, first reply and solves, next-response cycles and manual
dues. `clock_log` extracts from a history the events that move clocks. Internal to the SLA
computation (`core.sla`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from tui_desk.core.calendar import to_epoch_us
from tui_desk.core.events import ClockLog, ClockStep, TicketHistory
from tui_desk.core.policy import StatusCategory
from tui_desk.core.sla_terms import SlaContext

# The event kinds the clocks read, and those of them whose payload they read too; the
# others (notes, tags, escalations...) never move a clock.
CLOCK_EVENT_KINDS: frozenset[str] = frozenset(
    {"customer_message", "reply", "status", "priority", "quota", "due"}
)
CLOCK_PAYLOAD_KINDS: frozenset[str] = frozenset({"status", "priority", "quota", "due"})


class Terms(NamedTuple):
    sla: str | None
    priority: str
    since_us: int


class Stop(NamedTuple):
    at_us: int
    terms: Terms
    solve: bool = False  # a solve (not a reply) stopped the clock


@dataclass(slots=True)
class Timeline:
    """What the event log says, up to now, in epoch microseconds."""

    created_us: int
    now_us: int
    category: StatusCategory
    terms: Terms
    active_runs: list[tuple[int, int]]  # closed active periods
    active_since: int | None  # start of the open active period, if active now
    first_reply: Stop | None
    first_solve: Stop | None
    last_solve: Stop | None  # the solve in force now (None unless solved now)
    cycles: list[tuple[int, Stop | None]]  # next_response
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


def replay(context: SlaContext, log: ClockLog, now_us: int) -> Timeline:
    """Walk the events, ordered by instant then seq, up to and including `now`.

    One loop over local variables: this runs for every ticket of a store recompute.
    """
    created_us = log.created_us
    # A status's category; unknown statuses (a policy changed since) count as active.
    categories = context.categories
    status = log.status
    category: StatusCategory = categories.get(status, "active") if status is not None else "active"
    terms = Terms(log.sla, log.priority, created_us)
    active_runs: list[tuple[int, int]] = []
    active_since = created_us if category == "active" else None
    first_solve = last_solve = Stop(created_us, terms, True) if category == "solved" else None
    first_reply: Stop | None = first_solve
    cycles: list[tuple[int, Stop | None]] = []
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
                last_solve = Stop(at_us, terms, True)
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
                first_reply = Stop(at_us, terms)
            elif open_cycle:
                cycles[-1] = (cycles[-1][0], Stop(at_us, terms))
                open_cycle = False
        elif kind == "priority":
            if data.get("to"):
                terms = Terms(terms.sla, data["to"], at_us)
        elif kind == "quota":
            if "sla" in data:
                terms = Terms(data["sla"], terms.priority, at_us)
        elif kind == "due" and data.get("clock"):
            due_us = _parse_due(data.get("due"), context.policy.desk.timezone)
            dues.append((at_us, data["clock"], due_us))
    return Timeline(
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
