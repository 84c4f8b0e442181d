"""The store's shared reads, each written once in standard SQL: tickets' event logs and
tags, the operators, "escalation due" (which tickets the escalation pass must look at) and
the tickets of the escalation view.

Statements use `?` placeholders and run on any `Reader` (store.lite): the quick
SQLAlchemy-free paths, the full desk's transactions (`HelpDesk.reading()`) and the recompute
workers all send the same text, so a predicate never drifts between its copies. Nothing
here is SQLite-only; instants are bound as the store's text (`to_db`).

The rest of the house: the queue's filters and pages are services.listing, quota usage
services.quota (both plain SQL on a `Reader` too); a use case writing one ticket goes
through its SQLModel row (services.ticket_write), and bulk writes (the escalation pass,
recompute) through the Core tables of store.models (`table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tui_desk.store.lite import Reader, to_db

# ----------------------------------------------------------------------------------------
# Events of tickets

# An event row as `event_rows` returns it: ticket_id, id, at, kind, author, body, data.
EVENT_COLUMNS = ("ticket_id", "id", "at", "kind", "author", "body", "data")


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


def event_log_sql(count: int, *, kinds: int = 0, bodies: bool = True) -> str:
    """The logs of `count` tickets, each ordered by (at, id), in `EVENT_COLUMNS` order;
    `kinds`: how many event kinds to keep (0: all); without `bodies` the body is NULL
    (most of a log's bytes, and nothing a clock or an escalation reads)."""
    sql = (
        f"SELECT ticket_id, id, at, kind, author, {'body' if bodies else 'NULL'}, data"
        f" FROM event WHERE ticket_id IN ({marks(count)})"
    )
    if kinds:
        sql += f" AND kind IN ({marks(kinds)})"
    return sql + " ORDER BY ticket_id, at, id"


def event_rows(
    reader: Reader,
    ticket_ids: Sequence[int],
    *,
    kinds: Sequence[str] | None = None,
    bodies: bool = True,
) -> list[tuple[Any, ...]]:
    """The raw event rows of these tickets (see `event_log_sql`); decoded into views by
    services.listing.events_of, into clock logs by services.recompute.clock_logs."""
    ids = list(ticket_ids)
    if not ids or (kinds is not None and not kinds):
        return []
    kinds = list(kinds or ())
    sql = event_log_sql(len(ids), kinds=len(kinds), bodies=bodies)
    return reader.rows(sql, [*ids, *kinds])


# ----------------------------------------------------------------------------------------
# Tags and operators


def ticket_tags(reader: Reader, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """The tags of these tickets, each list in alphabetical order (untagged: absent)."""
    ids = list(ticket_ids)
    tags: dict[int, list[str]] = {}
    if not ids:
        return tags
    sql = (
        f"SELECT ticket_id, tag FROM ticket_tag WHERE ticket_id IN ({marks(len(ids))}) ORDER BY tag"
    )
    for ticket_id, tag in reader.rows(sql, ids):
        tags.setdefault(ticket_id, []).append(tag)
    return tags


def operator_names(reader: Reader) -> list[str]:
    """Every operator's name, in alphabetical order."""
    return [name for (name,) in reader.rows("SELECT name FROM operator ORDER BY name")]


# ----------------------------------------------------------------------------------------
# Escalation due

# The pass may have something to record for open tickets whose warning or deadline has
# passed, and for escalated ones (SPEC §5)...
_MAY_CHANGE = (
    "((ticket.status_category IN ('active', 'paused')"
    " AND (ticket.next_warning <= ? OR ticket.next_deadline <= ?))"
    " OR ticket.escalation_level > 0)"
)
# ...unless a check at the ticket's current version and policy found nothing due before now.
_FRESH = (
    "(escalation_check.ticket_id IS NOT NULL"
    " AND escalation_check.version = ticket.version"
    " AND escalation_check.checked_at <= ?"
    " AND escalation_check.policy = ?"
    " AND (escalation_check.next_at IS NULL OR escalation_check.next_at > ?))"
)
_WITH_CHECK = (
    "SELECT ticket.id FROM ticket"
    " LEFT OUTER JOIN escalation_check ON escalation_check.ticket_id = ticket.id"
)


def escalation_due(
    reader: Reader,
    now: datetime,
    fingerprint: str,
    *,
    among: Sequence[int] | None = None,
    first: bool = False,
) -> list[int]:
    """Ids of the tickets the escalation pass must look at by `now` under the policy
    `fingerprint` (services.escalation_pass.policy_fingerprint), in id order.

    `among`: only these tickets, and only the freshness half of the test (the pass's
    re-check under the write lock: a ticket read as due stays its business). `first`: at
    most one, in no particular order (is anything due at all?).
    """
    at = to_db(now)
    fresh = [at, fingerprint, at]
    if among is not None:
        ids = list(among)
        if not ids:
            return []
        sql = f"{_WITH_CHECK} WHERE ticket.id IN ({marks(len(ids))}) AND NOT {_FRESH}"
        params: list[Any] = [*ids, *fresh]
    else:
        sql = f"{_WITH_CHECK} WHERE {_MAY_CHANGE} AND NOT {_FRESH}"
        params = [at, at, *fresh]
    # Any one will do for `first`: no order, so the planner may stop at the first match.
    sql += " LIMIT 1" if first else " ORDER BY ticket.id"
    return [ticket_id for (ticket_id,) in reader.rows(sql, params)]


def may_change(ticket: dict[str, Any], now: datetime) -> bool:
    """`_MAY_CHANGE` for one ticket row that is not stored yet (the demo plans its bulk
    tickets before writing them); stored instants are aware. tests/unit/test_store_queries
    pins it to the SQL."""
    if ticket["escalation_level"] > 0:
        return True
    if ticket["status_category"] not in ("active", "paused"):
        return False
    warning, deadline = ticket["next_warning"], ticket["next_deadline"]
    return (warning is not None and warning <= now) or (deadline is not None and deadline <= now)


# ----------------------------------------------------------------------------------------
# The escalation view

# What a row of the escalation view needs of a ticket (services.escalation_view).
VIEW_COLUMNS = (
    "id",
    "subject",
    "priority",
    "status",
    "assignee",
    "escalation_level",
    "escalation_name",
)
_VIEW_SELECT = f"SELECT {', '.join(f'ticket.{name}' for name in VIEW_COLUMNS)} FROM ticket"
_OPEN = "ticket.status_category IN ('active', 'paused')"


def escalated_tickets(reader: Reader) -> list[dict[str, Any]]:
    """The open tickets at an escalation level, as `VIEW_COLUMNS` dicts."""
    sql = f"{_VIEW_SELECT} WHERE {_OPEN} AND ticket.escalation_level > 0"
    return [dict(zip(VIEW_COLUMNS, row, strict=True)) for row in reader.rows(sql)]


def escalating_tickets(reader: Reader, now: datetime, horizon: datetime) -> list[dict[str, Any]]:
    """Active tickets that may reach a level between `now` and `horizon`: not escalated yet
    with a warning or deadline by then, or with a current check whose next level falls
    in between."""
    sql = (
        f"{_VIEW_SELECT}"
        " LEFT OUTER JOIN escalation_check ON escalation_check.ticket_id = ticket.id"
        f" WHERE {_OPEN} AND ticket.status_category = 'active'"
        " AND ((ticket.escalation_level = 0"
        " AND (ticket.next_warning <= ? OR ticket.next_deadline <= ?))"
        " OR (escalation_check.version = ticket.version"
        " AND escalation_check.next_at > ? AND escalation_check.next_at <= ?))"
    )
    until, at = to_db(horizon), to_db(now)
    rows = reader.rows(sql, [until, until, at, until])
    return [dict(zip(VIEW_COLUMNS, row, strict=True)) for row in rows]
