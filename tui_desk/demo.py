"""Realistic generated data for `tui-desk demo`: customers on every plan, a few weeks of
tickets with replies, notes, pauses and solves, so every screen has something to show.

Tickets are decided with the same core functions the services use (rules, contract
selection, quota overage, SLA clocks) and written in bulk, so 100k tickets stay fast.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.policy import Policy
from tui_desk.core.quota import ContractTerms, decide_overage, quota_period, select_contract
from tui_desk.core.rules import NewTicketFacts, RuleOutcome, apply_rules
from tui_desk.core.sla import compute_sla
from tui_desk.services import BadInput, sla_cache_values
from tui_desk.store.bulk import insert_rows
from tui_desk.store.models import (
    Contact,
    Contract,
    Customer,
    CustomerDomain,
    Event,
    Operator,
    Ticket,
    TicketTag,
)

OPERATORS = [
    ("ana", "lead"),
    ("ben", "agent"),
    ("chloe", "agent"),
    ("dmitri", "manager"),
    ("eve", "cto"),
]

# name, domain, contracts: (plan, product, start offset days, end offset days or None)
CUSTOMERS: list[tuple[str, str, list[tuple[str, str | None, int, int | None]]]] = [
    ("Globex", "globex.example", [("premium", None, -400, None)]),
    ("Initech", "initech.example", [("basic", None, -200, 165)]),
    ("Umbrella Health", "umbrella.example", [("standard", None, -90, 275)]),
    (
        "Hooli",
        "hooli.example",
        [("premium", "securevault", -120, 245), ("basic", None, -300, None)],
    ),
    ("Stark Industries", "stark.example", [("standard", None, -365, 10)]),
    ("Wayne Enterprises", "wayne.example", [("basic", None, -500, -20)]),
    (
        "Acme Corp",
        "example.com",
        [("premium", "securevault", -60, None), ("standard", None, -60, None)],
    ),
    ("Soylent", "soylent.example", []),
    # Unlimited when the policy has SPEC §2's `[plans.backup]` (quota = "unlimited").
    ("Cyberdyne Systems", "cyberdyne.example", [("backup", None, -150, None)]),
]
# The quota story of the Plans & quotas panel (SPEC §4.4): the share of its general
# (product-less) contract's quota each customer uses per period before its contacts go
# quiet until the next one. Globex nears its limit (≥ 80 %), Initech runs over it, Stark's
# contract is about to expire, Wayne's has expired, Hooli and Acme Corp hold a SecureVault
# contract beside their general one. Customers not listed here write without a cap.
QUOTA_SHARES: dict[str, float] = {
    "Globex": 0.85,
    "Initech": 1.6,
    "Umbrella Health": 0.5,
    "Hooli": 0.6,
    "Stark Industries": 0.4,
    "Wayne Enterprises": 0.6,
    "Acme Corp": 0.3,
}
FREEMAIL = ["gmail.example", "proton.example", "fastmail.example"]
FIRST_NAMES = [
    "ana",
    "bo",
    "chen",
    "dana",
    "emil",
    "fatima",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "mo",
    "nia",
    "oskar",
    "pia",
    "raj",
    "sara",
    "tomas",
    "yuki",
]

SUBJECTS = [
    ("Cannot log in after password reset", ["login"]),
    ("Invoice {n} shows the wrong VAT rate", ["billing"]),
    ("Refund for duplicate charge", ["billing"]),
    ("API returns 500 on /v2/orders", ["api"]),
    ("Webhook deliveries delayed by hours", ["api"]),
    ("Export to CSV is missing columns", ["export"]),
    ("How do I add a second admin?", ["howto"]),
    ("SSO with Okta fails with SAML error", ["sso"]),
    ("Dashboard is slow since this morning", ["performance"]),
    ("Feature request: dark mode for reports", ["feature"]),
    ("Production outage - nothing loads", []),
    ("Site down for EU customers", []),
    ("SecureVault key rotation failed", []),
    ("SecureVault audit log question", []),
    ("Upgrade our plan before renewal", ["sales"]),
    ("Data retention and GDPR request", ["gdpr"]),
    ("2FA codes not arriving by SMS", ["login"]),
    ("Mobile app crashes on Android 15", ["mobile"]),
    ("[URGENT] [b]bold[/b] payment page broken", ["billing"]),
    ("障害: 管理画面にアクセスできません", []),
]
REPLIES = [
    "Thanks for reaching out. I'm looking into this now.",
    "Could you send us the request id from the error page?",
    "We've reproduced the problem and our engineers are on it.",
    "A fix has been deployed; can you confirm it works for you?",
    "I've applied the change to your account.",
]
NOTES = [
    "Checked the logs: 502s from the EU load balancer.",
    "Customer is on an old client version.",
    "Escalated to engineering in the internal tracker.",
    "Billing confirmed the duplicate charge.",
]
FOLLOW_UPS = [
    "Any update on this?",
    "Here is the request id: 7f3a-22c1.",
    "Still happening for us.",
    "That worked, thank you!",
]


@dataclass
class _Ticket:
    id: int
    subject: str
    contact_id: int
    customer_id: int | None
    created: datetime
    priority: str
    product: str | None
    contract: ContractTerms | None
    sla: str | None
    over_quota: bool
    billable: bool
    tags: list[str]
    status: str
    assignee: str | None
    events: list[dict[str, Any]] = field(default_factory=list)


def _created_instants(
    rng: random.Random, count: int, now: datetime, days: int, tz: ZoneInfo
) -> list[datetime]:
    """Creation instants over the last `days`, denser in office hours and on weekdays."""
    out = []
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    while len(out) < count:
        t = start + timedelta(seconds=rng.random() * span)
        local = t.astimezone(tz)
        weight = (1.0 if 8 <= local.hour < 18 else 0.25) * (1.0 if local.weekday() < 5 else 0.3)
        if rng.random() < weight:
            out.append(t.replace(microsecond=0))
    # A few very fresh ones so live countdowns are running.
    for index in range(min(12, count)):
        out[index] = (now - timedelta(minutes=3 + 9 * index)).replace(microsecond=0)
    out.sort()
    return out


def generate_demo(
    engine: Engine,
    policy: Policy,
    *,
    tickets: int = 400,
    seed: int = 7,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill an empty store; return counts. Refuses a store that already has tickets."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(policy.desk.timezone)
    today = now.astimezone(tz).date()
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(Ticket.__table__)).scalar():
            raise BadInput("the store already has tickets; the demo fills an empty store only")
        setup_at = now - timedelta(days=600)
        conn.execute(
            sa.insert(Operator.__table__),
            [{"name": n, "role": r, "created_at": setup_at} for n, r in OPERATORS],
        )
        customers, contracts, contacts = _insert_accounts(conn, policy, rng, today, setup_at)
        plan_days = 21 if tickets <= 2000 else min(365, max(21, tickets // 250))
        generated = _generate_tickets(
            rng, policy, tickets, now, plan_days, tz, customers, contracts, contacts
        )
        events = _write_tickets(conn, policy, generated, now)
    escalated, escalation_events = _escalate(engine, policy, seed, now)
    return {
        "tickets": len(generated),
        "events": events + escalation_events,
        "customers": len(customers),
        "escalated": escalated,
    }


def _escalate(engine: Engine, policy: Policy, seed: int, now: datetime) -> tuple[int, int]:
    """Record the escalations the generated history reached, each at its true instant (the
    same pass the app runs, without notifying), and let the leads acknowledge some of them:
    about half, picked by the seed, at an instant between the escalation and now.
    Returns (escalated tickets, events written)."""
    from tui_desk.services import HelpDesk, run_escalation_pass
    from tui_desk.services.escalation import acknowledge_many

    desk = HelpDesk(engine, policy, now=lambda: now)
    report = run_escalation_pass(desk, now, notify=False)
    since: dict[int, tuple[int, datetime]] = {}  # ticket -> (level, reached at), in order
    for reached in report.reached:
        since[reached.ticket_id] = (reached.level, reached.at)
    with engine.connect() as conn:
        levels = dict(
            conn.execute(
                sa.select(Ticket.__table__.c.id, Ticket.__table__.c.escalation_level).where(
                    Ticket.__table__.c.escalation_level > 0
                )
            ).all()
        )
    rng = random.Random(f"escalation acknowledgements {seed}")
    leads = ("ana", "dmitri", "eve")  # the lead, the manager, the CTO of OPERATORS
    acks = []
    for ticket_id in sorted(levels):
        level, reached_at = since.get(ticket_id, (0, now))
        if level != levels[ticket_id] or rng.random() >= 0.5:
            continue
        at = reached_at + (now - reached_at) * rng.uniform(0.2, 0.9)
        acks.append((ticket_id, leads[min(level, len(leads)) - 1], at.replace(microsecond=0)))
    acknowledge_many(desk, acks)
    return len(levels), report.events + len(acks)


def _insert_accounts(
    conn: Any, policy: Policy, rng: random.Random, today: date, setup_at: datetime
):
    customers: list[tuple[int, str]] = []
    contracts: dict[int, list[ContractTerms]] = {}
    contacts: list[tuple[int, int | None, str]] = []  # id, customer_id, email
    contact_rows = []
    contact_id = 0
    for cust_id, (name, domain, deals) in enumerate(CUSTOMERS, start=1):
        conn.execute(
            sa.insert(Customer.__table__), {"id": cust_id, "name": name, "created_at": setup_at}
        )
        conn.execute(
            sa.insert(CustomerDomain.__table__), {"customer_id": cust_id, "domain": domain}
        )
        customers.append((cust_id, name))
        for plan, product, start, end in deals:
            if plan not in policy.plans:
                continue
            row = {
                "customer_id": cust_id,
                "plan": plan,
                "product": product,
                "start": today + timedelta(days=start),
                "end": None if end is None else today + timedelta(days=end),
                "created_at": setup_at,
            }
            new_id = conn.execute(sa.insert(Contract.__table__), row).inserted_primary_key[0]
            contracts.setdefault(cust_id, []).append(
                ContractTerms(new_id, cust_id, plan, product, row["start"], row["end"])
            )
        for first in rng.sample(FIRST_NAMES, 4):
            contact_id += 1
            email = f"{first}@{domain}"
            contacts.append((contact_id, cust_id, email))
            contact_rows.append(
                {"id": contact_id, "email": email, "customer_id": cust_id, "created_at": setup_at}
            )
    for domain in FREEMAIL:
        for first in rng.sample(FIRST_NAMES, 3):
            contact_id += 1
            email = f"{first}.{domain.split('.')[0]}@{domain}"
            contacts.append((contact_id, None, email))
            contact_rows.append(
                {"id": contact_id, "email": email, "customer_id": None, "created_at": setup_at}
            )
    conn.execute(sa.insert(Contact.__table__), contact_rows)
    return customers, contracts, contacts


def _quota_story_weighting(
    policy: Policy,
    now: datetime,
    tz: ZoneInfo,
    customers: list[tuple[int, str]],
    contracts: dict[int, list[ContractTerms]],
    contacts: list[tuple[int, int | None, str]],
    used: Counter[tuple[int, datetime]],
) -> Callable[[random.Random, datetime], tuple[int, int | None, str]]:
    """Who writes the next ticket: a customer (or a freemail sender) by weight, then one of
    its contacts. A customer in QUOTA_SHARES keeps pace to reach its share of its general
    contract's quota by the end of each period — by `now` for the current one — and is
    skipped while ahead of that pace (`used` is the generator's running count). So the
    panel tells the same story on most days of a period (not on its first day or two: too
    few tickets fall in it by then), and its customers' latest tickets are recent ones."""
    by_customer: dict[int | None, list[tuple[int, int | None, str]]] = {}
    for contact in contacts:
        by_customer.setdefault(contact[1], []).append(contact)
    senders = list(by_customer)
    shares = {cid: QUOTA_SHARES[name] for cid, name in customers if name in QUOTA_SHARES}
    # (customer, day) -> the general contract's id, period start, pace end and cap.
    caps: dict[tuple[int, date], tuple[int, datetime, datetime, int] | None] = {}

    def cap_on(
        customer_id: int, day: date, at: datetime
    ) -> tuple[int, datetime, datetime, int] | None:
        general = select_contract(contracts.get(customer_id, []), None, day)
        plan = policy.plans.get(general.plan) if general else None
        if general is None or plan is None or plan.quota_tickets is None:
            return None
        period = quota_period(plan, general, at, policy.desk.timezone, policy.desk.week_starts)
        pace_end = now if period.end is None else min(period.end, now)
        cap = math.ceil(shares[customer_id] * plan.quota_tickets)
        return general.id, period.start, pace_end, cap

    def weight(sender: int | None, day: date, at: datetime) -> float:
        """Freemail and uncapped customers a steady 3-4; a capped customer its whole share
        while behind its pace (so that it keeps up even in a small demo), else nothing."""
        if sender is None:
            return 4.0
        if sender not in shares:
            return 3.0
        if (sender, day) not in caps:
            caps[(sender, day)] = cap_on(sender, day, at)
        cap = caps[(sender, day)]
        if cap is None:
            return 3.0
        contract_id, period_start, pace_end, limit = cap
        span = max((pace_end - period_start).total_seconds(), 1.0)
        progress = min(1.0, max(0.0, (at - period_start).total_seconds() / span))
        allowed = math.ceil(limit * progress)
        return 0.0 if used[(contract_id, period_start)] >= allowed else float(max(limit, 1))

    def pick(rng: random.Random, at: datetime) -> tuple[int, int | None, str]:
        day = at.astimezone(tz).date()
        sender = rng.choices(senders, [weight(s, day, at) for s in senders])[0]
        return rng.choice(by_customer[sender])

    return pick


def _generate_tickets(
    rng, policy: Policy, count, now, days, tz, customers, contracts, contacts
) -> list[_Ticket]:
    names = dict(customers)
    used: Counter[tuple[int, datetime]] = Counter()
    statuses = policy.statuses
    out: list[_Ticket] = []
    pick_contact = _quota_story_weighting(policy, now, tz, customers, contracts, contacts, used)
    rule_outcomes: dict[tuple[str, str], RuleOutcome] = {}
    for index, created in enumerate(_created_instants(rng, count, now, days, tz), start=1):
        contact_id, customer_id, email = pick_contact(rng, created)
        template, base_tags = rng.choice(SUBJECTS)
        subject = template.format(n=rng.randint(10000, 99999))
        # Rules see only the template's words and the sender here: decide once per pair.
        rule_key = (template, email)
        if rule_key not in rule_outcomes:
            facts = NewTicketFacts(
                subject, "", email, names.get(customer_id) if customer_id else None, "email"
            )
            rule_outcomes[rule_key] = apply_rules(policy.rules, facts)
        outcome = rule_outcomes[rule_key]
        priority = (
            outcome.priority
            or rng.choices(policy.priorities.order, [1, 3, 8, 4][: len(policy.priorities.order)])[0]
        )
        product = outcome.product
        contract = None
        if customer_id:
            contract = select_contract(
                contracts.get(customer_id, []), product, created.astimezone(tz).date()
            )
        plan = policy.plans.get(contract.plan) if contract else None
        sla = outcome.sla or (plan.sla if plan else None) or policy.desk.default_sla
        over = billable = False
        if contract and plan:
            period = quota_period(
                plan, contract, created, policy.desk.timezone, policy.desk.week_starts
            )
            decision = decide_overage(plan, used[(contract.id, period.start)])
            used[(contract.id, period.start)] += 1
            over, billable = decision.over_quota, decision.billable
            if not decision.keeps_sla and not outcome.sla:
                sla = None
        ticket = _Ticket(
            index,
            subject,
            contact_id,
            customer_id,
            created,
            priority,
            product,
            contract,
            sla,
            over,
            billable,
            list(dict.fromkeys(base_tags + outcome.tags)),
            statuses.initial,
            outcome.assignee,
        )
        ticket.events.append(
            _event(
                created,
                "customer_message",
                email,
                f"Hello,\n\n{subject}. Can you help?",
                {
                    "opening": True,
                    "priority": priority,
                    "sla": sla,
                    "status": statuses.initial,
                    "rules": outcome.matched,
                    "subject": subject,
                },
            )
        )
        if contract and plan:
            ticket.events.append(
                _event(
                    created,
                    "quota",
                    "system",
                    None,
                    {
                        "contract_id": contract.id,
                        "plan": plan.name,
                        "over_quota": over,
                        "billable": billable,
                        "sla": sla,
                    },
                )
            )
        _play_conversation(rng, policy, ticket, email, now)
        out.append(ticket)
    return out


def _event(
    at: datetime,
    kind: str,
    author: str | None,
    body: str | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {"at": at, "kind": kind, "author": author, "body": body, "data": data or {}}


def _play_conversation(
    rng: random.Random, policy: Policy, t: _Ticket, email: str, now: datetime
) -> None:
    """A plausible life for the ticket up to now: assignment, replies, notes, pauses, solve."""
    statuses = policy.statuses
    age = (now - t.created).total_seconds()
    clock = t.created
    operator = t.assignee or rng.choice(["ana", "ben", "chloe", None])

    def later(max_minutes: float) -> datetime | None:
        nonlocal clock
        step = timedelta(minutes=rng.uniform(2, max_minutes))
        if clock + step >= now:
            return None
        clock = (clock + step).replace(microsecond=0)
        return clock

    def set_status(at: datetime, status: str) -> None:
        if status != t.status:
            t.events.append(
                _event(at, "status", operator or "ana", None, {"from": t.status, "to": status})
            )
            t.status = status

    if operator and (at := later(30)):
        t.events.append(_event(at, "assignee", "ana", None, {"from": None, "to": operator}))
        t.assignee = operator
    if age < 3600 and rng.random() < 0.7:
        return  # fresh and untouched: a running first-response clock
    if rng.random() < 0.15 and (at := later(90)):
        t.events.append(_event(at, "note", operator or "ana", rng.choice(NOTES)))
    if rng.random() < 0.08 and (at := later(60)):
        new = policy.priorities.order[0]
        if new != t.priority:
            t.events.append(
                _event(at, "priority", operator or "ana", None, {"from": t.priority, "to": new})
            )
            t.priority = new
    days_old = age / 86400
    if rng.random() < (0.12 if days_old < 2 else 0.02):
        return  # nobody answered yet
    rounds = rng.choice([1, 1, 1, 2, 2, 3])
    for _ in range(rounds):
        at = later(rng.choice([20, 60, 240, 900]))
        if at is None:
            return
        t.events.append(_event(at, "reply", operator or "ben", rng.choice(REPLIES)))
        roll = rng.random()
        if roll < 0.3:
            set_status(at, rng.choice(statuses.paused))
        elif t.status == statuses.initial:
            set_status(at, statuses.reopen_to)  # the first answer takes a new ticket in hand
        if rng.random() < 0.55:
            follow = later(rng.choice([60, 600, 2000]))
            if follow is None:
                return
            t.events.append(_event(follow, "customer_message", email, rng.choice(FOLLOW_UPS)))
            if statuses.category(t.status) in ("paused", "solved"):
                set_status(follow, statuses.reopen_to)
    # Old tickets are mostly done; the open backlog is mostly recent, as on a healthy desk.
    solve_odds = 0.35 if days_old < 1 else 0.7 if days_old < 4 else 0.93
    if rng.random() < solve_odds and (at := later(600)):
        set_status(at, statuses.solved[0])
        if rng.random() < 0.35 and (csat_at := later(600)):
            score = rng.choice([5, 5, 4, 4, 3, 2, 1])
            t.events.append(_event(csat_at, "csat", email, None, {"score": score, "comment": None}))
    elif rng.random() < 0.03 and (at := later(120)):
        set_status(at, statuses.void[0])


WRITE_BATCH = 5000  # tickets per insert batch: bounded memory for 100k-ticket demos


def _write_tickets(conn: Any, policy: Policy, tickets: list[_Ticket], now: datetime) -> int:
    written = 0
    for start in range(0, len(tickets), WRITE_BATCH):
        written += _write_batch(conn, policy, tickets[start : start + WRITE_BATCH], now, written)
    return written


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True) if data else "{}"


EVENT_COLUMNS = ("id", "ticket_id", "at", "kind", "author", "body", "data", "recorded_at")
NO_CACHE = dict.fromkeys(
    ("due_first_response", "due_next_response", "due_resolution", "next_deadline", "next_warning")
)


def _write_batch(
    conn: Any, policy: Policy, tickets: list[_Ticket], now: datetime, first_event_id: int
) -> int:
    statuses = policy.statuses
    ticket_rows, tag_rows, event_rows = [], [], []
    recorded = datetime.now(UTC)
    event_id = first_event_id
    for t in tickets:
        t.events.sort(key=lambda e: e["at"])
        first_id = event_id + 1
        for e in t.events:
            event_id += 1
            event_rows.append(
                (
                    event_id,
                    t.id,
                    e["at"],
                    e["kind"],
                    e["author"],
                    e["body"],
                    _dump(e["data"]),
                    recorded,
                )
            )
        category = statuses.category(t.status)
        cache = NO_CACHE
        if category in ("active", "paused"):
            history_events = tuple(
                TicketEvent(e["at"], e["kind"], e["author"], e["body"], e["data"], first_id + i)
                for i, e in enumerate(t.events)
            )
            opening = t.events[0]["data"]
            history = TicketHistory(
                t.created, opening["priority"], t.sla, opening["status"], history_events
            )
            cache = sla_cache_values(compute_sla(policy, history, now))
        ticket_rows.append(
            {
                "id": t.id,
                "subject": t.subject,
                "status": t.status,
                "status_category": category,
                "priority": t.priority,
                "priority_rank": policy.priorities.rank(t.priority),
                "channel": "email",
                "contact_id": t.contact_id,
                "customer_id": t.customer_id,
                "assignee": t.assignee,
                "product": t.product,
                "contract_id": t.contract.id if t.contract else None,
                "plan": t.contract.plan if t.contract else None,
                "sla_policy": t.sla,
                "over_quota": t.over_quota,
                "billable": t.billable,
                "external_id": None,
                "created_at": t.created,
                "updated_at": t.events[-1]["at"],
                "version": len(t.events),
                "escalation_level": 0,
                "escalation_name": None,
                **cache,
            }
        )
        tag_rows.extend((t.id, tag) for tag in t.tags)
    insert_rows(conn, Ticket.__table__, ticket_rows)
    insert_rows(conn, TicketTag.__table__, tag_rows, ("ticket_id", "tag"))
    insert_rows(conn, Event.__table__, event_rows, EVENT_COLUMNS)
    for t in tickets:
        t.events.clear()  # written: let the memory go
    return len(event_rows)
