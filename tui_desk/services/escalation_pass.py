"""The escalation pass (SPEC §5): records each level a ticket reached *at the instant it was
reached* (also after the program was closed), runs the level's `set` action and notifies.

It is idempotent, also with several processes on one store: each batch is one write
transaction that re-reads the log inside it, and every level event takes a unique
`escalation_mark` row. Which tickets to look at is store.queries.escalation_due; the
notifications are services.escalation_notify. docs/escalation.md explains the choices.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui_desk.core.escalation import (
    EscalationRecord,
    EscalationTimeline,
    LevelChange,
    escalation_changes,
    escalation_timeline,
    recorded_escalation,
)
from tui_desk.core.events import TicketHistory
from tui_desk.core.policy import EscalationLevel, Policy
from tui_desk.core.sla import compute_sla
from tui_desk.services.base import escalation_fingerprint
from tui_desk.services.desk_store import connection_reader, sla_cache_values
from tui_desk.services.escalation_notify import (
    AUTHOR,
    about_level,
    record_notification_failures,
    send_notifications,
)
from tui_desk.services.listing import EventView, events_of, history_from_events
from tui_desk.services.ticket_write import KEEP, Keep, event_row, field_changes
from tui_desk.store.engine import read_session, write_session
from tui_desk.store.models import (
    EscalationCheck,
    EscalationMark,
    Event,
    Ticket,
    TicketTag,
    table,
)
from tui_desk.store.queries import escalation_due, may_change, operator_names, ticket_tags

if TYPE_CHECKING:
    from tui_desk.services.desk import HelpDesk

_BATCH = 500
_T = table(Ticket)
_E = table(Event)
_CHECK = table(EscalationCheck)
_MARK = table(EscalationMark)
_TAG = table(TicketTag)

# A short digest of the effective policy: escalation checks made under another one are
# stale (the TUI reloads the policy file live).
policy_fingerprint = escalation_fingerprint


@dataclass(frozen=True, slots=True)
class ReachedLevel:
    """A level a ticket reached, recorded by a pass."""

    ticket_id: int
    subject: str
    level: int
    name: str
    clock: str | None
    at: datetime
    assignee: str | None
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LeftLevel:
    """A de-escalation recorded by a pass: `level` left for `to`."""

    ticket_id: int
    level: int
    name: str
    to: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one escalation pass did. `warnings` are for the operator (failed notifications,
    actions that could not apply); the pass never raises for them."""

    now: datetime
    checked: int = 0
    reached: tuple[ReachedLevel, ...] = ()
    left: tuple[LeftLevel, ...] = ()
    notifications: int = 0  # notifiers started (they finish in the background)
    summary: bool = False
    warnings: tuple[str, ...] = ()
    events: int = 0  # events written: level changes, their actions, failed notifications


# ----------------------------------------------------------------------------------------
# The pass


def run_escalation_pass(
    desk: HelpDesk, now: datetime | None = None, *, notify: bool = True
) -> PassReport:
    """Record every escalation change due by `now` (default: the desk's now), run level
    actions and notify (unless `notify` is false). Safe to run at any time, as often as
    wanted, from several processes at once."""
    now = (now or desk.now()).astimezone(UTC).replace(microsecond=0)
    policy = desk.policy
    fingerprint = policy_fingerprint(policy)
    with read_session(desk.engine) as session:
        conn = session.connection()
        candidates = escalation_due(connection_reader(conn), now, fingerprint)
        operators = (
            set(operator_names(connection_reader(conn)))
            if any("assignee" in level.set for level in policy.escalation.levels)
            else set()
        )
    if not candidates:
        return PassReport(now)
    checked = 0
    reached: list[ReachedLevel] = []
    left: list[LeftLevel] = []
    warnings: list[str] = []
    events = 0
    for start in range(0, len(candidates), _BATCH):
        batch = candidates[start : start + _BATCH]
        try:
            outcome = _run_batch(desk, batch, now, fingerprint, operators)
        except sa.exc.IntegrityError:
            # Only possible when another process recorded the same change between our read
            # and our write, which the write lock rules out on SQLite: nothing was written.
            warnings.append(
                "another process recorded escalations at the same time; "
                "the next pass picks up what is left"
            )
            continue
        checked += outcome.checked
        reached += outcome.reached
        left += outcome.left
        warnings += outcome.warnings
        events += outcome.events
    notifications = 0
    summary = False
    if notify and reached and policy.escalation.notify_command:
        notifications, summary, failures = send_notifications(desk, reached, now)
        if failures:
            warnings += [warning for warning, _rows in failures]
            about = [about_level(row) for _warning, rows in failures for row in rows]
            events += record_notification_failures(desk.engine, about, desk.now())
    return PassReport(
        now, checked, tuple(reached), tuple(left), notifications, summary, tuple(warnings), events
    )


def plan_unstored_ticket(
    policy: Policy,
    ticket: dict[str, Any],
    log: list[EventView],
    tags: set[str],
    operators: set[str],
    now: datetime,
    fingerprint: str,
    recorded_at: datetime,
) -> EscalationPlan | None:
    """What `run_escalation_pass` at `now` would record for a ticket that is about to be
    written in bulk and was never checked, computed before it is stored (the demo's 100k
    tickets): None when the pass would not look at it, else the same plan.

    `ticket` holds the row's columns as the store returns them (instants aware) and `log`
    its events as `escalation_logs` reads them: ordered by (at, id), data decoded, bodies left
    out. `operators` are the operator names (needed only when a level sets the assignee).
    """
    if not may_change(ticket, now):
        return None
    # Ids of new events only order them after the stored ones: one counter per ticket
    # orders them as a batch's shared counter does.
    seq = itertools.count(2**62)
    return _plan_ticket(policy, ticket, log, tags, operators, now, fingerprint, seq, recorded_at)


@dataclass(slots=True)
class EscalationPlan:
    """What the pass writes for one ticket: event and `escalation_mark` rows, tags added,
    the ticket's changed columns and its `escalation_check` row."""

    recorded_at: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    update: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    reached: list[ReachedLevel] = field(default_factory=list)
    left: list[LeftLevel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _BatchOutcome:
    checked: int = 0
    events: int = 0
    reached: list[ReachedLevel] = field(default_factory=list)
    left: list[LeftLevel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _run_batch(
    desk: HelpDesk, ids: list[int], now: datetime, fingerprint: str, operators: set[str]
) -> _BatchOutcome:
    """One write transaction: re-read the batch's tickets and logs under the write lock,
    plan every ticket, write everything in bulk."""
    policy = desk.policy
    outcome = _BatchOutcome()
    with write_session(desk.engine) as session:
        conn = session.connection()
        rows = conn.execute(sa.select(_T).where(_T.c.id.in_(ids)).with_for_update()).mappings()
        tickets = {row["id"]: dict(row) for row in rows}
        # Read as due before the lock: still due unless another pass checked it since.
        stale = set(escalation_due(connection_reader(conn), now, fingerprint, among=ids))
        todo = [ticket for ticket_id, ticket in tickets.items() if ticket_id in stale]
        if not todo:
            return outcome
        logs = escalation_logs(conn, [t["id"] for t in todo])
        tags = (
            ticket_tags(connection_reader(conn), [t["id"] for t in todo])
            if any("tags" in level.set for level in policy.escalation.levels)
            else {}
        )
        # Provisional ids for new events: after every stored one, in insertion order.
        seq = itertools.count(2**62)
        recorded_at = datetime.now(UTC)
        plans: dict[int, EscalationPlan] = {}
        for ticket in todo:
            plan = _plan_ticket(
                policy,
                ticket,
                logs.get(ticket["id"], []),
                set(tags.get(ticket["id"], ())),
                operators,
                now,
                fingerprint,
                seq,
                recorded_at,
            )
            plans[ticket["id"]] = plan
            outcome.checked += 1
            outcome.reached += plan.reached
            outcome.left += plan.left
            outcome.warnings += plan.warnings
            outcome.events += len(plan.events)
        _write_plans(conn, plans)
    return outcome


def escalation_logs(
    conn: Connection, ids: Sequence[int], kinds: Sequence[str] | None = None
) -> dict[int, list[EventView]]:
    """The logs of tickets `ids`, ordered by (at, id); only events of `kinds` if given.
    Bodies are left out: no escalation decision reads them, and they are most of a log."""
    return events_of(connection_reader(conn), ids, kinds=kinds, bodies=False)


@dataclass(slots=True)
class _Planning:
    """One ticket being planned: its row, its log as the plan grows it (new events get
    provisional ids from `seq`), and the fields level actions change."""

    policy: Policy
    ticket: dict[str, Any]
    plan: EscalationPlan
    log: list[EventView]
    seq: Iterator[int]
    state: dict[str, Any]
    operators: set[str]
    acted_at: datetime | None = None  # when a level action last changed the ticket


def _plan_ticket(
    policy: Policy,
    ticket: dict[str, Any],
    events: list[EventView],
    tags: set[str],
    operators: set[str],
    now: datetime,
    fingerprint: str,
    seq: Iterator[int],
    recorded_at: datetime,
) -> EscalationPlan:
    """The level events (and actions) that bring one ticket's log up to `now`, and the
    ticket's new columns and check row."""
    state = {"priority": ticket["priority"], "assignee": ticket["assignee"], "tags": set(tags)}
    work = _Planning(
        policy, ticket, EscalationPlan(recorded_at), list(events), seq, state, operators
    )
    timeline = _record_changes(work, now)
    history = history_from_events(work.log)
    if timeline is None:  # the log is ahead of `now`, or the round limit was hit
        timeline = escalation_timeline(policy, history, now, since=now)
    _settle(work, history, timeline, now, fingerprint)
    return work.plan


def _record_changes(work: _Planning, now: datetime) -> EscalationTimeline | None:
    """Record the level changes due by `now`; the timeline they were read from, if current.

    After a level's action changed the ticket (a priority raise moves its deadlines), the
    timeline is computed again from that instant: later levels follow the new terms.
    """
    levels = work.policy.escalation.levels
    timeline: EscalationTimeline | None = None
    # A log holding level changes after `now` (a clock set back, `--now` in the past) keeps
    # them: the pass never rewrites history from an earlier instant.
    ahead = (recorded_escalation(work.log).last_change or now) > now
    for _round in range(0 if ahead else 2 * len(levels) + 2):
        record = recorded_escalation(work.log)
        timeline = escalation_timeline(
            work.policy, history_from_events(work.log), now, since=record.last_change
        )
        changes = escalation_changes(record, timeline, levels)
        # A new priority moves the deadlines: recompute the levels from that change.
        if not any(
            _record_change(work, ordinal, change)
            for ordinal, change in enumerate(changes, start=record.changes)
        ):
            break
        timeline = None
    return timeline


def _record_change(work: _Planning, ordinal: int, change: LevelChange) -> bool:
    """One level event, its mark, and the action of a level reached; whether the action
    changed the ticket's clocks."""
    ticket_id, plan = work.ticket["id"], work.plan
    levels = work.policy.escalation.levels
    _add_event(work, change.at, "escalation", change.event_data())
    plan.marks.append(
        {
            "ticket_id": ticket_id,
            "ordinal": ordinal,
            "level": change.level,
            "reached": change.reached,
            "at": change.at,
        }
    )
    level = levels[change.level - 1] if change.level <= len(levels) else None
    if not change.reached:
        plan.left.append(LeftLevel(ticket_id, change.level, change.name, change.to, change.at))
        return False
    plan.reached.append(
        ReachedLevel(
            ticket_id,
            work.ticket["subject"],
            change.level,
            change.name,
            change.clock,
            change.at,
            work.state["assignee"],
            level.notify if level else (),
        )
    )
    if level is None or not level.set:
        return False
    changed, clocks_changed = _run_action(work, level, change.at)
    if changed:
        work.acted_at = max(work.acted_at or change.at, change.at)
    return clocks_changed


def _settle(
    work: _Planning,
    history: TicketHistory,
    timeline: EscalationTimeline,
    now: datetime,
    fingerprint: str,
) -> None:
    """The ticket's changed columns and its `escalation_check` row after the plan."""
    ticket, state, policy = work.ticket, work.state, work.policy
    final = recorded_escalation(work.log)
    name = _level_name(policy.escalation.levels, final)
    update: dict[str, Any] = {}
    if final.level != ticket["escalation_level"] or name != ticket["escalation_name"]:
        update = {"escalation_level": final.level, "escalation_name": name}
    version = ticket["version"]
    if work.acted_at is not None:
        version += 1
        update.update(
            {
                "escalation_level": final.level,
                "escalation_name": name,
                "priority": state["priority"],
                "priority_rank": policy.priorities.rank(state["priority"]),
                "assignee": state["assignee"],
                "version": version,
                "updated_at": max(work.acted_at, ticket["updated_at"]),
                **sla_cache_values(compute_sla(policy, history, now)),
            }
        )
    work.plan.update = update
    upcoming = timeline.upcoming
    work.plan.check = {
        "ticket_id": ticket["id"],
        "version": version,
        "policy": fingerprint,
        "checked_at": now,
        "next_at": upcoming.at if upcoming else None,
    }


def _level_name(levels: Sequence[EscalationLevel], record: EscalationRecord) -> str | None:
    if record.level == 0:
        return None
    if record.level <= len(levels):
        return levels[record.level - 1].name
    return record.name


def _add_event(work: _Planning, at: datetime, kind: str, data: dict[str, Any]) -> None:
    """Queue an event row and put it in the in-memory log where the store will order it."""
    log, plan = work.log, work.plan
    view = EventView(next(work.seq), at, kind, AUTHOR, None, data)
    index = len(log)
    while index > 0 and (log[index - 1].at, log[index - 1].id) > (view.at, view.id):
        index -= 1
    log.insert(index, view)
    plan.events.append(event_row(work.ticket["id"], at, kind, AUTHOR, None, data, plan.recorded_at))


def _run_action(work: _Planning, level: EscalationLevel, at: datetime) -> tuple[bool, bool]:
    """A level's `set`, recorded as `ticket set` records it (services.ticket_write.
    field_changes: one event per field, same data) at the instant the level was reached. A
    field an operator changed after that instant keeps the operator's value. Returns
    whether anything changed, and whether the priority did."""
    log, plan, state, ticket_id = work.log, work.plan, work.state, work.ticket["id"]
    later = {event.kind for event in log if event.at > at}
    later_tags = {
        tag
        for event in log
        if event.kind == "tags" and event.at > at
        for tag in (*event.data.get("added", []), *event.data.get("removed", []))
    }
    priority = level.set.get("priority") or None
    if "priority" in later:
        priority = None
    assignee: str | None | Keep = KEEP
    wanted_assignee = level.set.get("assignee")
    if wanted_assignee and wanted_assignee != state["assignee"] and "assignee" not in later:
        if wanted_assignee in work.operators:
            assignee = wanted_assignee
        else:
            plan.warnings.append(
                f"escalation level {level.name!r} assigns to {wanted_assignee!r}, who is not an "
                f"operator (tui-desk operator add {wanted_assignee}); ticket #{ticket_id} kept its assignee"
            )
    wanted = [str(tag).strip().lower() for tag in level.set.get("tags", ())]
    tags = [
        tag
        for tag in wanted
        if tag and not any(ch.isspace() for ch in tag) and tag not in later_tags
    ]
    changes = field_changes(
        state["priority"],
        state["assignee"],
        state["tags"],
        priority=priority,
        assignee=assignee,
        tags=tags,
    )
    for kind, data in changes:
        _add_event(work, at, kind, data)
        if kind == "tags":
            state["tags"].update(data["added"])
            plan.tags += [{"ticket_id": ticket_id, "tag": tag} for tag in data["added"]]
        else:
            state[kind] = data["to"]
    kinds = {kind for kind, _data in changes}
    return bool(changes), "priority" in kinds


def _write_plans(conn: Connection, plans: dict[int, EscalationPlan]) -> None:
    marks = [mark for plan in plans.values() for mark in plan.marks]
    if marks:
        conn.execute(sa.insert(_MARK), marks)  # the guard: a duplicate fails the batch
    events = [event for plan in plans.values() for event in plan.events]
    if events:
        conn.execute(sa.insert(_E), events)
    tags = [tag for plan in plans.values() for tag in plan.tags]
    if tags:
        conn.execute(sa.insert(_TAG), tags)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ticket_id, plan in plans.items():
        if plan.update:
            columns = tuple(sorted(plan.update))
            by_columns.setdefault(columns, []).append(
                {"b_id": ticket_id, **{f"b_{k}": v for k, v in plan.update.items()}}
            )
    for columns, params in by_columns.items():
        conn.execute(
            sa.update(_T)
            .where(_T.c.id == sa.bindparam("b_id"))
            .values({column: sa.bindparam(f"b_{column}") for column in columns}),
            params,
        )
    conn.execute(sa.delete(_CHECK).where(_CHECK.c.ticket_id.in_(list(plans))))
    conn.execute(sa.insert(_CHECK), [plan.check for plan in plans.values()])
