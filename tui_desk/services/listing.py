"""Listing tickets: the queue's filters, orders, pages and counts (SPEC §8), and the one
decoder of event rows into `EventView`s; in plain SQL on any desk's read transaction (see
store.lite), so that the CLI and the TUI run the very same statements.

Plain SQL rather than SQLAlchemy because the TUI's first page must come without importing
a database toolkit: bench/tui_bench.py, "first queue page from process start" (< 1.0 s).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.services.base import BadInput, DeskBase, utc_text
from tui_desk.store import queries
from tui_desk.store.lite import Reader, from_db, to_db
from tui_desk.store.queries import event_rows


@dataclass(frozen=True, slots=True)
class TicketSummary:
    id: int
    subject: str
    status: str
    status_category: str
    priority: str
    channel: str
    customer: str | None
    contact: str
    assignee: str | None
    tags: tuple[str, ...]
    product: str | None
    contract_id: int | None
    plan: str | None
    sla_policy: str | None
    over_quota: bool
    billable: bool
    created_at: datetime
    updated_at: datetime
    version: int
    next_deadline: datetime | None
    escalation_level: int
    escalation_name: str | None

    def to_json(self) -> dict[str, Any]:
        """The ticket's fields in `--json` output (SPEC §7)."""
        return {
            "id": self.id,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "channel": self.channel,
            "customer": self.customer,
            "contact": self.contact,
            "assignee": self.assignee,
            "tags": list(self.tags),
            "product": self.product,
            "contract_id": self.contract_id,
            "plan": self.plan,
            "sla_policy": self.sla_policy,
            "over_quota": self.over_quota,
            "billable": self.billable,
            "created_at": utc_text(self.created_at),
            "updated_at": utc_text(self.updated_at),
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class EventView:
    """One event of a ticket's log as the faces show it."""

    id: int
    at: datetime
    kind: str
    author: str | None
    body: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which tickets a queue shows. Empty tuples mean "any"."""

    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ("active", "paused")
    priorities: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    assignees: tuple[str | None, ...] = ()
    exclude_assignees: tuple[str | None, ...] = ()
    exclude_statuses: tuple[str, ...] = ()
    exclude_priorities: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    exclude_customers: tuple[str, ...] = ()
    exclude_channels: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    deadline_before: datetime | None = None
    deadline_after: datetime | None = None
    warning_before: datetime | None = None
    ticket_ids: tuple[int, ...] = ()


# Queue orders, each ending with the ticket id so that pages never overlap. The default is
# the queue's: next deadline (at risk first, none last), then priority, then age (SPEC §3.5).
QUEUE_ORDERS: dict[str, str] = {
    "deadline": "ticket.next_deadline IS NULL, ticket.next_deadline, ticket.priority_rank,"
    " ticket.created_at",
    "priority": "ticket.priority_rank, ticket.next_deadline IS NULL, ticket.next_deadline",
    "newest": "ticket.created_at DESC",
    "oldest": "ticket.created_at",
    "updated": "ticket.updated_at DESC",
    "status": "ticket.status, ticket.next_deadline",
    "assignee": "ticket.assignee IS NULL, ticket.assignee",
}

_SUMMARY_COLUMNS = (
    "id",
    "subject",
    "status",
    "status_category",
    "priority",
    "channel",
    "assignee",
    "product",
    "contract_id",
    "plan",
    "sla_policy",
    "over_quota",
    "billable",
    "created_at",
    "updated_at",
    "version",
    "next_deadline",
    "escalation_level",
    "escalation_name",
)
_SUMMARIES = (
    "SELECT "
    + ", ".join(f"ticket.{name}" for name in _SUMMARY_COLUMNS)
    + ", contact.email, customer.name FROM ticket"
    " JOIN contact ON contact.id = ticket.contact_id"
    " LEFT OUTER JOIN customer ON customer.id = ticket.customer_id"
)


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of a queue as of one snapshot of the store: its rows, their SLA inputs,
    how many tickets the filter matches, and the store's data version (see data_version)."""

    rows: list[TicketSummary]
    histories: dict[int, TicketHistory]
    total: int | None  # None when not counted
    version: tuple[int, int]


def queue_page(
    desk: DeskBase,
    flt: QueueFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
    order: str = "deadline",
    *,
    count: bool = True,
) -> QueuePage:
    """What a queue screen shows, read in one transaction (`count`: also how many
    tickets match in all)."""
    flt = flt or QueueFilter()
    with desk.reading() as reader:
        version = _version(reader)
        rows = _page(reader, flt, limit, offset, order)
        total = _count(reader, flt) if count else None
        found = _histories(reader, [row.id for row in rows])
    return QueuePage(rows, found, total, version)


def queue(
    desk: DeskBase,
    flt: QueueFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
    order: str = "deadline",
) -> list[TicketSummary]:
    """Tickets matching `flt` in `order` (one of QUEUE_ORDERS), one page of them."""
    with desk.reading() as reader:
        return _page(reader, flt or QueueFilter(), limit, offset, order)


def queue_count(desk: DeskBase, flt: QueueFilter | None = None) -> int:
    with desk.reading() as reader:
        return _count(reader, flt or QueueFilter())


def queue_counts(desk: DeskBase, filters: dict[str, QueueFilter]) -> dict[str, int]:
    """How many tickets each filter matches, in one pass over the tickets."""
    with desk.reading() as reader:
        return _counts(reader, filters)


def _counts(reader: Reader, filters: dict[str, QueueFilter]) -> dict[str, int]:
    if not filters:
        return {}
    params: list[Any] = []
    sums = [
        f"coalesce(sum(CASE WHEN {where(flt, params)} THEN 1 ELSE 0 END), 0)"
        for flt in filters.values()
    ]
    (row,) = reader.rows(f"SELECT {', '.join(sums)} FROM ticket", params)
    return {name: int(value) for name, value in zip(filters, row, strict=True)}


def versioned_counts(
    desk: DeskBase, filters: dict[str, QueueFilter]
) -> tuple[tuple[int, int], dict[str, int]]:
    """`queue_counts` with the data version they were counted at, from one snapshot."""
    with desk.reading() as reader:
        return _version(reader), _counts(reader, filters)


def ticket_summary(reader: Reader, ticket_id: int) -> TicketSummary | None:
    found = summaries(reader, f"{_SUMMARIES} WHERE ticket.id = ?", [ticket_id])
    return found[0] if found else None


def data_version(desk: DeskBase) -> tuple[int, int]:
    """A cheap fingerprint that changes whenever any process writes (for live refresh):
    every ticket change appends an event; contracts change the quota panel."""
    with desk.reading() as reader:
        return _version(reader)


def histories(desk: DeskBase, ticket_ids: Sequence[int]) -> dict[int, TicketHistory]:
    """The SLA inputs of several tickets (the visible queue rows) from their logs."""
    with desk.reading() as reader:
        return _histories(reader, list(ticket_ids))


def _page(
    reader: Reader, flt: QueueFilter, limit: int | None, offset: int, order: str
) -> list[TicketSummary]:
    if order not in QUEUE_ORDERS:
        raise BadInput(f"no queue order {order!r} (one of: {', '.join(QUEUE_ORDERS)})")
    params: list[Any] = []
    sql = f"{_SUMMARIES} WHERE {where(flt, params)} ORDER BY {QUEUE_ORDERS[order]}, ticket.id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return summaries(reader, sql, params)


def _count(reader: Reader, flt: QueueFilter) -> int:
    params: list[Any] = []
    return int(reader.value(f"SELECT count(*) FROM ticket WHERE {where(flt, params)}", params))


def _version(reader: Reader) -> tuple[int, int]:
    (row,) = reader.rows("SELECT (SELECT max(id) FROM event), (SELECT max(id) FROM contract)")
    return int(row[0] or 0), int(row[1] or 0)


def _histories(reader: Reader, ids: list[int]) -> dict[int, TicketHistory]:
    return {ticket: history_from_events(log) for ticket, log in events_of(reader, ids).items()}


def events_of(
    reader: Reader,
    ticket_ids: Sequence[int],
    *,
    kinds: Sequence[str] | None = None,
    bodies: bool = True,
) -> dict[int, list[EventView]]:
    """The logs of several tickets, each ordered by (at, id): only events of `kinds` if
    given, and without their bodies (most of a log's bytes) unless `bodies`. The one
    decoder of event rows into views (store.queries.event_rows reads them)."""
    grouped: dict[int, list[EventView]] = {}
    loads = json.loads
    for ticket_id, event_id, at, kind, author, body, data in event_rows(
        reader, ticket_ids, kinds=kinds, bodies=bodies
    ):
        payload = {} if data in (None, "{}") else loads(data)
        grouped.setdefault(ticket_id, []).append(
            EventView(event_id, from_db(at), kind, author, body, payload)
        )
    return grouped


def history_from_events(events: Sequence[EventView]) -> TicketHistory:
    """A ticket's SLA input from its log alone: the opening event carries the priority, SLA
    and status the ticket was created with."""
    opening = events[0]
    return TicketHistory(
        created_at=opening.at,
        priority=opening.data["priority"],
        sla=opening.data.get("sla"),
        status=opening.data["status"],
        events=tuple(
            TicketEvent(at=e.at, kind=e.kind, author=e.author, body=e.body, data=e.data, seq=e.id)
            for e in events
        ),
    )


def operator_names(desk: DeskBase) -> list[str]:
    with desk.reading() as reader:
        return queries.operator_names(reader)


def summaries(reader: Reader, sql: str, params: Sequence[Any]) -> list[TicketSummary]:
    """TicketSummary rows for a `_SUMMARIES` statement, with their tags in one more query."""
    rows = reader.rows(sql, params)
    if not rows:
        return []
    ids = [row[0] for row in rows]
    tags = queries.ticket_tags(reader, ids)
    out = []
    for row in rows:
        values = dict(zip(_SUMMARY_COLUMNS, row, strict=False))
        values.update(
            over_quota=bool(values["over_quota"]),
            billable=bool(values["billable"]),
            created_at=from_db(values["created_at"]),
            updated_at=from_db(values["updated_at"]),
            next_deadline=from_db(values["next_deadline"]),
        )
        contact, customer = row[-2:]
        out.append(
            TicketSummary(
                **values, contact=contact or "", customer=customer, tags=tuple(tags.get(row[0], ()))
            )
        )
    return out


def where(flt: QueueFilter, params: list[Any]) -> str:
    """The filter as a condition on `ticket`, appending its values to `params`."""
    conds: list[str] = []

    def one_of(column: str, values: Sequence[Any], negate: bool = False) -> None:
        params.extend(values)
        marks = ", ".join("?" * len(values))
        conds.append(f"{column} {'NOT IN' if negate else 'IN'} ({marks})")

    if flt.statuses:
        one_of("ticket.status", flt.statuses)
    elif flt.categories:
        one_of("ticket.status_category", flt.categories)
    if flt.priorities:
        one_of("ticket.priority", flt.priorities)
    if flt.channels:
        one_of("ticket.channel", flt.channels)
    if flt.exclude_channels:
        one_of("ticket.channel", flt.exclude_channels, negate=True)
    for tag in flt.tags:
        params.append(tag)
        conds.append(f"EXISTS ({_HAS_TAG})")
    if flt.customers:
        conds.append(f"ticket.customer_id IN ({_customers_named(flt.customers, params)})")
    if flt.assignees:
        named = [a for a in flt.assignees if a is not None]
        either = []
        if named:
            params.extend(named)
            either.append(f"ticket.assignee IN ({', '.join('?' * len(named))})")
        if None in flt.assignees:
            either.append("ticket.assignee IS NULL")
        conds.append(f"({' OR '.join(either)})")
    for excluded in flt.exclude_assignees:
        if excluded is None:
            conds.append("ticket.assignee IS NOT NULL")
        else:
            params.append(excluded)
            conds.append("(ticket.assignee IS NULL OR ticket.assignee != ?)")
    if flt.exclude_statuses:
        one_of("ticket.status", flt.exclude_statuses, negate=True)
    if flt.exclude_priorities:
        one_of("ticket.priority", flt.exclude_priorities, negate=True)
    for tag in flt.exclude_tags:
        params.append(tag)
        conds.append(f"NOT EXISTS ({_HAS_TAG})")
    if flt.exclude_customers:
        named_customers = _customers_named(flt.exclude_customers, params)
        conds.append(
            f"(ticket.customer_id IS NULL OR ticket.customer_id NOT IN ({named_customers}))"
        )
    for word in flt.words:
        params.append(_contains(word))
        conds.append("lower(ticket.subject) LIKE lower(?) ESCAPE '\\'")
    for column, op, instant in (
        ("ticket.next_deadline", "<=", flt.deadline_before),
        ("ticket.next_deadline", ">", flt.deadline_after),
        ("ticket.next_warning", "<=", flt.warning_before),
    ):
        if instant is not None:
            params.append(to_db(instant))
            conds.append(f"{column} {op} ?")
    if flt.ticket_ids:
        one_of("ticket.id", flt.ticket_ids)
    return " AND ".join(conds) or "1 = 1"


_HAS_TAG = "SELECT 1 FROM ticket_tag WHERE ticket_tag.ticket_id = ticket.id AND ticket_tag.tag = ?"


def _customers_named(fragments: Sequence[str], params: list[Any]) -> str:
    """Customers whose name contains any of the fragments, ignoring case."""
    params.extend(_contains(fragment) for fragment in fragments)
    matches = " OR ".join(["lower(customer.name) LIKE lower(?) ESCAPE '\\'"] * len(fragments))
    return f"SELECT customer.id FROM customer WHERE {matches}"


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
