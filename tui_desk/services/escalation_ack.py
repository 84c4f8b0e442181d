"""Acknowledging an escalation (`escalation ack`, the view's `e`; SPEC §5): an event on
the ticket naming the level acknowledged, several in one transaction, all or none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui_desk.core.escalation import NOT_ESCALATING, EscalationRecord, recorded_escalation
from tui_desk.services.base import BadInput, NotFound, utc_text
from tui_desk.services.desk import HelpDesk
from tui_desk.services.escalation_pass import escalation_logs
from tui_desk.services.listing import EventView
from tui_desk.services.ticket_write import event_row
from tui_desk.store.engine import write_session
from tui_desk.store.models import EscalationCheck, Event, Ticket, table

_T = table(Ticket)
_E = table(Event)
_CHECK = table(EscalationCheck)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    ticket_id: int
    level: int
    name: str | None
    by: str
    at: datetime


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
        logs = escalation_logs(conn, ids, ("escalation", "escalation_ack"))
        for ticket_id, operator, at in wanted:
            ticket = tickets.get(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket #{ticket_id}")
            log = logs.setdefault(ticket_id, [])
            record = _acknowledgeable(ticket, log)
            when = (at or now).astimezone(UTC).replace(microsecond=0)
            if record.since is not None and when < record.since:
                raise BadInput(
                    f"{utc_text(when)} is before ticket #{ticket_id} reached {record.name} "
                    f"({utc_text(record.since)})"
                )
            if operator not in resolved:
                resolved[operator] = desk.resolve_operator(session, operator)
            who = resolved[operator]
            data = {"level": record.level, "name": record.name}
            log.append(EventView(2**62 + len(events), when, "escalation_ack", who, None, data))
            events.append(
                event_row(ticket_id, when, "escalation_ack", who, None, data, recorded_at)
            )
            ticket["version"] += 1
            ticket["updated_at"] = max(when, ticket["updated_at"])
            done.append(Acknowledgement(ticket_id, record.level, record.name, who, when))
        _write(conn, events, list(tickets.values()), before)
    return done


def _acknowledgeable(ticket: dict[str, Any], log: list[EventView]) -> EscalationRecord:
    """The ticket's escalation as its log records it (acknowledgements earlier in the same
    batch included); BadInput unless it is escalated and not acknowledged yet."""
    ticket_id = ticket["id"]
    record = recorded_escalation(log)
    if record.level == 0 or ticket["status_category"] in NOT_ESCALATING:
        raise BadInput(f"ticket #{ticket_id} is not escalated; nothing to acknowledge")
    if record.acknowledged:
        raise BadInput(
            f"the {record.name} escalation of ticket #{ticket_id} was already "
            f"acknowledged by {record.acknowledged_by} at {utc_text(record.acknowledged_at)}"
        )
    return record


def _write(
    conn: Connection,
    events: list[dict[str, Any]],
    tickets: list[dict[str, Any]],
    before: dict[int, int],
) -> None:
    """The acknowledgement events, and each ticket's new version."""
    conn.execute(sa.insert(_E), events)
    conn.execute(
        sa.update(_T)
        .where(_T.c.id == sa.bindparam("b_id"))
        .values(version=sa.bindparam("b_version"), updated_at=sa.bindparam("b_updated_at")),
        [
            {"b_id": t["id"], "b_version": t["version"], "b_updated_at": t["updated_at"]}
            for t in tickets
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
            for t in tickets
        ],
    )
