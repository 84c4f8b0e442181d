"""Operator roles (docs/cli.md). A role says who an operator is on the escalation ladder;
the policy's escalation `notify` lists name roles (or operators), so the default policy's
lists use exactly these names."""

from __future__ import annotations

ROLES: dict[str, str] = {
    "agent": "works the queue",
    "lead": "team lead: first to hear of a ticket at risk",
    "manager": "support manager: hears of breaches",
    "cto": "executive: hears of tickets long past their deadline",
}
DEFAULT_ROLE = "agent"
