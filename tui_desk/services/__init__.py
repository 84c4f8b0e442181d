"""Use cases shared by the CLI and the TUI. `desk` holds tickets, customers and contracts;
sibling modules add quotas, escalations and reports on the same `HelpDesk`.

Names are imported on first use: `base` and `quota` need no database toolkit, so quick
read-only paths never pay for importing SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_desk.services.base import (
        BadInput,
        Conflict,
        DeskBase,
        NotFound,
        ReadOnlyDesk,
        ServiceError,
        parse_day,
        parse_instant,
    )
    from tui_desk.services.desk import HelpDesk, TicketDetail, sla_cache_values
    from tui_desk.services.escalation import (
        UPCOMING_WINDOWS,
        Acknowledgement,
        EscalatedTicket,
        EscalationOverview,
        PassReport,
        ReachedLevel,
        UpcomingEscalation,
        acknowledge,
        escalation_overview,
        run_escalation_pass,
    )
    from tui_desk.services.listing import (
        QUEUE_ORDERS,
        EventView,
        QueueFilter,
        TicketSummary,
        history_from_events,
    )
    from tui_desk.services.quota import ContractQuota, quota_line, quota_overview

# Exported name -> the module (in this package) that defines it.
_HOME = {
    **dict.fromkeys(
        (
            "BadInput",
            "Conflict",
            "DeskBase",
            "NotFound",
            "ReadOnlyDesk",
            "ServiceError",
            "parse_day",
            "parse_instant",
        ),
        "base",
    ),
    **dict.fromkeys(
        (
            "HelpDesk",
            "TicketDetail",
            "sla_cache_values",
        ),
        "desk",
    ),
    **dict.fromkeys(
        (
            "UPCOMING_WINDOWS",
            "Acknowledgement",
            "EscalatedTicket",
            "EscalationOverview",
            "PassReport",
            "ReachedLevel",
            "UpcomingEscalation",
            "acknowledge",
            "escalation_overview",
            "run_escalation_pass",
        ),
        "escalation",
    ),
    **dict.fromkeys(
        ("QUEUE_ORDERS", "EventView", "QueueFilter", "TicketSummary", "history_from_events"),
        "listing",
    ),
    **dict.fromkeys(("ContractQuota", "quota_line", "quota_overview"), "quota"),
}

__all__ = [
    "Acknowledgement",
    "BadInput",
    "Conflict",
    "ContractQuota",
    "DeskBase",
    "EscalatedTicket",
    "EscalationOverview",
    "EventView",
    "HelpDesk",
    "NotFound",
    "PassReport",
    "QUEUE_ORDERS",
    "QueueFilter",
    "ReachedLevel",
    "ReadOnlyDesk",
    "ServiceError",
    "TicketDetail",
    "TicketSummary",
    "UPCOMING_WINDOWS",
    "UpcomingEscalation",
    "acknowledge",
    "escalation_overview",
    "history_from_events",
    "parse_day",
    "parse_instant",
    "quota_line",
    "quota_overview",
    "run_escalation_pass",
    "sla_cache_values",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
