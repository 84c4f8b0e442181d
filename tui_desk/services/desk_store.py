"""A desk bound to a store through SQLAlchemy: its transactions, the ticket reads the faces
show (`ticket`, `queue`...), and the SLA figures cached on ticket rows (SPEC §3.6) — kept
current after each change and recomputed from the event log after a policy change.

`StoreDesk` is the base of `HelpDesk` (services.desk), which adds the use cases that write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from tui_desk.core.events import TicketHistory
from tui_desk.core.policy import Policy, policy_digest
from tui_desk.core.sla import TicketSla, compute_sla
from tui_desk.services import listing, recompute
from tui_desk.services.base import POLICY_KEY, DeskBase, NotFound
from tui_desk.services.listing import (
    EventView,
    QueueFilter,
    TicketSummary,
    events_of,
    history_from_events,
    ticket_summary,
)
from tui_desk.store.engine import read_session, write_session
from tui_desk.store.lite import Reader, StoreError
from tui_desk.store.models import Meta, Ticket, table


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketSummary
    sla: TicketSla
    events: tuple[EventView, ...]
    history: TicketHistory = field(repr=False)


class StoreDesk(DeskBase):
    """Reads and cached clocks, bound to one store, one policy and a notion of "now"."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        now: Callable[[], datetime] | None = None,
        operator: str | None = None,
    ) -> None:
        super().__init__(policy, now, operator)
        self.engine = engine

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read transaction for hand-written SQL on the engine's own driver."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield connection_reader(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the store failed: {exc}") from exc

    # -- SLA cache ------------------------------------------------------------------------------

    def ticket_log(self, session: Session, ticket_id: int) -> list[EventView]:
        """A ticket's events, oldest first, in the session's transaction."""
        return _load_events(session, [ticket_id]).get(ticket_id, [])

    def _refresh_sla(self, session: Session, ticket: Ticket) -> TicketSla:
        assert ticket.id is not None
        history = history_from_events(self.ticket_log(session, ticket.id))
        sla = compute_sla(self.policy, history, self.now())
        apply_sla_cache(ticket, sla)
        session.add(ticket)
        return sla

    def ensure_policy_applied(self) -> int | None:
        """If the policy changed since the store's cached clocks were computed, recompute
        them (SPEC §3.6); returns how many tickets were recomputed, None if none needed."""
        fingerprint = policy_fingerprint(self.policy)
        with read_session(self.engine) as session:
            stored = session.get(Meta, POLICY_FINGERPRINT_KEY)
        if stored is not None and stored.value == fingerprint:
            return None
        return self.recompute_all()

    def recompute_all(self) -> int:
        """Recompute status categories, priority ranks and the cached clocks of every open
        ticket from its events (after a policy change), in one transaction."""
        tickets = table(Ticket)
        statuses, priorities = self.policy.statuses, self.policy.priorities
        with write_session(self.engine) as session:
            # Only rows whose value changes are rewritten: a policy change usually moves few.
            for status in statuses.all:
                category = statuses.category(status)
                session.execute(
                    sa.update(tickets)
                    .where(tickets.c.status == status, tickets.c.status_category != category)
                    .values(status_category=category)
                )
            for rank, priority in enumerate(priorities.order):
                session.execute(
                    sa.update(tickets)
                    .where(tickets.c.priority == priority, tickets.c.priority_rank != rank)
                    .values(priority_rank=rank)
                )
            session.merge(Meta(key=POLICY_FINGERPRINT_KEY, value=policy_fingerprint(self.policy)))
            open_ids = [
                ticket_id
                for ticket_id in session.exec(
                    select(Ticket.id).where(col(Ticket.status_category).in_(("active", "paused")))
                )
                if ticket_id is not None
            ]
            # Workers read the events outside this transaction, which changed none of them.
            return self._recompute(session, open_ids, parallel=True)

    def recompute_tickets(self, ticket_ids: Sequence[int]) -> int:
        """Recompute the cached clocks of these tickets from their events."""
        with write_session(self.engine) as session:
            return self._recompute(session, ticket_ids, parallel=True)

    def _recompute(
        self, session: Session, ticket_ids: Sequence[int], *, parallel: bool = False
    ) -> int:
        """Recompute the cached clocks of these tickets in the session's transaction.

        `parallel`: the events to read are all committed, so big jobs on SQLite may share
        the reading and computing with worker processes (services.recompute).
        """
        now = self.now()
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            # The plain-sqlite3 path: recompute_bench.py's "100k open tickets < 5 s".
            driver = conn.connection.driver_connection
            assert driver is not None
            return recompute.recompute_sqlite(
                driver, self.policy, ticket_ids, now, parallel=parallel
            )
        tickets = table(Ticket)
        update = (
            sa.update(tickets)
            .where(tickets.c.id == sa.bindparam("b_id"))
            .values({key: sa.bindparam(key) for key in SLA_CACHE_COLUMNS})
        )
        count = 0
        batch = recompute.BATCH
        for start in range(0, len(ticket_ids), batch):
            grouped = _load_events(session, ticket_ids[start : start + batch])
            updates = [
                {
                    "b_id": ticket_id,
                    **sla_cache_values(compute_sla(self.policy, history_from_events(events), now)),
                }
                for ticket_id, events in grouped.items()
            ]
            if updates:
                session.connection().execute(update, updates)
            count += len(updates)
        return count

    # -- reading ----------------------------------------------------------------------------------

    def ticket(self, ticket_id: int, now: datetime | None = None) -> TicketDetail:
        with read_session(self.engine) as session:
            summary = ticket_summary(_reader(session), ticket_id)
            if summary is None:
                raise NotFound(f"no ticket #{ticket_id}")
            events = tuple(self.ticket_log(session, ticket_id))
        history = history_from_events(events)
        sla = compute_sla(self.policy, history, now or self.now())
        return TicketDetail(summary, sla, events, history)

    def queue(
        self,
        flt: QueueFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "deadline",
    ) -> list[TicketSummary]:
        """Tickets in `order` (see QUEUE_ORDERS), one page of them (services.listing)."""
        return listing.queue(self, flt, limit, offset, order)

    def queue_with_clocks(
        self, flt: QueueFilter | None = None, limit: int | None = None, now: datetime | None = None
    ) -> list[tuple[TicketSummary, TicketSla]]:
        """The queue's tickets with their clocks evaluated at `now` (default: now)."""
        page = listing.queue_page(self, flt, limit=limit, count=False)
        at = now or self.now()
        return [(t, compute_sla(self.policy, page.histories[t.id], at)) for t in page.rows]

    def queue_count(self, flt: QueueFilter | None = None) -> int:
        return listing.queue_count(self, flt)

    def histories(self, ticket_ids: Sequence[int]) -> dict[int, TicketHistory]:
        """The event histories of several tickets in one query (for the visible queue rows)."""
        return listing.histories(self, ticket_ids)

    def queue_counts(self, filters: dict[str, QueueFilter]) -> dict[str, int]:
        """How many tickets each filter matches, in one pass over the tickets."""
        return listing.queue_counts(self, filters)

    def data_version(self) -> tuple[int, int]:
        """Changes whenever any process writes (see listing.data_version)."""
        return listing.data_version(self)


def _reader(session: Session) -> Reader:
    """The session's own transaction, for hand-written SQL."""
    return connection_reader(session.connection())


def connection_reader(conn: Connection) -> Reader:
    """A connection's own transaction, for hand-written SQL (store.queries, services.listing)."""
    return Reader(conn.connection.driver_connection, str(conn.dialect.paramstyle))


def _load_events(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[EventView]]:
    """Events of several tickets, oldest first, read as plain rows (no ORM objects)."""
    return events_of(_reader(session), ticket_ids)


POLICY_FINGERPRINT_KEY = POLICY_KEY


def policy_fingerprint(policy: Policy) -> str:
    """Identifies the policy the cached clocks were computed with."""
    return policy_digest(policy)


SLA_CACHE_COLUMNS = (
    "due_first_response",
    "due_next_response",
    "due_resolution",
    "next_deadline",
    "next_warning",
)


def sla_cache_values(sla: TicketSla) -> dict[str, Any]:
    clocks = sla.clocks
    running = ("running", "warning", "breached")

    def due(name: str) -> datetime | None:
        clock = clocks[name]
        return clock.due if clock.state in running else None

    warnings = [c.warn_at for c in clocks.values() if c.state in running and c.warn_at is not None]
    return {
        "due_first_response": due("first_response"),
        "due_next_response": due("next_response"),
        "due_resolution": due("resolution"),
        "next_deadline": sla.next_deadline,
        "next_warning": min(warnings) if warnings else None,
    }


def apply_sla_cache(ticket: Ticket, sla: TicketSla) -> None:
    for key, value in sla_cache_values(sla).items():
        setattr(ticket, key, value)
