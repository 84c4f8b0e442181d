"""A small desk written through the services at fixed instants, with its own policy, for
screen snapshots and tests that must not move when the demo's data or the default policy
change: a dozen tickets on three customers, each clock state, the three escalation levels,
several channels, and contracts near and over their allowance."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import FrozenClock
from tests.policies import OFFICE_WEEK
from tui_desk.core.policy import Policy
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.services import HelpDesk, acknowledge, run_escalation_pass
from tui_desk.store.engine import open_store

SMALL_NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # a Wednesday, 11:30 in Berlin

SMALL_POLICY = f"""
[desk]
name = "Small Desk"
timezone = "Europe/Berlin"
default_sla = "office"

[calendars.office]
timezone = "Europe/Berlin"
{OFFICE_WEEK}
[calendars.always]
always = true

[sla.office]
calendar = "office"
warn_at = "75%"
[sla.office.targets]
urgent = {{ first_response = "30m", next_response = "1h", resolution = "4h" }}
high   = {{ first_response = "1h",  next_response = "2h", resolution = "8h" }}
normal = {{ first_response = "2h",  next_response = "4h", resolution = "2d" }}
low    = {{ first_response = "1d" }}

[sla.premium]
calendar = "always"
warn_at = "75%"
[sla.premium.targets]
urgent = {{ first_response = "1h", resolution = "4h" }}
high   = {{ first_response = "2h", resolution = "8h" }}
normal = {{ first_response = "4h", resolution = "1d" }}
low    = {{ first_response = "8h" }}

[plans.premium]
sla = "premium"
quota = {{ tickets = 4, per = "month" }}

[plans.basic]
sla = "office"
quota = {{ tickets = 20, per = "month" }}

[escalation]

[[escalation.levels]]
name = "lead"
at = "warning"

[[escalation.levels]]
name = "manager"
at = "breach"

[[escalation.levels]]
name = "executive"
at = "breach+2h"
"""

# (opened at, from, subject, priority, channel, then: list of (at, action, value))
TICKETS: tuple[tuple[str, str, str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("2026-11-16T08:10Z", "kim@acme.io", "Checkout fails with error 502", "urgent", "email", ()),
    (
        "2026-11-17T11:00Z",
        "lee@globex.com",
        "Invoice shows the wrong VAT number",
        "high",
        "phone",
        (("2026-11-17T11:30Z", "reply", "We are checking with finance."),),
    ),
    ("2026-11-18T08:40Z", "ola@initech.com", "[URGENT] [b]Export[/b] stuck", "normal", "chat", ()),
    (
        "2026-11-17T15:30Z",
        "kim@acme.io",
        "SSO login loops back to the sign-in page after the latest update",
        "high",
        "email",
        (("2026-11-17T16:00Z", "assign", "ana"),),
    ),
    (
        "2026-11-18T08:00Z",
        "pat@globex.com",
        "How do I add a second admin?",
        "low",
        "web",
        (
            ("2026-11-18T08:20Z", "reply", "Settings → Team → Invite. Does that help?"),
            ("2026-11-18T08:20Z", "status", "pending"),
        ),
    ),
    (
        "2026-11-18T09:40Z",
        "kim@acme.io",
        "Dashboard is slow since this morning",
        "normal",
        "email",
        (("2026-11-18T09:45Z", "assign", "ben"),),
    ),
    ("2026-11-18T10:05Z", "sam@acme.io", "API returns 500 on /orders", "urgent", "email", ()),
    (
        "2026-11-18T10:20Z",
        "lee@globex.com",
        "Password reset mail never arrives",
        "normal",
        "phone",
        (),
    ),
    (
        "2026-11-18T10:25Z",
        "pat@globex.com",
        "Feature request: dark mode for reports",
        "low",
        "web",
        (),
    ),
    (
        "2026-11-12T10:00Z",
        "ola@initech.com",
        "Refund for a duplicate charge",
        "normal",
        "email",
        (
            ("2026-11-12T11:00Z", "reply", "Refunded; it shows in 3 days."),
            ("2026-11-12T11:00Z", "status", "solved"),
        ),
    ),
    (
        "2026-11-13T10:00Z",
        "kim@acme.io",
        "Add our new domain to the allow list",
        "low",
        "email",
        (
            ("2026-11-13T12:00Z", "reply", "Done."),
            ("2026-11-13T12:00Z", "status", "solved"),
        ),
    ),
)


def small_policy() -> Policy:
    return parse_policy_text(SMALL_POLICY, "small.toml")


def build_small_desk(db: str) -> HelpDesk:
    """The store at `db` filled as described above, its escalations recorded up to
    SMALL_NOW; the desk returned stands at SMALL_NOW as operator ana."""
    clock = FrozenClock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    desk = HelpDesk(open_store(db, create=True), small_policy(), now=clock)
    desk.add_operator("ana", "lead")
    desk.add_operator("ben")
    desk.add_customer("Acme Corporation International", domains=["acme.io"])
    desk.add_customer("Globex", domains=["globex.com"])
    desk.add_customer("Initech", domains=["initech.com"])
    desk.add_contract("Acme Corporation International", "premium", "2026-01-01")
    desk.add_contract("Globex", "basic", "2026-01-01", end="2026-12-31")
    desk.add_contract("Initech", "basic", "2025-01-01", end="2025-12-31")
    for opened, sender, subject, priority, channel, steps in TICKETS:
        clock.set(opened)
        ticket = desk.create_ticket(sender, subject, "Hello, see subject.", priority, None, channel)
        ticket_id = ticket.ticket.id
        for at, action, value in steps:
            clock.set(at)
            if action == "reply":
                desk.reply(ticket_id, value, author="ana")
            elif action == "status":
                desk.set_fields(ticket_id, status=value)
            elif action == "assign":
                desk.set_fields(ticket_id, assignee=value)
    clock.at = SMALL_NOW
    desk.note(1, "Customer called twice; their shop is down.", author="ben")
    run_escalation_pass(desk, SMALL_NOW, notify=False)
    acknowledge(desk, 1, "ana")
    desk.default_operator = "ana"
    return desk
