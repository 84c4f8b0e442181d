"""Escalations (SPEC §5), one module per concern: the pass that records the levels reached
(services.escalation_pass), its notifications (services.escalation_notify),
acknowledgements (services.escalation_ack) and the escalation view (services.escalation_view).

This module only gathers their public names, so that `tui_desk.services.escalation` keeps
serving the faces and the demo.
"""

from __future__ import annotations

from tui_desk.services.escalation_ack import Acknowledgement, acknowledge, acknowledge_many
from tui_desk.services.escalation_notify import (
    CATCH_UP_WINDOW,
    NOTIFY_TIMEOUT_SECONDS,
    SUMMARY_LINES,
    notify_argv,
    record_notification_failures,
)
from tui_desk.services.escalation_pass import (
    AUTHOR,
    EscalationPlan,
    LeftLevel,
    PassReport,
    ReachedLevel,
    plan_unstored_ticket,
    policy_fingerprint,
    run_escalation_pass,
)
from tui_desk.services.escalation_view import (
    UPCOMING_WINDOWS,
    EscalatedTicket,
    EscalationOverview,
    UpcomingEscalation,
    UpcomingWindow,
    escalation_overview,
)

__all__ = [
    "AUTHOR",
    "CATCH_UP_WINDOW",
    "NOTIFY_TIMEOUT_SECONDS",
    "SUMMARY_LINES",
    "UPCOMING_WINDOWS",
    "Acknowledgement",
    "EscalatedTicket",
    "EscalationOverview",
    "EscalationPlan",
    "LeftLevel",
    "PassReport",
    "ReachedLevel",
    "UpcomingEscalation",
    "UpcomingWindow",
    "acknowledge",
    "acknowledge_many",
    "escalation_overview",
    "notify_argv",
    "plan_unstored_ticket",
    "policy_fingerprint",
    "record_notification_failures",
    "run_escalation_pass",
]
