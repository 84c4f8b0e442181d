"""Seeding an empty store in bulk with generated tickets (`tui-desk demo`): the facts of
each ticket come in (sender, instant, channel, subject, its decided event log); every
column the use cases derive is derived here with their own functions (status category,
priority rank, the cached SLA figures, what the escalation pass records), facts the use
cases would refuse are refused, and the rows go through the store's bulk path
(`store.bulk`) in one transaction. So a seeded store holds nothing the use cases could not
have written, at the speed of 100k tickets in seconds.

Accounts (operators, customers, contracts) are few: callers add them with `HelpDesk`'s
own use cases; `seed_contacts` adds the senders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from tui_desk.core.events import EVENT_KINDS, TicketEvent, TicketHistory
from tui_desk.core.policy import Policy, policy_digest
from tui_desk.core.sla import compute_sla
from tui_desk.core.text import single_line
from tui_desk.services.base import POLICY_KEY, BadInput
from tui_desk.services.desk import HelpDesk, _normalise_email, sla_cache_values
from tui_desk.services.escalation import EscalationPlan, plan_unstored_ticket, policy_fingerprint
from tui_desk.services.listing import EventView
from tui_desk.services.recompute import cycle_collection_paused
from tui_desk.store.bulk import driver_converters, indexes_deferred, insert_rows
from tui_desk.store.models import (
    Contact,
    CustomerDomain,
    EscalationCheck,
    EscalationMark,
    Event,
    Meta,
    Ticket,
    TicketTag,
)

# One generated event: at, kind, author, body, data as stored (JSON text).
GeneratedEvent = tuple[datetime, str, str | None, str | None, str]

# Every column of the ticket table, in its order: a ticket's row must give each one.
TICKET_COLUMNS = tuple(SQLModel.metadata.tables["ticket"].c.keys())
_TICKET_INSTANTS = frozenset(
    (
        "created_at",
        "updated_at",
        "due_first_response",
        "due_next_response",
        "due_resolution",
        "next_deadline",
        "next_warning",
    )
)
_TICKET_FLAGS = frozenset(("over_quota", "billable"))
EVENT_COLUMNS = ("id", "ticket_id", "at", "kind", "author", "body", "data", "recorded_at")
# Escalation events are numbered after every generated one, as when the pass runs after
# the tickets are stored: the store gives them their ids.
ESCALATION_EVENT_COLUMNS = EVENT_COLUMNS[1:]
MARK_COLUMNS = ("ticket_id", "ordinal", "level", "reached", "at")
CHECK_COLUMNS = ("ticket_id", "version", "policy", "checked_at", "next_at")
NO_CACHE = dict.fromkeys(
    ("due_first_response", "due_next_response", "due_resolution", "next_deadline", "next_warning")
)


@dataclass(slots=True)
class GeneratedTicket:
    """A ticket as the generator decided it; `priority`, `status` and `assignee` are the
    values after its events. Events are in the order they were decided."""

    id: int
    subject: str
    channel: str
    contact_id: int
    customer_id: int | None
    created: datetime
    priority: str
    product: str | None
    contract_id: int | None
    plan: str | None
    sla: str | None
    over_quota: bool
    billable: bool
    tags: list[str]
    status: str
    assignee: str | None
    events: list[GeneratedEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every batch is computed against."""

    policy: Policy
    now: datetime
    fingerprint: str  # the escalation pass's policy fingerprint
    operators: frozenset[str]
    dialect: str  # rows hold this dialect's driver values (store.bulk.driver_converters)


@dataclass(frozen=True, slots=True)
class Escalated:
    """A ticket the pass left escalated: its level and the last level it reached, when."""

    ticket_id: int
    level: int
    last_reached: int
    reached_at: datetime | None


@dataclass(slots=True)
class BatchRows:
    """Rows of one batch of tickets, in the column orders above, ready for executemany."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[int, str]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    escalation_events: list[tuple[Any, ...]] = field(default_factory=list)
    marks: list[tuple[Any, ...]] = field(default_factory=list)
    checks: list[tuple[Any, ...]] = field(default_factory=list)
    escalated: list[Escalated] = field(default_factory=list)


def batch_rows(
    context: RowContext, tickets: list[GeneratedTicket], first_event_id: int
) -> BatchRows:
    """The rows of `tickets`, their events numbered from `first_event_id` on. BadInput for a
    ticket the use cases could not have written."""
    with cycle_collection_paused():
        writer = _BatchWriter(context)
        event_id = first_event_id
        for ticket in tickets:
            check_ticket(context, ticket)
            event_id = writer.add(ticket, event_id)
        return writer.out


def check_ticket(context: RowContext, t: GeneratedTicket) -> None:
    """BadInput unless the use cases could have written `t`: known status, priority and
    assignee, a one-word channel, a log that opens with the customer's message, events of
    known kinds, those of operators by known operators, none before the ticket's creation
    or after now."""
    policy = context.policy
    problem = None
    if t.status not in policy.statuses.all:
        problem = f"status {t.status!r} is not in the policy"
    elif t.priority not in policy.priorities.order:
        problem = f"priority {t.priority!r} is not in the policy"
    elif t.assignee is not None and t.assignee not in context.operators:
        problem = f"assignee {t.assignee!r} is no operator"
    elif not t.channel or t.channel != single_line(t.channel).lower() or " " in t.channel:
        problem = f"channel {t.channel!r} is not a lower-case word"
    elif not t.events or t.events[0][1] != "customer_message":
        problem = "its log does not open with the customer's message"
    else:
        problem = _event_problem(context, t)
    if problem is not None:
        raise BadInput(f"generated ticket #{t.id}: {problem}")


# The kinds of event an operator writes (`--as`): their author must be an operator.
_OPERATOR_KINDS = frozenset({"reply", "note", "status", "priority", "assignee", "tags", "due"})


def _event_problem(context: RowContext, t: GeneratedTicket) -> str | None:
    for at, kind, author, _body, _data in t.events:
        if kind not in EVENT_KINDS:
            return f"event kind {kind!r} is unknown"
        if at < t.created or at > context.now:
            return f"a {kind} event at {at} lies outside its life"
        if kind in _OPERATOR_KINDS and author not in context.operators:
            return f"a {kind} event by {author!r}, who is no operator"
    return None


class _BatchWriter:
    """Builds a batch's rows ticket by ticket (see `batch_rows`)."""

    def __init__(self, context: RowContext) -> None:
        self.context = context
        self.instant, self.flag = driver_converters(context.dialect)
        self.recorded_at = datetime.now(UTC)
        self.recorded = self.instant(self.recorded_at)
        # Per column: how its value reaches the driver (None: as it is).
        self.converters = [
            self.instant
            if name in _TICKET_INSTANTS
            else self.flag
            if name in _TICKET_FLAGS
            else None
            for name in TICKET_COLUMNS
        ]
        self.out = BatchRows()

    def add(self, t: GeneratedTicket, event_id: int) -> int:
        """Add `t`'s rows, its events numbered from `event_id`; the next free event id."""
        policy = self.context.policy
        events = sorted(t.events, key=_at)  # stable: equal instants keep their order
        instant, recorded, ticket_id = self.instant, self.recorded, t.id
        self.out.events += [
            (event_id + index, ticket_id, instant(at), kind, author, body, data, recorded)
            for index, (at, kind, author, body, data) in enumerate(events)
        ]
        category = policy.statuses.category(t.status)
        row: dict[str, Any] = {
            "id": ticket_id,
            "subject": t.subject,
            "status": t.status,
            "status_category": category,
            "priority": t.priority,
            "priority_rank": policy.priorities.rank(t.priority),
            "channel": t.channel,
            "contact_id": t.contact_id,
            "customer_id": t.customer_id,
            "assignee": t.assignee,
            "product": t.product,
            "contract_id": t.contract_id,
            "plan": t.plan,
            "sla_policy": t.sla,
            "over_quota": t.over_quota,
            "billable": t.billable,
            "external_id": None,
            "created_at": t.created,
            "updated_at": events[-1][0],
            "version": len(events),
            "escalation_level": 0,
            "escalation_name": None,
            **NO_CACHE,
        }
        tags = t.tags
        # Solved and void tickets have no running clock and, never escalated, are no
        # candidates of the escalation pass: only open ones need their log decoded.
        if category in ("active", "paused"):
            tags = self._open_ticket(t, row, events, event_id)
        self.out.tickets.append(
            tuple(
                row[name] if convert is None else convert(row[name])
                for name, convert in zip(TICKET_COLUMNS, self.converters, strict=True)
            )
        )
        self.out.tags += [(ticket_id, tag) for tag in tags]
        return event_id + len(events)

    def _open_ticket(
        self, t: GeneratedTicket, row: dict[str, Any], events: list[GeneratedEvent], first_id: int
    ) -> list[str]:
        """Fill in an open ticket's cached clocks and what the escalation pass records for
        it; returns its tags (the pass may add some)."""
        context = self.context
        policy, now = context.policy, context.now
        decoded = [json.loads(event[4]) for event in events]
        numbered = list(enumerate(zip(events, decoded, strict=True), start=first_id))
        history = TicketHistory(
            t.created,
            decoded[0]["priority"],
            t.sla,
            decoded[0]["status"],
            tuple(
                TicketEvent(at, kind, author, body, data, seq)
                for seq, ((at, kind, author, body, _), data) in numbered
            ),
        )
        row.update(sla_cache_values(compute_sla(policy, history, now)))
        log = [
            EventView(seq, at, kind, author, None, data)
            for seq, ((at, kind, author, _, _), data) in numbered
        ]
        plan = plan_unstored_ticket(
            policy,
            dict(row),
            log,
            set(t.tags),
            set(context.operators),
            now,
            context.fingerprint,
            self.recorded_at,
        )
        if plan is None:
            return t.tags
        row.update(plan.update)
        self._escalation_rows(plan)
        if row["escalation_level"] > 0:
            last = plan.reached[-1] if plan.reached else None
            self.out.escalated.append(
                Escalated(
                    t.id,
                    row["escalation_level"],
                    last.level if last else 0,
                    last.at if last else None,
                )
            )
        return t.tags + [added["tag"] for added in plan.tags]

    def _escalation_rows(self, plan: EscalationPlan) -> None:
        instant, flag, recorded, out = self.instant, self.flag, self.recorded, self.out
        out.escalation_events += [
            (
                e["ticket_id"],
                instant(e["at"]),
                e["kind"],
                e["author"],
                e["body"],
                e["data"],
                recorded,
            )
            for e in plan.events
        ]
        out.marks += [
            (m["ticket_id"], m["ordinal"], m["level"], flag(m["reached"]), instant(m["at"]))
            for m in plan.marks
        ]
        check = plan.check
        out.checks.append(
            (
                check["ticket_id"],
                check["version"],
                check["policy"],
                instant(check["checked_at"]),
                instant(check["next_at"]),
            )
        )


def _at(event: GeneratedEvent) -> datetime:
    return event[0]


# --------------------------------------------------------------------------------------------
# Writing


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def require_empty(desk: HelpDesk) -> None:
    """BadInput unless the store has no ticket yet: seeding fills an empty store only."""
    with desk.engine.connect() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(_table(Ticket))).scalar():
            raise BadInput("the store already has tickets; the demo fills an empty store only")


def seed_contacts(desk: HelpDesk, emails: Sequence[str]) -> list[tuple[int, int | None, str]]:
    """Add the senders of `emails` not known yet, each belonging to the customer that owns
    its domain (as a ticket from them would add them), in the order given; returns (id,
    customer id, address) of every one."""
    normalised = [_normalise_email(email) for email in emails]
    created_at = desk.now()
    with desk.engine.begin() as conn:
        owners = dict(
            conn.execute(
                sa.select(_table(CustomerDomain).c.domain, _table(CustomerDomain).c.customer_id)
            ).all()
        )
        contacts = _table(Contact)
        known = {
            email: (contact_id, customer_id)
            for contact_id, email, customer_id in conn.execute(
                sa.select(contacts.c.id, contacts.c.email, contacts.c.customer_id)
            )
        }
        for email in dict.fromkeys(normalised):
            if email not in known:
                owner = owners.get(email.rpartition("@")[2])
                new_id = conn.execute(
                    sa.insert(contacts).returning(contacts.c.id),
                    {"email": email, "customer_id": owner, "created_at": created_at},
                ).scalar_one()
                known[email] = (new_id, owner)
    return [(*known[email], email) for email in normalised]


@dataclass(frozen=True, slots=True)
class Seeded:
    """What `seed_tickets` wrote: tickets and events (escalation events included), and the
    tickets the escalation pass left escalated."""

    tickets: int
    events: int
    escalated: list[Escalated]


def seed_tickets(
    desk: HelpDesk, batches: Iterable[tuple[list[GeneratedTicket], int]], now: datetime
) -> Seeded:
    """Write every batch (tickets in creation order, with the id of the batch's first event)
    as of `now`, then what the escalation pass records for them, numbered after them as if
    the pass ran on the stored tickets; and record the policy the cached clocks were
    computed under, so that opening the store recomputes nothing
    (`HelpDesk.ensure_policy_applied`). All in one transaction."""
    policy = desk.policy
    operators = frozenset(operator.name for operator in desk.operators())
    tickets = events = 0
    escalation_events: list[tuple[Any, ...]] = []
    marks: list[tuple[Any, ...]] = []
    checks: list[tuple[Any, ...]] = []
    escalated: list[Escalated] = []
    deferred = [_table(Ticket), _table(TicketTag), _table(Event)]
    with cycle_collection_paused(), desk.engine.begin() as conn:
        context = RowContext(policy, now, policy_fingerprint(policy), operators, conn.dialect.name)
        with indexes_deferred(conn, deferred):
            for batch, first_event_id in batches:
                rows = batch_rows(context, batch, first_event_id)
                insert_rows(conn, _table(Ticket), rows.tickets, TICKET_COLUMNS, converted=True)
                insert_rows(
                    conn, _table(TicketTag), rows.tags, ("ticket_id", "tag"), converted=True
                )
                insert_rows(conn, _table(Event), rows.events, EVENT_COLUMNS, converted=True)
                tickets += len(rows.tickets)
                events += len(rows.events)
                escalation_events += rows.escalation_events
                marks += rows.marks
                checks += rows.checks
                escalated += rows.escalated
            insert_rows(
                conn, _table(Event), escalation_events, ESCALATION_EVENT_COLUMNS, converted=True
            )
        insert_rows(conn, _table(EscalationMark), marks, MARK_COLUMNS, converted=True)
        insert_rows(conn, _table(EscalationCheck), checks, CHECK_COLUMNS, converted=True)
        conn.execute(sa.insert(_table(Meta)), [{"key": POLICY_KEY, "value": policy_digest(policy)}])
    return Seeded(tickets, events + len(escalation_events), escalated)
