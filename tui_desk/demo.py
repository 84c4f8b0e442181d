"""Realistic generated data for `tui-desk demo`: customers on every plan, a few weeks of
tickets with replies, notes, pauses and solves, so every screen has something to show.

This module decides who writes when, about what and by which channel (a ticket's life is
played by demo_story.py), with the same core functions the use cases use (rules, contract
selection, quota overage). Everything is written through the services: accounts with
`HelpDesk`'s own use cases, tickets with `services.seeding`, which derives what the use
cases derive and writes in bulk, so 100k tickets stay fast. One seeded generator decides
the tickets in order, batch after batch: the data depend only on the count, seed and now.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tui_desk.core.policy import Policy
from tui_desk.core.quota import ContractTerms, decide_overage, quota_period, select_contract
from tui_desk.core.rules import NewTicketFacts, RuleOutcome, apply_rules
from tui_desk.demo_story import DataTexts, DeskStory, Steps, TicketLife, whole_seconds_later
from tui_desk.services.desk import HelpDesk
from tui_desk.services.seeding import (
    Escalated,
    GeneratedTicket,
    require_empty,
    seed_contacts,
    seed_tickets,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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
# How tickets come in (the `channel` of SPEC §7's `ticket new`), by weight: mostly email,
# then the web form, chat and the phone, as on most desks.
CHANNELS = ("email", "web", "chat", "phone")
CHANNEL_WEIGHTS = (55, 20, 15, 10)
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


def _created_instants(
    rng: random.Random, count: int, now: datetime, days: int, tz: ZoneInfo
) -> list[datetime]:
    """Creation instants over the last `days`, denser in office hours and on weekdays."""
    out: list[datetime] = []
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    while len(out) < count:
        t = whole_seconds_later(start, seconds=rng.random() * span)
        local = t.astimezone(tz)
        weight = (1.0 if 8 <= local.hour < 18 else 0.25) * (1.0 if local.weekday() < 5 else 0.3)
        if rng.random() < weight:
            out.append(t)
    # A few very fresh ones so live countdowns are running.
    for index in range(min(12, count)):
        out[index] = (now - timedelta(minutes=3 + 9 * index)).replace(microsecond=0)
    out.sort()
    return out


BATCH = 2500  # tickets per batch: bounded memory


def generate_demo(
    engine: Engine,
    policy: Policy,
    *,
    tickets: int = 400,
    seed: int = 7,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill an empty store; return counts. Refuses a store that already has tickets.

    The data depend only on `tickets`, `seed` and `now`."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(policy.desk.timezone)
    setup_at = now - timedelta(days=600)
    require_empty(HelpDesk(engine, policy, now=lambda: now))
    accounts = _add_accounts(
        HelpDesk(engine, policy, now=lambda: setup_at), rng, now.astimezone(tz).date()
    )
    plan_days = 21 if tickets <= 2000 else min(365, max(21, tickets // 250))
    # Channels come from their own stream: the rest of the story is the seed's either way.
    channels = random.Random(f"demo channels {seed}")
    batches = _generate_tickets(rng, channels, policy, tickets, now, plan_days, tz, accounts)
    desk = HelpDesk(engine, policy, now=lambda: now)
    seeded = seed_tickets(desk, batches, now)
    acknowledged = _acknowledge(desk, seed, now, seeded.escalated)
    return {
        "tickets": seeded.tickets,
        "events": seeded.events + acknowledged,
        "customers": len(accounts.customers),
        "escalated": len(seeded.escalated),
    }


class _Accounts:
    """The customers (id, name), their contracts and every sender (id, customer id, email)."""

    def __init__(self) -> None:
        self.customers: list[tuple[int, str]] = []
        self.contracts: dict[int, list[ContractTerms]] = {}
        self.contacts: list[tuple[int, int | None, str]] = []


def _add_accounts(desk: HelpDesk, rng: random.Random, today: date) -> _Accounts:
    """Operators, customers with their domains and contracts, and their contacts, through
    the desk's own use cases (`desk.now` is when they were set up)."""
    for name, role in OPERATORS:
        desk.add_operator(name, role)
    out = _Accounts()
    emails: list[str] = []
    for name, domain, deals in CUSTOMERS:
        customer = desk.add_customer(name, domains=[domain])
        assert customer.id is not None
        out.customers.append((customer.id, name))
        for plan, product, start, end in deals:
            if plan not in desk.policy.plans:
                continue
            contract = desk.add_contract(
                name,
                plan,
                (today + timedelta(days=start)).isoformat(),
                None if end is None else (today + timedelta(days=end)).isoformat(),
                product,
            )
            assert contract.id is not None
            out.contracts.setdefault(customer.id, []).append(
                ContractTerms(contract.id, customer.id, plan, product, contract.start, contract.end)
            )
        emails += [f"{first}@{domain}" for first in rng.sample(FIRST_NAMES, 4)]
    for domain in FREEMAIL:
        emails += [
            f"{first}.{domain.split('.')[0]}@{domain}" for first in rng.sample(FIRST_NAMES, 3)
        ]
    out.contacts = seed_contacts(desk, emails)
    return out


def _acknowledge(desk: HelpDesk, seed: int, now: datetime, escalated: list[Escalated]) -> int:
    """Let the leads acknowledge some of the escalations the pass recorded: about half,
    picked by the seed, at an instant between the escalation and now. Returns how many."""
    from tui_desk.services.escalation import acknowledge_many

    rng = random.Random(f"escalation acknowledgements {seed}")
    leads = ("ana", "dmitri", "eve")  # the lead, the manager, the CTO of OPERATORS
    acks = []
    for ticket in sorted(escalated, key=lambda e: e.ticket_id):
        reached_at = ticket.reached_at or now
        if ticket.last_reached != ticket.level or rng.random() >= 0.5:
            continue  # acknowledged only where the level now is the one reached last
        at = reached_at + (now - reached_at) * rng.uniform(0.2, 0.9)
        acks.append(
            (ticket.ticket_id, leads[min(ticket.level, len(leads)) - 1], at.replace(microsecond=0))
        )
    acknowledge_many(desk, acks)
    return len(acks)


def _quota_story_weighting(
    policy: Policy, now: datetime, accounts: _Accounts, used: Counter[tuple[int, datetime]]
) -> Callable[[random.Random, datetime, date], tuple[int, int | None, str]]:
    """Who writes the next ticket: a customer (or a freemail sender) by weight, then one of
    its contacts. A customer in QUOTA_SHARES keeps pace to reach its share of its general
    contract's quota by the end of each period — by `now` for the current one — and is
    skipped while ahead of that pace (`used` is the generator's running count). So the
    panel tells the same story on most days of a period (not on its first day or two: too
    few tickets fall in it by then), and its customers' latest tickets are recent ones.

    Freemail and uncapped customers weigh a steady 4 and 3; a capped customer its whole
    share while behind its pace (so that it keeps up even in a small demo), else nothing.
    """
    by_customer: dict[int | None, list[tuple[int, int | None, str]]] = {}
    customers, contracts = accounts.customers, accounts.contracts
    for contact in accounts.contacts:
        by_customer.setdefault(contact[1], []).append(contact)
    senders = list(by_customer)
    shares = {cid: QUOTA_SHARES[name] for cid, name in customers if name in QUOTA_SHARES}
    steady = [4.0 if sender is None else 3.0 for sender in senders]
    # day -> per capped sender with a quota that day: (index in senders, usage key, period
    # start, seconds from it to the pace's end, cap, weight while behind). Decided at the
    # day's first ticket.
    paces: dict[date, list[tuple[int, tuple[int, datetime], datetime, float, int, float]]] = {}

    def paces_on(
        day: date, at: datetime
    ) -> list[tuple[int, tuple[int, datetime], datetime, float, int, float]]:
        out = []
        for index, sender in enumerate(senders):
            if sender not in shares:
                continue
            general = select_contract(contracts.get(sender, []), None, day)
            plan = policy.plans.get(general.plan) if general else None
            if general is None or plan is None or plan.quota_tickets is None:
                continue
            period = quota_period(plan, general, at, policy.desk.timezone, policy.desk.week_starts)
            pace_end = now if period.end is None else min(period.end, now)
            cap = math.ceil(shares[sender] * plan.quota_tickets)
            span = max((pace_end - period.start).total_seconds(), 1.0)
            key = (general.id, period.start)
            out.append((index, key, period.start, span, cap, float(max(cap, 1))))
        return out

    def pick(rng: random.Random, at: datetime, day: date) -> tuple[int, int | None, str]:
        pace = paces.get(day)
        if pace is None:
            pace = paces[day] = paces_on(day, at)
        weights = steady.copy()
        for index, key, start, span, cap, behind in pace:
            progress = (at - start).total_seconds() / span
            progress = 1.0 if progress > 1.0 else 0.0 if progress < 0.0 else progress
            weights[index] = 0.0 if used.get(key, 0) >= math.ceil(cap * progress) else behind
        sender = rng.choices(senders, weights)[0]
        return rng.choice(by_customer[sender])

    return pick


def _generate_tickets(
    rng: random.Random,
    channels: random.Random,
    policy: Policy,
    count: int,
    now: datetime,
    days: int,
    tz: ZoneInfo,
    accounts: _Accounts,
) -> Iterator[tuple[list[GeneratedTicket], int]]:
    """The tickets in order of creation, BATCH at a time, each batch with the id of its
    first event (events are numbered in ticket order)."""
    opening = _Openings(policy, now, tz, accounts)
    steps = Steps()
    story = DeskStory(policy, count)
    batch: list[GeneratedTicket] = []
    first_event_id = next_event_id = 1
    for index, created in enumerate(_created_instants(rng, count, now, days, tz), start=1):
        ticket, email = opening.ticket(rng, channels, index, created)
        TicketLife(rng, policy, ticket, email, now, opening.texts, steps).play(story)
        batch.append(ticket)
        next_event_id += len(ticket.events)
        if len(batch) == BATCH:
            yield batch, first_event_id
            batch, first_event_id = [], next_event_id
    if batch:
        yield batch, first_event_id


class _Openings:
    """New tickets as `HelpDesk.create_ticket` opens them (the sender's customer and
    contract, the rules, the quota decision), with the decisions that repeat memoized:
    rules per subject template, sender and channel; contracts and quota periods per day."""

    def __init__(self, policy: Policy, now: datetime, tz: ZoneInfo, accounts: _Accounts) -> None:
        self.policy, self.tz = policy, tz
        self.contracts = accounts.contracts
        self.names = dict(accounts.customers)
        self.used: Counter[tuple[int, datetime]] = Counter()
        self.pick_contact = _quota_story_weighting(policy, now, accounts, self.used)
        self.rule_outcomes: dict[tuple[str, str, str], RuleOutcome] = {}
        self.selected: dict[tuple[int, str | None, date], ContractTerms | None] = {}
        self.period_starts: dict[tuple[int, date], datetime] = {}
        self.priority_weights = [1, 3, 8, 4][: len(policy.priorities.order)]
        self.texts = DataTexts()

    def ticket(
        self, rng: random.Random, channels: random.Random, index: int, created: datetime
    ) -> tuple[GeneratedTicket, str]:
        """Ticket `index`, created at `created` with its opening events; and its sender."""
        policy = self.policy
        day = created.astimezone(self.tz).date()
        contact_id, customer_id, email = self.pick_contact(rng, created, day)
        template, base_tags = rng.choice(SUBJECTS)
        subject = template.format(n=rng.randint(10000, 99999))
        channel = channels.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        outcome = self._rules(template, subject, email, customer_id, channel)
        priority = (
            outcome.priority or rng.choices(policy.priorities.order, self.priority_weights)[0]
        )
        contract = self._contract(customer_id, outcome.product, day)
        plan = policy.plans.get(contract.plan) if contract else None
        sla = outcome.sla or (plan.sla if plan else None) or policy.desk.default_sla
        over = billable = False
        if contract and plan:
            period_start = self._period_start(contract, day, created)
            decision = decide_overage(plan, self.used[(contract.id, period_start)])
            self.used[(contract.id, period_start)] += 1
            over, billable = decision.over_quota, decision.billable
            if not decision.keeps_sla and not outcome.sla:
                sla = None
        initial = policy.statuses.initial
        ticket = GeneratedTicket(
            index,
            subject,
            channel,
            contact_id,
            customer_id,
            created,
            priority,
            outcome.product,
            contract.id if contract else None,
            contract.plan if contract else None,
            sla,
            over,
            billable,
            list(dict.fromkeys(base_tags + outcome.tags)),
            initial,
            outcome.assignee,
        )
        texts = self.texts
        data = texts(
            opening=True,
            priority=priority,
            sla=sla,
            status=initial,
            rules=tuple(outcome.matched),
            subject=subject,
        )
        body = f"Hello,\n\n{subject}. Can you help?"
        ticket.events.append((created, "customer_message", email, body, data))
        if contract and plan:
            data = texts(
                contract_id=contract.id, plan=plan.name, over_quota=over, billable=billable, sla=sla
            )
            ticket.events.append((created, "quota", "system", None, data))
        return ticket, email

    def _rules(
        self, template: str, subject: str, email: str, customer_id: int | None, channel: str
    ) -> RuleOutcome:
        # Rules see only the template's words, the sender and the channel here: decide
        # once per combination.
        key = (template, email, channel)
        outcome = self.rule_outcomes.get(key)
        if outcome is None:
            customer = self.names.get(customer_id) if customer_id else None
            facts = NewTicketFacts(subject, "", email, customer, channel)
            outcome = self.rule_outcomes[key] = apply_rules(self.policy.rules, facts)
        return outcome

    def _contract(
        self, customer_id: int | None, product: str | None, day: date
    ) -> ContractTerms | None:
        if not customer_id:
            return None
        key = (customer_id, product, day)
        if key not in self.selected:
            self.selected[key] = select_contract(self.contracts.get(customer_id, []), product, day)
        return self.selected[key]

    def _period_start(self, contract: ContractTerms, day: date, created: datetime) -> datetime:
        # A period's bounds are midnights in the desk's zone: one per contract and day.
        key = (contract.id, day)
        start = self.period_starts.get(key)
        if start is None:
            plan, desk = self.policy.plans[contract.plan], self.policy.desk
            start = self.period_starts[key] = quota_period(
                plan, contract, created, desk.timezone, desk.week_starts
            ).start
        return start
