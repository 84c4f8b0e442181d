"""SQLModel tables of the store. Instants are stored as naive UTC and read back aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC text that sorts correctly in SQLite."""

    impl = sa.types.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the store; every instant must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UtcDateTime(), nullable=nullable, index=index))


class Operator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str = "agent"
    created_at: datetime = _utc_column()


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = _utc_column()


class CustomerDomain(SQLModel, table=True):
    __tablename__ = "customer_domain"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    domain: str = Field(unique=True)


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)
    name: str | None = None
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    created_at: datetime = _utc_column()


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    plan: str
    product: str | None = None
    start: date
    end: date | None = None
    created_at: datetime = _utc_column()


# Keys of ix_ticket_queue: the category, then the queue's default order (none last). An
# expression key is parenthesised: standard SQL, which PostgreSQL requires and SQLite allows.
QUEUE_ORDER_KEYS: tuple[Any, ...] = (
    "status_category",
    sa.text("(next_deadline IS NULL)"),
    "next_deadline",
    "priority_rank",
    "created_at",
)


class Ticket(SQLModel, table=True):
    # Quota usage (SPEC §4.2) counts a contract's tickets created in a period: one range of
    # this index per contract, never touching the table (see services/quota.py).
    __table_args__ = (
        sa.Index(
            "ix_ticket_quota_usage",
            "contract_id",
            "created_at",
            "status_category",
            "over_quota",
            "billable",
        ),
        # The queue's default order within a status category (services/listing.py,
        # QUEUE_ORDERS["deadline"]): a view of one category reads its first page straight
        # off this index, and deadline ranges ("Breached") are one range of it.
        sa.Index("ix_ticket_queue", *QUEUE_ORDER_KEYS),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str
    status: str = Field(index=True)
    status_category: str = Field(index=True)
    priority: str
    priority_rank: int
    channel: str = "email"
    contact_id: int = Field(foreign_key="contact.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    assignee: str | None = Field(default=None, index=True)
    product: str | None = None
    # Indexed by ix_ticket_quota_usage (contract_id first).
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    plan: str | None = None
    sla_policy: str | None = None
    over_quota: bool = False
    billable: bool = False
    external_id: str | None = Field(default=None, unique=True)
    created_at: datetime = _utc_column(index=True)
    updated_at: datetime = _utc_column()
    # Optimistic concurrency: every write bumps it; a write based on an older one fails.
    version: int = 1
    # Cached SLA figures (SPEC §3.6: recomputable from the event log at any time).
    due_first_response: datetime | None = _utc_column(nullable=True)
    due_next_response: datetime | None = _utc_column(nullable=True)
    due_resolution: datetime | None = _utc_column(nullable=True)
    next_deadline: datetime | None = _utc_column(nullable=True, index=True)
    next_warning: datetime | None = _utc_column(nullable=True, index=True)
    escalation_level: int = Field(default=0, index=True)
    escalation_name: str | None = None


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tag"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    tag: str = Field(primary_key=True, index=True)


class Event(SQLModel, table=True):
    """The append-only log of SPEC §1. Rows are never updated or deleted."""

    # A ticket's log is always read whole and in order: one index range, no sort.
    __table_args__ = (sa.Index("ix_event_ticket_order", "ticket_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    at: datetime = _utc_column(index=True)
    kind: str
    author: str | None = None
    body: str | None = None
    data: str = "{}"  # JSON
    recorded_at: datetime = _utc_column()


class EscalationMark(SQLModel, table=True):
    """One row per level event the escalation pass records on a ticket, keyed by its ordinal
    among the ticket's level events: two passes racing to record the same change collide
    here instead of recording it twice (SPEC §5)."""

    __tablename__ = "escalation_mark"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    ordinal: int = Field(primary_key=True)
    level: int
    reached: bool
    at: datetime = _utc_column()


class EscalationCheck(SQLModel, table=True):
    """When the escalation pass last evaluated a ticket (at which ticket version, under which
    policy) and when its next level is due: lets the pass skip tickets with nothing new."""

    __tablename__ = "escalation_check"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    version: int
    policy: str
    checked_at: datetime = _utc_column()
    next_at: datetime | None = _utc_column(nullable=True, index=True)


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str


def table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for bulk statements (SQLModel leaves `__table__` untyped)."""
    found = vars(model)["__table__"]
    assert isinstance(found, sa.Table)
    return found
