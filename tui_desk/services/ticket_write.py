"""The steps every change to a stored ticket takes, in the caller's write transaction: load
it at the version the writer saw, claim it (bump `version`), append events to its log; and
the events a change of fields records (`field_changes`), shared by `ticket set`
(services.desk) and an escalation level's action (services.escalation_pass).

Package-internal: the use cases in services.desk, services.merge and
services.escalation_ack build on these; the faces call those use cases.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col

from tui_desk.services.base import BadInput, Conflict, NotFound
from tui_desk.store.models import Event, Ticket


class Keep:
    """`field_changes(assignee=KEEP)`: the assignee is not part of the change."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


def load_for_write(session: Session, ticket_id: int, expected_version: int | None) -> Ticket:
    """The ticket to change; Conflict when it is no longer at `expected_version` (SPEC §9)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(
            f"ticket #{ticket_id} was changed by someone else since you opened it "
            f"(version {expected_version} → {ticket.version}); reload and try again"
        )
    return ticket


def check_at(ticket: Ticket, at: datetime) -> None:
    """BadInput when `--at` is before the ticket was created."""
    if at < ticket.created_at:
        raise BadInput(
            f"--at {at:%Y-%m-%dT%H:%M:%SZ} is before ticket #{ticket.id} was created "
            f"({ticket.created_at:%Y-%m-%dT%H:%M:%SZ})"
        )


def claim(session: Session, ticket: Ticket, at: datetime) -> None:
    """Claim the ticket for this write: fails if another process changed it meanwhile."""
    result = session.execute(
        sa.update(Ticket)
        .where(col(Ticket.id) == ticket.id, col(Ticket.version) == ticket.version)
        .values(version=ticket.version + 1, updated_at=max(at, ticket.updated_at))
    )
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    if result.rowcount != 1:
        raise Conflict(f"ticket #{ticket.id} was changed by someone else; reload and try again")
    session.refresh(ticket)


def event_row(
    ticket_id: int,
    at: datetime,
    kind: str,
    author: str | None,
    body: str | None,
    data: dict[str, Any] | None,
    recorded_at: datetime,
) -> dict[str, Any]:
    """An `event` row as every writer stores it (data as sorted JSON)."""
    return {
        "ticket_id": ticket_id,
        "at": at,
        "kind": kind,
        "author": author,
        "body": body,
        "data": json.dumps(data or {}, ensure_ascii=False, sort_keys=True),
        "recorded_at": recorded_at,
    }


def append_event(
    session: Session,
    ticket: Ticket,
    at: datetime,
    kind: str,
    author: str | None,
    body: str | None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event at the end of the ticket's log."""
    assert ticket.id is not None
    session.add(Event(**event_row(ticket.id, at, kind, author, body, data, datetime.now(UTC))))


def field_changes(
    priority_now: str,
    assignee_now: str | None,
    tags_now: Collection[str],
    *,
    priority: str | None = None,
    assignee: str | None | Keep = KEEP,
    tags: Sequence[str] = (),
    untags: Sequence[str] = (),
) -> list[tuple[str, dict[str, Any]]]:
    """The events (kind, data) that change a ticket's priority, assignee and tags, in that
    order, one per field that changes: what `ticket set` records, and what an escalation
    level's `set` records as if an operator had typed it."""
    changes: list[tuple[str, dict[str, Any]]] = []
    if priority is not None and priority != priority_now:
        changes.append(("priority", {"from": priority_now, "to": priority}))
    if not isinstance(assignee, Keep) and assignee != assignee_now:
        changes.append(("assignee", {"from": assignee_now, "to": assignee}))
    added = [tag for tag in dict.fromkeys(tags) if tag not in tags_now]
    removed = [tag for tag in dict.fromkeys(untags) if tag in tags_now and tag not in added]
    if added or removed:
        changes.append(("tags", {"added": added, "removed": removed}))
    return changes
