"""Escalations (SPEC §5): the pass that records levels reached, acknowledgements, and the data
of the escalation view and `tui-desk escalations`.

`run_escalation_pass` records each level a ticket reached *at the instant it was reached*
(also after the program was closed), runs the level's `set` action and notifies. It is
idempotent, also with several processes on one store: each batch is one write transaction
that re-reads the log inside it, and every level event takes a unique `escalation_mark` row.
docs/escalation.md explains the choices.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui_desk.core.calendar import to_epoch_us
from tui_desk.core.escalation import (
    NOT_ESCALATING,
    EscalationRecord,
    EscalationTimeline,
    escalation_changes,
    escalation_timeline,
    recorded_escalation,
)
from tui_desk.core.policy import EscalationLevel, Policy, policy_digest
from tui_desk.core.sla import NO_CLOCK_MARK, compute_sla
from tui_desk.notifier import NotifierJob, start_notifiers
from tui_desk.paths import log_dir
from tui_desk.services.desk import BadInput, HelpDesk, NotFound, connection_reader, sla_cache_values
from tui_desk.services.listing import EventView, events_of, history_from_events
from tui_desk.store.engine import read_session, write_session
from tui_desk.store.models import (
    EscalationCheck,
    EscalationMark,
    Event,
    Operator,
    Ticket,
    TicketTag,
)

AUTHOR = "escalation"  # author of the events the pass writes (like "system" for quota)
# Levels reached longer ago than this when a pass starts were reached while nothing ran:
# more than one of them makes one summary notification instead of one each.
CATCH_UP_WINDOW = timedelta(minutes=5)
NOTIFY_TIMEOUT_SECONDS = 10.0
SUMMARY_LINES = 20
_BATCH = 500
_PLACEHOLDER = re.compile(r"\{(title|body|ticket|level)\}")
_T = Ticket.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]
_CHECK = EscalationCheck.__table__  # type: ignore[attr-defined]
_MARK = EscalationMark.__table__  # type: ignore[attr-defined]
_TAG = TicketTag.__table__  # type: ignore[attr-defined]
_OPERATOR = Operator.__table__  # type: ignore[attr-defined]

UpcomingWindow = Literal["next_hour", "today", "tomorrow"]
UPCOMING_WINDOWS: tuple[tuple[UpcomingWindow, str], ...] = (
    ("next_hour", "within the next hour"),
    ("today", "later today"),
    ("tomorrow", "tomorrow"),
)


# ----------------------------------------------------------------------------------------
# Plain data handed to the faces


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


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    ticket_id: int
    level: int
    name: str | None
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EscalatedTicket:
    """One row of the escalation view (SPEC §5) and of `escalations --json` (SPEC §7).

    `overdue_seconds` is working time past the causing clock's deadline (negative while it
    only warns); `countdown` that clock's text as every face shows it (`Clock.countdown`,
    "—" when unknown); `since` is when the ticket reached its current level.
    """

    ticket_id: int
    subject: str
    priority: str
    status: str
    level: int
    name: str | None
    clock: str | None
    since: datetime | None
    overdue_seconds: int | None
    assignee: str | None
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    countdown: str = NO_CLOCK_MARK

    def to_json(self) -> dict[str, Any]:
        """The `escalations --json` item (SPEC §7), plus `subject` and who acknowledged."""
        return {
            "ticket": self.ticket_id,
            "level": self.level,
            "name": self.name,
            "clock": self.clock,
            "since": _iso(self.since),
            "overdue_seconds": self.overdue_seconds,
            "acknowledged": self.acknowledged,
            "assignee": self.assignee,
            "subject": self.subject,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_at),
        }


@dataclass(frozen=True, slots=True)
class UpcomingEscalation:
    """A ticket about to reach its next level (Znuny's "escalation in the next hour")."""

    ticket_id: int
    subject: str
    level: int
    name: str
    clock: str
    at: datetime
    working_seconds: int  # working time left on the clock's calendar
    current_level: int
    assignee: str | None
    window: UpcomingWindow


@dataclass(frozen=True, slots=True)
class EscalationOverview:
    """The escalation view: escalated tickets, highest level first, then longest overdue;
    and the tickets about to escalate, soonest first."""

    now: datetime
    escalated: tuple[EscalatedTicket, ...]
    upcoming: tuple[UpcomingEscalation, ...]

    @property
    def unacknowledged(self) -> int:
        return sum(1 for row in self.escalated if not row.acknowledged)

    def upcoming_in(self, window: UpcomingWindow) -> list[UpcomingEscalation]:
        return [row for row in self.upcoming if row.window == window]


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
        candidates = list(conn.execute(_candidates_query(now, fingerprint)).scalars())
        operators = (
            set(conn.execute(sa.select(_OPERATOR.c.name)).scalars())
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
        notifications, summary, failures = _notify(desk, reached, now)
        if failures:
            warnings += [warning for warning, _rows in failures]
            about = [_about(row) for _warning, rows in failures for row in rows]
            events += record_notification_failures(desk.engine, about, desk.now())
    return PassReport(
        now, checked, tuple(reached), tuple(left), notifications, summary, tuple(warnings), events
    )


def policy_fingerprint(policy: Policy) -> str:
    """A short digest of the effective policy: escalation checks made under another one
    are stale (the TUI reloads the policy file live)."""
    return policy_digest(policy)[:16]


def _candidates_query(now: datetime, fingerprint: str) -> sa.Select[Any]:
    """Tickets that may have an escalation change by `now`: open ones whose warning or
    deadline has passed, and escalated ones; minus those a check at their current version
    and policy found nothing due for before `now`."""
    fresh = sa.and_(
        _CHECK.c.ticket_id.is_not(None),
        _CHECK.c.version == _T.c.version,
        _CHECK.c.policy == fingerprint,
        _CHECK.c.checked_at <= now,
        sa.or_(_CHECK.c.next_at.is_(None), _CHECK.c.next_at > now),
    )
    may_change = sa.or_(
        sa.and_(
            _T.c.status_category.in_(("active", "paused")),
            sa.or_(_T.c.next_warning <= now, _T.c.next_deadline <= now),
        ),
        _T.c.escalation_level > 0,
    )
    return (
        sa.select(_T.c.id)
        .select_from(_T.outerjoin(_CHECK, _CHECK.c.ticket_id == _T.c.id))
        .where(may_change, sa.not_(fresh))
        .order_by(_T.c.id)
    )


def _may_change(ticket: dict[str, Any], now: datetime) -> bool:
    """The candidates query's `may_change` for one ticket row (stored instants are aware)."""
    if ticket["escalation_level"] > 0:
        return True
    if ticket["status_category"] not in ("active", "paused"):
        return False
    warning, deadline = ticket["next_warning"], ticket["next_deadline"]
    return (warning is not None and warning <= now) or (deadline is not None and deadline <= now)


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
    its events as `_load_logs` reads them: ordered by (at, id), data decoded, bodies left
    out. `operators` are the operator names (needed only when a level sets the assignee).
    """
    if not _may_change(ticket, now):
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
        checks = {
            row["ticket_id"]: row
            for row in conn.execute(sa.select(_CHECK).where(_CHECK.c.ticket_id.in_(ids))).mappings()
        }
        todo = [
            ticket
            for ticket_id, ticket in tickets.items()
            if not _is_fresh(checks.get(ticket_id), ticket, fingerprint, now)
        ]
        if not todo:
            return outcome
        logs = _load_logs(conn, [t["id"] for t in todo])
        tags = (
            _load_tags(conn, [t["id"] for t in todo])
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
                tags.get(ticket["id"], set()),
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


def _is_fresh(check: Any, ticket: dict[str, Any], fingerprint: str, now: datetime) -> bool:
    """The candidates query's `fresh`, re-checked under the write lock."""
    if check is None:
        return False
    return (
        check["version"] == ticket["version"]
        and check["policy"] == fingerprint
        and check["checked_at"] <= now
        and (check["next_at"] is None or check["next_at"] > now)
    )


def _load_logs(
    conn: Connection, ids: Sequence[int], kinds: Sequence[str] | None = None
) -> dict[int, list[EventView]]:
    """The logs of tickets `ids`, ordered by (at, id); only events of `kinds` if given.
    Bodies are left out: no escalation decision reads them, and they are most of a log."""
    return events_of(connection_reader(conn), ids, kinds=kinds, bodies=False)


def _load_tags(conn: Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    tags: dict[int, set[str]] = {}
    for ticket_id, tag in conn.execute(
        sa.select(_TAG.c.ticket_id, _TAG.c.tag).where(_TAG.c.ticket_id.in_(list(ids)))
    ):
        tags.setdefault(ticket_id, set()).add(tag)
    return tags


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
    """The level events (and actions) that bring one ticket's log up to `now`.

    After a level's action changed the ticket (a priority raise moves its deadlines), the
    timeline is computed again from that instant: later levels follow the new terms.
    """
    levels = policy.escalation.levels
    ticket_id = ticket["id"]
    plan = EscalationPlan(recorded_at)
    log = list(events)
    state = {"priority": ticket["priority"], "assignee": ticket["assignee"], "tags": set(tags)}
    acted_at: datetime | None = None
    timeline: EscalationTimeline | None = None
    # A log holding level changes after `now` (a clock set back, `--now` in the past) keeps
    # them: the pass never rewrites history from an earlier instant.
    rounds = 0 if (recorded_escalation(log).last_change or now) > now else 2 * len(levels) + 2
    for _round in range(rounds):
        record = recorded_escalation(log)
        timeline = escalation_timeline(
            policy, history_from_events(log), now, since=record.last_change
        )
        acted = False
        for ordinal, change in enumerate(
            escalation_changes(record, timeline, levels), start=record.changes
        ):
            _add_event(plan, log, seq, ticket_id, change.at, "escalation", change.event_data())
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
                plan.left.append(
                    LeftLevel(ticket_id, change.level, change.name, change.to, change.at)
                )
                continue
            plan.reached.append(
                ReachedLevel(
                    ticket_id,
                    ticket["subject"],
                    change.level,
                    change.name,
                    change.clock,
                    change.at,
                    state["assignee"],
                    level.notify if level else (),
                )
            )
            if level is None or not level.set:
                continue
            changed, clocks_changed = _run_action(
                policy, level, change.at, plan, log, seq, ticket_id, state, operators
            )
            if changed:
                acted_at = max(acted_at or change.at, change.at)
            if clocks_changed:
                acted = True
                break  # a new priority moves the deadlines: recompute the levels from here
        if not acted:
            break
        timeline = None
    history = history_from_events(log)
    if timeline is None:  # the log is ahead of `now`, or the round limit was hit
        timeline = escalation_timeline(policy, history, now, since=now)
    final = recorded_escalation(log)
    name = _level_name(levels, final)
    update: dict[str, Any] = {}
    if final.level != ticket["escalation_level"] or name != ticket["escalation_name"]:
        update = {"escalation_level": final.level, "escalation_name": name}
    version = ticket["version"]
    if acted_at is not None:
        version += 1
        update.update(
            {
                "escalation_level": final.level,
                "escalation_name": name,
                "priority": state["priority"],
                "priority_rank": policy.priorities.rank(state["priority"]),
                "assignee": state["assignee"],
                "version": version,
                "updated_at": max(acted_at, ticket["updated_at"]),
                **sla_cache_values(compute_sla(policy, history, now)),
            }
        )
    plan.update = update
    upcoming = timeline.upcoming
    plan.check = {
        "ticket_id": ticket_id,
        "version": version,
        "policy": fingerprint,
        "checked_at": now,
        "next_at": upcoming.at if upcoming else None,
    }
    return plan


def _level_name(levels: Sequence[EscalationLevel], record: EscalationRecord) -> str | None:
    if record.level == 0:
        return None
    if record.level <= len(levels):
        return levels[record.level - 1].name
    return record.name


def _add_event(
    plan: EscalationPlan,
    log: list[EventView],
    seq: Iterator[int],
    ticket_id: int,
    at: datetime,
    kind: str,
    data: dict[str, Any],
) -> None:
    """Queue an event row and put it in the in-memory log where the store will order it."""
    view = EventView(next(seq), at, kind, AUTHOR, None, data)
    index = len(log)
    while index > 0 and (log[index - 1].at, log[index - 1].id) > (view.at, view.id):
        index -= 1
    log.insert(index, view)
    plan.events.append(
        {
            "ticket_id": ticket_id,
            "at": at,
            "kind": kind,
            "author": AUTHOR,
            "body": None,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "recorded_at": plan.recorded_at,
        }
    )


def _run_action(
    policy: Policy,
    level: EscalationLevel,
    at: datetime,
    plan: EscalationPlan,
    log: list[EventView],
    seq: Iterator[int],
    ticket_id: int,
    state: dict[str, Any],
    operators: set[str],
) -> tuple[bool, bool]:
    """A level's `set`, as `ticket set` would record it (one event per field, same data), at
    the instant the level was reached. A field an operator changed after that instant keeps
    the operator's value. Returns whether anything changed, and whether the priority did."""
    later = {event.kind for event in log if event.at > at}
    later_tags = {
        tag
        for event in log
        if event.kind == "tags" and event.at > at
        for tag in (*event.data.get("added", []), *event.data.get("removed", []))
    }
    changed = False
    priority = level.set.get("priority")
    if priority and priority != state["priority"] and "priority" not in later:
        _add_event(
            plan, log, seq, ticket_id, at, "priority", {"from": state["priority"], "to": priority}
        )
        state["priority"] = priority
        changed = priority_changed = True
    else:
        priority_changed = False
    assignee = level.set.get("assignee")
    if assignee and assignee != state["assignee"] and "assignee" not in later:
        if assignee in operators:
            data = {"from": state["assignee"], "to": assignee}
            _add_event(plan, log, seq, ticket_id, at, "assignee", data)
            state["assignee"] = assignee
            changed = True
        else:
            plan.warnings.append(
                f"escalation level {level.name!r} assigns to {assignee!r}, who is not an "
                f"operator (tui-desk operator add {assignee}); ticket #{ticket_id} kept its assignee"
            )
    wanted = [str(tag).strip().lower() for tag in level.set.get("tags", ())]
    added = [
        tag
        for tag in dict.fromkeys(wanted)
        if tag
        and not any(ch.isspace() for ch in tag)
        and tag not in state["tags"]
        and tag not in later_tags
    ]
    if added:
        _add_event(plan, log, seq, ticket_id, at, "tags", {"added": added, "removed": []})
        state["tags"].update(added)
        plan.tags += [{"ticket_id": ticket_id, "tag": tag} for tag in added]
        changed = True
    return changed, priority_changed


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


# ----------------------------------------------------------------------------------------
# Notifications


@dataclass(frozen=True, slots=True)
class _Message:
    title: str
    body: str
    ticket: str
    level: str
    about: tuple[ReachedLevel, ...]


def _notify(
    desk: HelpDesk, reached: list[ReachedLevel], now: datetime
) -> tuple[int, bool, list[tuple[str, list[ReachedLevel]]]]:
    """Start `notify_command` once per level reached, or once for all the levels reached
    while nothing ran (catch-up), in the background (tui_desk.notifier): the pass never
    waits for a notifier. Returns (notifications started, summary sent, failures to start);
    a notifier that fails later is logged and recorded by the runner."""
    policy = desk.policy
    command = policy.escalation.notify_command
    assert command
    zone = ZoneInfo(policy.desk.timezone)
    cutoff = now - CATCH_UP_WINDOW
    missed = [r for r in reached if r.at < cutoff]
    messages: list[_Message] = []
    summary = len(missed) > 1
    if summary:
        messages.append(_summary_message(missed, zone))
        singles = [r for r in reached if r.at >= cutoff]
    else:
        singles = reached
    messages += [_single_message(r, zone) for r in singles]
    jobs = [
        NotifierJob(
            notify_argv(command, m.title, m.body, m.ticket, m.level),
            tuple(_about(r) for r in m.about),
        )
        for m in messages
    ]
    errors = start_notifiers(
        jobs,
        db_url=desk.engine.url.render_as_string(hide_password=False),
        at=desk.now(),
        log_file=log_dir() / "tui-desk.log",
        timeout=NOTIFY_TIMEOUT_SECONDS,
    )
    failures: list[tuple[str, list[ReachedLevel]]] = []
    for message, error in zip(messages, errors, strict=True):
        if error is not None:
            tickets = ", ".join(f"#{r.ticket_id}" for r in message.about[:5])
            more = f" and {len(message.about) - 5} more" if len(message.about) > 5 else ""
            failures.append(
                (f"notify_command failed for {tickets}{more}: {error}", list(message.about))
            )
    return len(messages) - len(failures), summary, failures


def notify_argv(
    command: Sequence[str], title: str, body: str, ticket: str, level: str
) -> tuple[str, ...]:
    """The notifier's argv: the placeholders replaced inside each argument in one pass (text
    brought in by a placeholder is never expanded again); never a shell."""
    values = {"title": title, "body": body, "ticket": ticket, "level": level}
    return tuple(_PLACEHOLDER.sub(lambda m: values[m.group(1)], part) for part in command)


def _about(reached: ReachedLevel) -> dict[str, Any]:
    return {
        "ticket_id": reached.ticket_id,
        "level": reached.level,
        "name": reached.name,
        "clock": reached.clock,
    }


def _clock_label(clock: str | None) -> str:
    return (clock or "sla").replace("_", " ")


def _single_message(reached: ReachedLevel, zone: ZoneInfo) -> _Message:
    when = reached.at.astimezone(zone).strftime("%a %d %b %H:%M")
    lines = [
        f"#{reached.ticket_id} {reached.subject}",
        f"{_clock_label(reached.clock)} reached level {reached.name} at {when}",
        f"assignee: {reached.assignee or 'nobody'}",
    ]
    if reached.notify:
        lines.append(f"notify: {', '.join(reached.notify)}")
    return _Message(
        title=f"Escalation {reached.name}: #{reached.ticket_id}",
        body="\n".join(lines),
        ticket=str(reached.ticket_id),
        level=reached.name,
        about=(reached,),
    )


def _summary_message(missed: list[ReachedLevel], zone: ZoneInfo) -> _Message:
    ordered = sorted(missed, key=lambda r: (r.at, r.ticket_id, r.level))
    tickets = list(dict.fromkeys(r.ticket_id for r in ordered))
    lines = [
        f"#{r.ticket_id} {r.name} ({_clock_label(r.clock)}) at "
        f"{r.at.astimezone(zone).strftime('%a %d %b %H:%M')}: {r.subject}"
        for r in ordered[:SUMMARY_LINES]
    ]
    if len(ordered) > SUMMARY_LINES:
        lines.append(f"… and {len(ordered) - SUMMARY_LINES} more")
    top = max(ordered, key=lambda r: r.level)
    return _Message(
        title=f"{len(ordered)} escalations on {len(tickets)} tickets while tui-desk was closed",
        body="\n".join(lines),
        ticket=",".join(str(t) for t in tickets),
        level=top.name,
        about=tuple(ordered),
    )


def record_notification_failures(
    engine: sa.Engine, about: Sequence[dict[str, Any]], at: datetime
) -> int:
    """A failed notification is an event on each ticket it was about (SPEC §5); `about`
    holds `ticket_id`, `level`, `name` and `clock` of each level event notified."""
    rows = [
        {
            "ticket_id": a["ticket_id"],
            "at": at,
            "kind": "escalation",
            "author": AUTHOR,
            "body": None,
            "data": json.dumps(
                {
                    "level": a["level"],
                    "name": a["name"],
                    "clock": a["clock"],
                    "notification": "failed",
                },
                sort_keys=True,
            ),
            "recorded_at": datetime.now(UTC),
        }
        for a in about
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(_E), rows)
    return len(rows)


# ----------------------------------------------------------------------------------------
# Acknowledgement


def acknowledge(
    desk: HelpDesk, ticket_id: int, operator: str | None = None, at: str | datetime | None = None
) -> Acknowledgement:
    """An operator acknowledges the ticket's current escalation (`escalation ack`, `e`).

    NotFound without such a ticket; BadInput when it is not escalated or its current level
    is already acknowledged.
    """
    return acknowledge_many(desk, [(ticket_id, operator, at)])[0]


def acknowledge_many(
    desk: HelpDesk, items: Iterable[tuple[int, str | None, str | datetime | None]]
) -> list[Acknowledgement]:
    """Several acknowledgements in one transaction: all are recorded, or none."""
    wanted = [
        (ticket_id, operator, at if isinstance(at, datetime) or at is None else desk.instant(at))
        for ticket_id, operator, at in items
    ]
    if not wanted:
        return []
    ids = [ticket_id for ticket_id, _, _ in wanted]
    now = desk.now()
    done: list[Acknowledgement] = []
    events: list[dict[str, Any]] = []
    resolved: dict[str | None, str] = {}
    recorded_at = datetime.now(UTC)
    with write_session(desk.engine) as session:
        conn = session.connection()
        tickets = {
            row["id"]: dict(row)
            for row in conn.execute(
                sa.select(_T).where(_T.c.id.in_(ids)).with_for_update()
            ).mappings()
        }
        before = {ticket_id: ticket["version"] for ticket_id, ticket in tickets.items()}
        # recorded_escalation reads only these kinds: the rest of a log is most of its rows.
        logs = _load_logs(conn, ids, ("escalation", "escalation_ack"))
        for ticket_id, operator, at in wanted:
            ticket = tickets.get(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket #{ticket_id}")
            record = recorded_escalation(logs.get(ticket_id, []))
            if record.level == 0 or ticket["status_category"] in NOT_ESCALATING:
                raise BadInput(f"ticket #{ticket_id} is not escalated; nothing to acknowledge")
            if record.acknowledged:
                raise BadInput(
                    f"the {record.name} escalation of ticket #{ticket_id} was already "
                    f"acknowledged by {record.acknowledged_by} at {_iso(record.acknowledged_at)}"
                )
            when = (at or now).astimezone(UTC).replace(microsecond=0)
            if record.since is not None and when < record.since:
                raise BadInput(
                    f"{_iso(when)} is before ticket #{ticket_id} reached {record.name} "
                    f"({_iso(record.since)})"
                )
            if operator not in resolved:
                resolved[operator] = desk.resolve_operator(session, operator)
            who = resolved[operator]
            data = {"level": record.level, "name": record.name}
            view = EventView(2**62 + len(events), when, "escalation_ack", who, None, data)
            logs.setdefault(ticket_id, []).append(view)  # a second ack in the same batch sees it
            events.append(
                {
                    "ticket_id": ticket_id,
                    "at": when,
                    "kind": "escalation_ack",
                    "author": who,
                    "body": None,
                    "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                    "recorded_at": recorded_at,
                }
            )
            ticket["version"] += 1
            ticket["updated_at"] = max(when, ticket["updated_at"])
            done.append(Acknowledgement(ticket_id, record.level, record.name, who, when))
        conn.execute(sa.insert(_E), events)
        conn.execute(
            sa.update(_T)
            .where(_T.c.id == sa.bindparam("b_id"))
            .values(version=sa.bindparam("b_version"), updated_at=sa.bindparam("b_updated_at")),
            [
                {"b_id": t["id"], "b_version": t["version"], "b_updated_at": t["updated_at"]}
                for t in tickets.values()
            ],
        )
        # An acknowledgement moves no deadline: a check that was current stays current.
        conn.execute(
            sa.update(_CHECK)
            .where(
                _CHECK.c.ticket_id == sa.bindparam("b_id"),
                _CHECK.c.version == sa.bindparam("b_before"),
            )
            .values(version=sa.bindparam("b_version")),
            [
                {"b_id": t["id"], "b_before": before[t["id"]], "b_version": t["version"]}
                for t in tickets.values()
            ],
        )
    return done


# ----------------------------------------------------------------------------------------
# The escalation view


def escalation_overview(desk: HelpDesk, now: datetime | None = None) -> EscalationOverview:
    """Escalated open tickets and the tickets about to escalate (SPEC §5, Znuny's view).

    Levels, `since` and acknowledgements are what the log records (the escalation pass keeps
    it current); the causing clock and how overdue it is are computed at `now`.
    """
    now = (now or desk.now()).astimezone(UTC)
    policy = desk.policy
    zone = ZoneInfo(policy.desk.timezone)
    today = now.astimezone(zone).date()
    horizon = now + timedelta(days=4)  # covers "tomorrow" and a weekend's next working hour
    open_ = _T.c.status_category.in_(("active", "paused"))
    columns = (
        _T.c.id,
        _T.c.subject,
        _T.c.priority,
        _T.c.status,
        _T.c.assignee,
        _T.c.escalation_level,
        _T.c.escalation_name,
    )
    with read_session(desk.engine) as session:
        conn = session.connection()
        escalated_rows = list(
            conn.execute(sa.select(*columns).where(open_, _T.c.escalation_level > 0)).mappings()
        )
        soon = sa.or_(
            sa.and_(
                _T.c.escalation_level == 0,
                sa.or_(_T.c.next_warning <= horizon, _T.c.next_deadline <= horizon),
            ),
            sa.and_(
                _CHECK.c.version == _T.c.version,
                _CHECK.c.next_at > now,
                _CHECK.c.next_at <= horizon,
            ),
        )
        upcoming_rows = list(
            conn.execute(
                sa.select(*columns)
                .select_from(_T.outerjoin(_CHECK, _CHECK.c.ticket_id == _T.c.id))
                .where(open_, _T.c.status_category == "active", soon)
            ).mappings()
        )
        ids = {row["id"] for row in escalated_rows} | {row["id"] for row in upcoming_rows}
        logs = _load_logs(conn, sorted(ids)) if ids else {}

    timelines: dict[int, EscalationTimeline] = {}

    def timeline_of(ticket_id: int) -> EscalationTimeline:
        if ticket_id not in timelines:
            history = history_from_events(logs[ticket_id])
            timelines[ticket_id] = escalation_timeline(policy, history, now, since=now)
        return timelines[ticket_id]

    escalated = []
    for row in escalated_rows:
        ticket_id = row["id"]
        if ticket_id not in logs:
            continue
        record = recorded_escalation(logs[ticket_id])
        live = timeline_of(ticket_id)
        clock_name = live.current.clock if live.current.level == row["escalation_level"] else None
        clock_name = clock_name or record.clock
        overdue, countdown = None, NO_CLOCK_MARK
        if live.sla is not None and clock_name in live.sla.clocks:
            causing = live.sla.clocks[clock_name]
            remaining, countdown = causing.remaining_seconds, causing.countdown
            overdue = None if remaining is None else -remaining
        escalated.append(
            EscalatedTicket(
                ticket_id=ticket_id,
                subject=row["subject"],
                priority=row["priority"],
                status=row["status"],
                level=row["escalation_level"],
                name=row["escalation_name"],
                clock=clock_name,
                since=record.since,
                overdue_seconds=overdue,
                assignee=row["assignee"],
                acknowledged=record.acknowledged and record.level == row["escalation_level"],
                acknowledged_by=record.acknowledged_by,
                acknowledged_at=record.acknowledged_at,
                countdown=countdown,
            )
        )
    escalated.sort(
        key=lambda e: (
            -e.level,
            -(e.overdue_seconds if e.overdue_seconds is not None else -(2**62)),
            e.since or now,
            e.ticket_id,
        )
    )

    upcoming = []
    for row in upcoming_rows:
        ticket_id = row["id"]
        if ticket_id not in logs:
            continue
        nxt = timeline_of(ticket_id).upcoming
        if nxt is None:
            continue
        left_us = nxt.calendar.position(to_epoch_us(nxt.at)) - nxt.calendar.position(
            to_epoch_us(now)
        )
        working = max(0, left_us // 1_000_000)
        day = nxt.at.astimezone(zone).date()
        # The groups follow the desk's clock so that they read in order: the next hour,
        # the rest of today, tomorrow (an hour of working time left may be a night away).
        window: UpcomingWindow
        if nxt.at - now <= timedelta(hours=1):
            window = "next_hour"
        elif day == today:
            window = "today"
        elif day == today + timedelta(days=1):
            window = "tomorrow"
        else:
            continue
        upcoming.append(
            UpcomingEscalation(
                ticket_id=ticket_id,
                subject=row["subject"],
                level=nxt.level,
                name=nxt.name,
                clock=nxt.clock,
                at=nxt.at,
                working_seconds=working,
                current_level=row["escalation_level"],
                assignee=row["assignee"],
                window=window,
            )
        )
    upcoming.sort(key=lambda u: (u.at, -u.level, u.ticket_id))
    return EscalationOverview(now, tuple(escalated), tuple(upcoming))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
