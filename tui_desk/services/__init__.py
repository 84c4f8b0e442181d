"""Use cases shared by the CLI and the TUI. `desk` holds tickets, customers and contracts;
sibling modules add quotas, escalations and reports on the same `HelpDesk`."""

from tui_desk.services.desk import (
    BadInput,
    Conflict,
    EventView,
    HelpDesk,
    NotFound,
    QueueFilter,
    ServiceError,
    TicketDetail,
    TicketSummary,
    history_from_events,
    parse_day,
    parse_instant,
    sla_cache_values,
)

__all__ = [
    "BadInput",
    "Conflict",
    "EventView",
    "HelpDesk",
    "NotFound",
    "QueueFilter",
    "ServiceError",
    "TicketDetail",
    "TicketSummary",
    "history_from_events",
    "parse_day",
    "parse_instant",
    "sla_cache_values",
]
