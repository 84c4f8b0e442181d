"""Realistic generated data for `tui-desk demo`: customers on every plan, a few weeks of
tickets with replies, notes, pauses and solves, so every screen has something to show.

Tickets are decided with the same core functions the services use (rules, contract
selection, quota overage, SLA clocks, the escalation pass) and written in bulk, so 100k
tickets stay fast: one seeded generator decides them in order, batch after batch, while
worker processes turn the batches into store rows (demo_rows.py) and this process inserts
them. The rows are a pure function of the batch, so the store is the same with or
without workers.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import random
import signal
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tui_desk.core.calendar import WorkingCalendar
from tui_desk.core.policy import Policy, policy_digest
from tui_desk.core.quota import ContractTerms, decide_overage, quota_period, select_contract
from tui_desk.core.rules import NewTicketFacts, RuleOutcome, apply_rules
from tui_desk.demo_rows import (
    CHECK_COLUMNS,
    ESCALATION_EVENT_COLUMNS,
    EVENT_COLUMNS,
    MARK_COLUMNS,
    TICKET_COLUMNS,
    BatchRows,
    Escalated,
    GeneratedTicket,
    RowContext,
    batch_rows,
)
from tui_desk.services import BadInput
from tui_desk.services.base import POLICY_KEY
from tui_desk.services.escalation import policy_fingerprint
from tui_desk.services.recompute import cycle_collection_paused
from tui_desk.store.bulk import indexes_deferred, insert_rows
from tui_desk.store.models import (
    Contact,
    Contract,
    Customer,
    CustomerDomain,
    EscalationCheck,
    EscalationMark,
    Event,
    Meta,
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


BATCH = 2500  # tickets per batch: bounded memory, and workers start early
# Below this many tickets the rows are computed in this process: starting a worker costs
# more than it saves, and the default demo of a few hundred tickets never spawns one.
PARALLEL_FROM = 10_000
IN_FLIGHT = 3  # batches handed to workers ahead of the one being inserted


def _created_instants(
    rng: random.Random, count: int, now: datetime, days: int, tz: ZoneInfo
) -> list[datetime]:
    """Creation instants over the last `days`, denser in office hours and on weekdays."""
    out: list[datetime] = []
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    while len(out) < count:
        t = _whole_seconds_later(start, seconds=rng.random() * span)
        local = t.astimezone(tz)
        weight = (1.0 if 8 <= local.hour < 18 else 0.25) * (1.0 if local.weekday() < 5 else 0.3)
        if rng.random() < weight:
            out.append(t)
    # A few very fresh ones so live countdowns are running.
    for index in range(min(12, count)):
        out[index] = (now - timedelta(minutes=3 + 9 * index)).replace(microsecond=0)
    out.sort()
    return out


def _whole_seconds_later(
    instant: datetime,
    *,
    seconds: float = 0.0,
    minutes: float = 0.0,
    steps: dict[int, timedelta] | None = None,
) -> datetime:
    """`(instant + timedelta(seconds=…, minutes=…)).replace(microsecond=0)` for an instant
    on a whole second (one of the two given), without the costly float timedelta where
    the result cannot differ: when the step is further than 10 µs from a whole second,
    timedelta's rounding to the microsecond cannot cross it. `steps` caches whole steps."""
    approximate = seconds + minutes * 60
    whole = int(approximate)
    if 1e-5 < approximate - whole < 1 - 1e-5:
        return instant + (timedelta(0, whole) if steps is None else steps[whole])
    return (instant + timedelta(seconds=seconds, minutes=minutes)).replace(microsecond=0)


class _Steps(dict[int, timedelta]):
    """timedelta(seconds=n), made once per n: a conversation's steps are whole seconds up
    to 2000 minutes, so a few tens of thousands of them serve millions of steps."""

    def __missing__(self, whole: int) -> timedelta:
        step = self[whole] = timedelta(0, whole)
        return step


def generate_demo(
    engine: Engine,
    policy: Policy,
    *,
    tickets: int = 400,
    seed: int = 7,
    now: datetime | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Fill an empty store; return counts. Refuses a store that already has tickets.

    `workers`: processes computing rows (default: one fewer than the CPUs, at most two,
    none for small demos). The data depend only on `tickets`, `seed` and `now`."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(policy.desk.timezone)
    today = now.astimezone(tz).date()
    with cycle_collection_paused(), engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(Ticket.__table__)).scalar():
            raise BadInput("the store already has tickets; the demo fills an empty store only")
        setup_at = now - timedelta(days=600)
        conn.execute(
            sa.insert(Operator.__table__),
            [{"name": n, "role": r, "created_at": setup_at} for n, r in OPERATORS],
        )
        customers, contracts, contacts = _insert_accounts(conn, policy, rng, today, setup_at)
        plan_days = 21 if tickets <= 2000 else min(365, max(21, tickets // 250))
        # Channels come from their own stream: the rest of the story is the seed's either way.
        channels = random.Random(f"demo channels {seed}")
        batches = _generate_tickets(
            rng, channels, policy, tickets, now, plan_days, tz, customers, contracts, contacts
        )
        context = RowContext(
            policy,
            now,
            policy_fingerprint(policy),
            frozenset(name for name, _role in OPERATORS),
            conn.dialect.name,
        )
        if workers is None:
            workers = _default_workers(tickets)
        written, escalated = _write_tickets(conn, context, batches, workers)
        # The cached clocks were computed under this policy: opening the store need not
        # recompute them (services.desk.ensure_policy_applied).
        conn.execute(
            sa.insert(Meta.__table__), [{"key": POLICY_KEY, "value": policy_digest(policy)}]
        )
    acknowledged = _acknowledge(engine, policy, seed, now, escalated)
    return {
        "tickets": written["tickets"],
        "events": written["events"] + acknowledged,
        "customers": len(customers),
        "escalated": len(escalated),
    }


def _default_workers(tickets: int) -> int:
    if tickets < PARALLEL_FROM:
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    # This process generates and inserts; one worker keeps up with it, a second covers
    # slower workers. More would only compete for the CPUs.
    return max(0, min(cpus - 1, 2))


def _acknowledge(
    engine: Engine, policy: Policy, seed: int, now: datetime, escalated: list[Escalated]
) -> int:
    """Let the leads acknowledge some of the escalations the pass recorded: about half,
    picked by the seed, at an instant between the escalation and now. Returns how many."""
    from tui_desk.services import HelpDesk
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
    acknowledge_many(HelpDesk(engine, policy, now=lambda: now), acks)
    return len(acks)


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
    customers: list[tuple[int, str]],
    contracts: dict[int, list[ContractTerms]],
    contacts: list[tuple[int, int | None, str]],
    used: Counter[tuple[int, datetime]],
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
    for contact in contacts:
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


class _DataTexts:
    """Event data as stored (JSON, sorted keys), memoized: a demo repeats a few hundred
    distinct payloads (plus one per invoice number) over its hundreds of thousands of
    events. Values must be hashable (tuples for lists), and of one type per name (True and
    1 would share an entry). `changes[old, new]` is the data of a status, priority or
    assignee change."""

    def __init__(self) -> None:
        self._texts: dict[tuple[tuple[str, Any], ...], str] = {(): "{}"}
        self.changes = _ChangeTexts()

    def __call__(self, **data: Any) -> str:
        key = tuple(data.items())
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return text


class _ChangeTexts(dict[tuple[Any, Any], str]):
    def __missing__(self, key: tuple[Any, Any]) -> str:
        text = self[key] = json.dumps(
            {"from": key[0], "to": key[1]}, ensure_ascii=False, sort_keys=True
        )
        return text


class _DeskStory:
    """What makes the demo's now a healthy but busy desk in a demo of any size: the targets
    recent customer messages are placed against, and the standings still to show (a clock
    at risk, one breached, one forgotten for days: escalation levels 1, 2 and 3)."""

    def __init__(self, policy: Policy, count: int) -> None:
        self.policy = policy
        self.missing = ["forgotten", "at risk", "breached"]
        self.late_from = count - max(120, count // 10)  # the most recent tickets
        self._targets: dict[tuple[str | None, str, str], tuple[WorkingCalendar, int] | None] = {}

    def target(
        self, sla_name: str | None, priority: str, clock: str
    ) -> tuple[WorkingCalendar, int] | None:
        """(calendar, working seconds) of a clock's target, None without one."""
        key = (sla_name, priority, clock)
        if key not in self._targets:
            sla = self.policy.sla.get(sla_name or "")
            targets = sla.targets.get(priority) if sla is not None else None
            target = targets.get(clock) if targets is not None else None
            found = None
            if sla is not None and target is not None:
                calendar = WorkingCalendar.for_spec(self.policy.calendars[sla.calendar])
                found = (calendar, calendar.to_seconds(target))
            self._targets[key] = found
        return self._targets[key]

    def forgotten(self, t: GeneratedTicket, now: datetime) -> bool:
        """Whether `t` is the ticket nobody answered, over a working day past its first
        response's due (but less than a week old), while no such ticket exists yet."""
        if "forgotten" not in self.missing or t.created < now - timedelta(days=7):
            return False
        target = self.target(t.sla, t.priority, "first_response")
        if target is None:
            return False
        calendar, seconds = target
        if t.created > calendar.add_working(now, -(seconds + 1.5 * calendar.day_seconds)):
            return False
        self.missing.remove("forgotten")
        return True

    def standing(self, ticket_id: int, drawn: str) -> str:
        """`drawn`, unless this is one of the last tickets and a standing is still missing."""
        wanted = [name for name in self.missing if name != "forgotten"]
        if ticket_id > self.late_from and wanted and drawn not in wanted:
            return wanted[0]
        return drawn

    def shown(self, standing: str) -> None:
        if standing in self.missing:
            self.missing.remove(standing)


def _generate_tickets(
    rng: random.Random,
    channels: random.Random,
    policy: Policy,
    count: int,
    now: datetime,
    days: int,
    tz: ZoneInfo,
    customers: list[tuple[int, str]],
    contracts: dict[int, list[ContractTerms]],
    contacts: list[tuple[int, int | None, str]],
) -> Iterator[tuple[list[GeneratedTicket], int]]:
    """The tickets in order of creation, BATCH at a time, each batch with the id of its
    first event (events are numbered in ticket order)."""
    names = dict(customers)
    used: Counter[tuple[int, datetime]] = Counter()
    statuses = policy.statuses
    pick_contact = _quota_story_weighting(policy, now, customers, contracts, contacts, used)
    rule_outcomes: dict[tuple[str, str, str], RuleOutcome] = {}
    selected: dict[tuple[int, str | None, date], ContractTerms | None] = {}
    period_starts: dict[tuple[int, date], datetime] = {}
    priorities = policy.priorities.order
    priority_weights = [1, 3, 8, 4][: len(priorities)]
    texts = _DataTexts()
    empty = texts()
    steps = _Steps()
    story = _DeskStory(policy, count)
    batch: list[GeneratedTicket] = []
    first_event_id = next_event_id = 1
    for index, created in enumerate(_created_instants(rng, count, now, days, tz), start=1):
        day = created.astimezone(tz).date()
        contact_id, customer_id, email = pick_contact(rng, created, day)
        template, base_tags = rng.choice(SUBJECTS)
        subject = template.format(n=rng.randint(10000, 99999))
        channel = channels.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        # Rules see only the template's words, the sender and the channel here: decide
        # once per combination.
        rule_key = (template, email, channel)
        if rule_key not in rule_outcomes:
            facts = NewTicketFacts(
                subject, "", email, names.get(customer_id) if customer_id else None, channel
            )
            rule_outcomes[rule_key] = apply_rules(policy.rules, facts)
        outcome = rule_outcomes[rule_key]
        priority = outcome.priority or rng.choices(priorities, priority_weights)[0]
        product = outcome.product
        contract = None
        if customer_id:
            contract_key = (customer_id, product, day)
            if contract_key not in selected:
                selected[contract_key] = select_contract(
                    contracts.get(customer_id, []), product, day
                )
            contract = selected[contract_key]
        plan = policy.plans.get(contract.plan) if contract else None
        sla = outcome.sla or (plan.sla if plan else None) or policy.desk.default_sla
        over = billable = False
        if contract and plan:
            # A period's bounds are midnights in the desk's zone: one per contract and day.
            period_key = (contract.id, day)
            period_start = period_starts.get(period_key)
            if period_start is None:
                period_start = period_starts[period_key] = quota_period(
                    plan, contract, created, policy.desk.timezone, policy.desk.week_starts
                ).start
            decision = decide_overage(plan, used[(contract.id, period_start)])
            used[(contract.id, period_start)] += 1
            over, billable = decision.over_quota, decision.billable
            if not decision.keeps_sla and not outcome.sla:
                sla = None
        ticket = GeneratedTicket(
            index,
            subject,
            channel,
            contact_id,
            customer_id,
            created,
            priority,
            product,
            contract.id if contract else None,
            contract.plan if contract else None,
            sla,
            over,
            billable,
            list(dict.fromkeys(base_tags + outcome.tags)),
            statuses.initial,
            outcome.assignee,
        )
        opening = texts(
            opening=True,
            priority=priority,
            sla=sla,
            status=statuses.initial,
            rules=tuple(outcome.matched),
            subject=subject,
        )
        ticket.events.append(
            (created, "customer_message", email, f"Hello,\n\n{subject}. Can you help?", opening)
        )
        if contract and plan:
            quota = texts(
                contract_id=contract.id,
                plan=plan.name,
                over_quota=over,
                billable=billable,
                sla=sla,
            )
            ticket.events.append((created, "quota", "system", None, quota))
        _play_conversation(rng, policy, ticket, email, now, texts, empty, steps, story)
        batch.append(ticket)
        next_event_id += len(ticket.events)
        if len(batch) == BATCH:
            yield batch, first_event_id
            batch, first_event_id = [], next_event_id
    if batch:
        yield batch, first_event_id


def _play_conversation(
    rng: random.Random,
    policy: Policy,
    t: GeneratedTicket,
    email: str,
    now: datetime,
    texts: _DataTexts,
    empty: str,
    steps: _Steps,
    story: _DeskStory,
) -> None:
    """A plausible life for the ticket up to now: assignment, replies, notes, pauses, solve."""
    statuses = policy.statuses
    events = t.events
    age = (now - t.created).total_seconds()
    clock = t.created
    random_, choice = rng.random, rng.choice
    changes = texts.changes
    operator = t.assignee or choice(["ana", "ben", "chloe", None])

    def later(max_minutes: float) -> datetime | None:
        """The clock moved on by a random 2 to `max_minutes` minutes, truncated to whole
        seconds (None if that reaches now)."""
        nonlocal clock
        # rng.uniform(2, max_minutes), spelled out: the same draw, one call fewer.
        step = _whole_seconds_later(clock, minutes=2 + (max_minutes - 2) * random_(), steps=steps)
        if step >= now:
            return None
        clock = step
        return clock

    def set_status(at: datetime, status: str) -> None:
        if status != t.status:
            data = changes[t.status, status]
            events.append((at, "status", operator or "ana", None, data))
            t.status = status

    if operator and (at := later(30)):
        events.append((at, "assignee", "ana", None, changes[None, operator]))
        t.assignee = operator
    if age < 3600 and random_() < 0.7:
        return  # fresh and untouched: a running first-response clock
    if random_() < 0.15 and (at := later(90)):
        events.append((at, "note", operator or "ana", choice(NOTES), empty))
    if random_() < 0.08 and (at := later(60)):
        new = policy.priorities.order[0]
        if new != t.priority:
            data = changes[t.priority, new]
            events.append((at, "priority", operator or "ana", None, data))
            t.priority = new
    days_old = age / 86400
    # A busy but healthy desk: few tickets wait for a first answer for long; the odd one
    # of the last two weeks slips through (the breached and escalated tickets of the queue).
    slips = 0.05 if days_old < 0.25 else 0.002 if days_old < 14 else 0.0
    if story.forgotten(t, now) or random_() < slips:
        return  # nobody answered yet
    rounds = choice([1, 1, 1, 2, 2, 3])
    for round_ in range(rounds):
        # The first answer comes fast; later ones as the work allows.
        at = later(choice([10, 25, 45, 90] if round_ == 0 else [20, 60, 240]))
        if at is None:
            return
        events.append((at, "reply", operator or "ben", choice(REPLIES), empty))
        if random_() < 0.75:
            set_status(at, choice(statuses.paused))  # waiting on the customer
        elif t.status == statuses.initial:
            set_status(at, statuses.reopen_to)  # the first answer takes a new ticket in hand
        if round_ < rounds - 1 and random_() < 0.55:
            follow = later(choice([60, 600, 2000]))
            if follow is None:
                return
            events.append((follow, "customer_message", email, choice(FOLLOW_UPS), empty))
            if statuses.category(t.status) in ("paused", "solved"):
                set_status(follow, statuses.reopen_to)
    # Old tickets are mostly done; the open backlog is mostly recent, as on a healthy desk.
    solve_odds = 0.35 if days_old < 1 else 0.7 if days_old < 4 else 0.93 if days_old < 14 else 0.99
    if random_() < solve_odds and (at := later(600)):
        set_status(at, statuses.solved[0])
        if random_() < 0.35 and (csat_at := later(600)):
            score = choice([5, 5, 4, 4, 3, 2, 1])
            events.append((csat_at, "csat", email, None, texts(score=score, comment=None)))
        return
    if random_() < 0.03 and (at := later(120)):
        set_status(at, statuses.void[0])
        return
    # What stays open past a few hours waits on the customer or on engineering, save for
    # the odd ticket of the last two weeks left active (and soon overdue).
    parks = statuses.category(t.status) == "active" and days_old > 0.5
    parks = parks and (days_old > 14 or random_() < 0.9)
    if parks and (at := later(60)):
        set_status(at, choice(statuses.paused))
    target = story.target(t.sla, t.priority, "next_response")
    if random_() < (0.3 if target is None else 0.5):
        # The customer writes back within the last hours: recent activity, and a running
        # next-response clock (SPEC §3.2). Where that clock has a target, the message is
        # placed that far back in working time that about half of those clocks are on
        # track, a third at risk and the odd one breached (escalation levels 1 and 2).
        standing = None
        if target is None:
            follow = now - timedelta(seconds=int(300 + 3 * 3600 * random_()))
        else:
            calendar, seconds = target
            roll = random_()
            standing = "on track" if roll < 0.55 else "at risk" if roll < 0.9 else "breached"
            standing = story.standing(t.id, standing)
            back = {
                "on track": (0.1 + roll) * seconds,
                "at risk": (0.77 + 0.2 * roll) * seconds,
                "breached": 1.4 * seconds,
            }[standing]
            follow = calendar.add_working(now, -int(back)).replace(microsecond=0)
        if follow > clock:
            if standing is not None:
                story.shown(standing)
            clock = follow
            events.append((follow, "customer_message", email, choice(FOLLOW_UPS), empty))
            if statuses.category(t.status) in ("paused", "solved"):
                set_status(follow, statuses.reopen_to)


def _write_tickets(
    conn: Connection,
    context: RowContext,
    batches: Iterator[tuple[list[GeneratedTicket], int]],
    workers: int,
) -> tuple[dict[str, int], list[Escalated]]:
    """Insert every batch's rows, then what the escalation pass records, numbered after
    them as if the pass ran on the stored tickets. Returns counts and the escalated."""
    tickets = events = 0
    escalation_events: list[tuple[Any, ...]] = []
    marks: list[tuple[Any, ...]] = []
    checks: list[tuple[Any, ...]] = []
    escalated: list[Escalated] = []
    # Closed on the way out, also on an error: stops the workers at once.
    with (
        indexes_deferred(conn, [Ticket.__table__, TicketTag.__table__, Event.__table__]),
        contextlib.closing(_rows_in_order(context, batches, workers)) as in_order,
    ):
        for rows in in_order:
            insert_rows(conn, Ticket.__table__, rows.tickets, TICKET_COLUMNS, converted=True)
            tags = ("ticket_id", "tag")
            insert_rows(conn, TicketTag.__table__, rows.tags, tags, converted=True)
            insert_rows(conn, Event.__table__, rows.events, EVENT_COLUMNS, converted=True)
            tickets += len(rows.tickets)
            events += len(rows.events)
            escalation_events += rows.escalation_events
            marks += rows.marks
            checks += rows.checks
            escalated += rows.escalated
        insert_rows(
            conn, Event.__table__, escalation_events, ESCALATION_EVENT_COLUMNS, converted=True
        )
    insert_rows(conn, EscalationMark.__table__, marks, MARK_COLUMNS, converted=True)
    insert_rows(conn, EscalationCheck.__table__, checks, CHECK_COLUMNS, converted=True)
    return {"tickets": tickets, "events": events + len(escalation_events)}, escalated


def _rows_in_order(
    context: RowContext, batches: Iterator[tuple[list[GeneratedTicket], int]], workers: int
) -> Generator[BatchRows, None, None]:
    """Each batch's rows, in order: computed by `workers` processes a few batches ahead
    of the caller (who generates the next batches and inserts meanwhile), or here."""
    pool = _start_pool(workers) if workers > 0 else None
    if pool is None:
        for batch, first_event_id in batches:
            yield batch_rows(context, batch, first_event_id)
        return
    pending: deque[tuple[Future[BatchRows] | None, list[GeneratedTicket], int]] = deque()
    try:
        for batch, first_event_id in batches:
            future: Future[BatchRows] | None = None
            with contextlib.suppress(BrokenProcessPool):  # then _collect does it here
                future = pool.submit(batch_rows, context, batch, first_event_id)
            pending.append((future, batch, first_event_id))
            if len(pending) > IN_FLIGHT:
                yield _collect(context, *pending.popleft())
        while pending:
            yield _collect(context, *pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(workers: int) -> ProcessPoolExecutor | None:
    try:
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(_start_method()),
            initializer=_ignore_interrupts,
        )
    except (OSError, ValueError):  # no process support here: do without
        return None


def _start_method() -> str:
    """How workers start. A fork starts at once and runs nothing of `__main__` again; it
    is safe while this process runs no other thread (the CLI), since locks held by other
    threads would stay held in the copy. (The copy of the open store connection is never
    used by a worker.) Otherwise fresh interpreters are spawned, which needs a caller's
    script to guard its `__main__`."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _ignore_interrupts() -> None:
    # Ctrl-C is for this process, which stops the workers; they would only print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _collect(
    context: RowContext,
    future: Future[BatchRows] | None,
    batch: list[GeneratedTicket],
    first_event_id: int,
) -> BatchRows:
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): do it here
            pass
    return batch_rows(context, batch, first_event_id)
