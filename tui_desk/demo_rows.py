"""Store rows of generated demo tickets: numbered events, the SLA figures cached on open
tickets and what the escalation pass records for them. A pure function of its input, so
large demos run it in worker processes while the parent generates and inserts (demo.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.policy import Policy
from tui_desk.core.sla import compute_sla
from tui_desk.services.desk import sla_cache_values
from tui_desk.services.escalation import plan_unstored_ticket
from tui_desk.services.listing import EventView
from tui_desk.services.recompute import cycle_collection_paused
from tui_desk.store.bulk import driver_converters

# One generated event: at, kind, author, body, data as stored (JSON text).
GeneratedEvent = tuple[datetime, str, str | None, str | None, str]

TICKET_COLUMNS = (
    "id",
    "subject",
    "status",
    "status_category",
    "priority",
    "priority_rank",
    "channel",
    "contact_id",
    "customer_id",
    "assignee",
    "product",
    "contract_id",
    "plan",
    "sla_policy",
    "over_quota",
    "billable",
    "external_id",
    "created_at",
    "updated_at",
    "version",
    "due_first_response",
    "due_next_response",
    "due_resolution",
    "next_deadline",
    "next_warning",
    "escalation_level",
    "escalation_name",
)
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
# the tickets are stored: the parent gives them their ids.
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
    """The rows of `tickets`, their events numbered from `first_event_id` on."""
    with cycle_collection_paused():
        return _batch_rows(context, tickets, first_event_id)


def _batch_rows(
    context: RowContext, tickets: list[GeneratedTicket], first_event_id: int
) -> BatchRows:
    policy, now = context.policy, context.now
    statuses = policy.statuses
    instant, flag = driver_converters(context.dialect)
    recorded_at = datetime.now(UTC)
    recorded = instant(recorded_at)
    operators = set(context.operators)
    # Per column: how its value reaches the driver (None: as it is).
    converters = [
        instant if name in _TICKET_INSTANTS else flag if name in _TICKET_FLAGS else None
        for name in TICKET_COLUMNS
    ]
    out = BatchRows()
    event_rows = out.events
    event_id = first_event_id
    for t in tickets:
        events = sorted(t.events, key=_at)  # stable: equal instants keep their order
        ticket_id = t.id
        first_id = event_id
        for at, kind, author, body, data in events:
            event_rows.append(
                (event_id, ticket_id, instant(at), kind, author, body, data, recorded)
            )
            event_id += 1
        category = statuses.category(t.status)
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
            decoded = [json.loads(event[4]) for event in events]
            history = TicketHistory(
                t.created,
                decoded[0]["priority"],
                t.sla,
                decoded[0]["status"],
                tuple(
                    TicketEvent(at, kind, author, body, data, first_id + index)
                    for index, ((at, kind, author, body, _), data) in enumerate(
                        zip(events, decoded, strict=True)
                    )
                ),
            )
            row.update(sla_cache_values(compute_sla(policy, history, now)))
            log = [
                EventView(first_id + index, at, kind, author, None, data)
                for index, ((at, kind, author, _, _), data) in enumerate(
                    zip(events, decoded, strict=True)
                )
            ]
            plan = plan_unstored_ticket(
                policy,
                dict(row),
                log,
                set(tags),
                operators,
                now,
                context.fingerprint,
                recorded_at,
            )
            if plan is not None:
                row.update(plan.update)
                tags = tags + [added["tag"] for added in plan.tags]
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
                if row["escalation_level"] > 0:
                    last = plan.reached[-1] if plan.reached else None
                    out.escalated.append(
                        Escalated(
                            ticket_id,
                            row["escalation_level"],
                            last.level if last else 0,
                            last.at if last else None,
                        )
                    )
        out.tickets.append(
            tuple(
                row[name] if convert is None else convert(row[name])
                for name, convert in zip(TICKET_COLUMNS, converters, strict=True)
            )
        )
        out.tags += [(ticket_id, tag) for tag in tags]
    return out


def _at(event: GeneratedEvent) -> datetime:
    return event[0]
