"""Tickets, customers, contracts and operators: one short transaction per use case.

Every change to a ticket appends events and bumps the ticket's `version`; a change based on
an older version fails with `Conflict` (SPEC §9). SLA figures cached on the ticket row are
recomputed from the event log after every change (SPEC §3.6).
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from tui_desk.core.events import TicketHistory
from tui_desk.core.policy import Policy, policy_digest
from tui_desk.core.quota import ContractTerms, decide_overage, quota_period, select_contract
from tui_desk.core.roles import DEFAULT_ROLE, ROLES
from tui_desk.core.rules import NewTicketFacts, apply_rules
from tui_desk.core.sla import TicketSla, compute_sla
from tui_desk.core.text import human_size, needs_care, single_line
from tui_desk.services import listing, recompute
from tui_desk.services.base import (
    MERGED_STATUS,
    POLICY_KEY,
    BadInput,
    Conflict,
    DeskBase,
    NotFound,
    ServiceError,
    parse_day,
    parse_instant,
)
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
from tui_desk.store.models import (
    Contact,
    Contract,
    Customer,
    CustomerDomain,
    Event,
    Meta,
    Operator,
    Ticket,
    TicketTag,
)

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MAX_SUBJECT = 998  # RFC 5322 line limit: a generous, well-known bound


# ----------------------------------------------------------------------------------------
# Plain data handed to the faces


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketSummary
    sla: TicketSla
    events: tuple[EventView, ...]
    history: TicketHistory = field(repr=False)


@dataclass(frozen=True, slots=True)
class BulkResult:
    changed: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]


# ----------------------------------------------------------------------------------------
# Helpers


def _require_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise BadInput(f"{what} is empty; give some text")
    return value


def _one_line(value: str | None, what: str) -> str:
    """A subject, name or tag as stored: one line of visible text (`single_line`: line
    breaks and tabs become spaces, controls and bidi overrides are dropped), never empty.
    Normalised rather than refused, so that mail and imports are never lost over a stray
    character; the CLI and the TUI both come through here (docs/security.md)."""
    line = single_line(value or "")
    if not line:
        raise BadInput(f"{what} is empty; give some visible text")
    return line


def _normalise_email(address: str) -> str:
    address = address.strip()
    if not _EMAIL.match(address) or needs_care(address, one_line=True):
        raise BadInput(f"{address!r} is not an email address (like ana@acme.io)")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


# ----------------------------------------------------------------------------------------
# The desk


class HelpDesk(DeskBase):
    """The use cases, bound to one store, one policy and a notion of "now"."""

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
                yield Reader(conn.connection.driver_connection, str(conn.dialect.paramstyle))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the store failed: {exc}") from exc

    # -- operators, customers, contracts ----------------------------------------------------

    def add_operator(self, name: str, role: str = DEFAULT_ROLE) -> Operator:
        name = _one_line(name, "the operator name")
        role = single_line(role) or DEFAULT_ROLE
        if role not in ROLES:
            raise BadInput(
                f"no role {role!r}{_did_you_mean(role, ROLES)} (one of: {', '.join(ROLES)})"
            )
        with write_session(self.engine) as session:
            if session.exec(select(Operator).where(Operator.name == name)).first():
                raise BadInput(f"an operator named {name!r} already exists")
            operator = Operator(name=name, role=role, created_at=self.now())
            session.add(operator)
            session.flush()
            return operator.model_copy()

    def operators(self) -> list[Operator]:
        with read_session(self.engine) as session:
            return [o.model_copy() for o in session.exec(select(Operator).order_by(Operator.name))]

    def resolve_operator(self, session: Session, name: str | None) -> str:
        """Who acts: `--as`, else $TUI_DESK_OPERATOR, else the only operator, else the login."""
        name = name or self.default_operator or os.environ.get("TUI_DESK_OPERATOR")
        known = list(session.exec(select(Operator.name)))
        if name:
            if name not in known:
                hint = f"; known: {', '.join(sorted(known))}" if known else ""
                raise BadInput(
                    f"no operator named {name!r} (add one with: tui-desk operator add {name}){hint}"
                )
            return name
        if len(known) == 1:
            return known[0]
        return getpass.getuser()

    def add_customer(
        self, name: str, domains: Iterable[str] = (), emails: Iterable[str] = ()
    ) -> Customer:
        name = _one_line(name, "the customer name")
        domains = [d.strip().lower().lstrip("@") for d in domains]
        for domain in domains:
            if not domain or "." not in domain or "@" in domain or " " in domain:
                raise BadInput(f"{domain!r} is not an email domain (like acme.io)")
        emails = [_normalise_email(e) for e in emails]
        now = self.now()
        with write_session(self.engine) as session:
            if session.exec(select(Customer).where(Customer.name == name)).first():
                raise BadInput(f"a customer named {name!r} already exists")
            for domain in domains:
                owner = session.exec(
                    select(Customer.name)
                    .join(CustomerDomain)
                    .where(CustomerDomain.domain == domain)
                ).first()
                if owner:
                    raise BadInput(f"the domain {domain!r} already belongs to {owner!r}")
            customer = Customer(name=name, created_at=now)
            session.add(customer)
            session.flush()
            for domain in domains:
                session.add(CustomerDomain(customer_id=customer.id, domain=domain))
                # Known contacts at that domain now belong to the customer (SPEC §1).
                session.execute(
                    sa.update(Contact)
                    .where(
                        col(Contact.email).like(f"%@{domain}"), col(Contact.customer_id).is_(None)
                    )
                    .values(customer_id=customer.id)
                )
            for email in emails:
                contact = session.exec(select(Contact).where(Contact.email == email)).first()
                if contact is None:
                    session.add(Contact(email=email, customer_id=customer.id, created_at=now))
                elif contact.customer_id is None:
                    contact.customer_id = customer.id
                else:
                    raise BadInput(f"{email!r} already belongs to another customer")
            return customer.model_copy()

    def _customer_by_ref(self, session: Session, ref: str) -> Customer:
        customer = session.exec(select(Customer).where(Customer.name == ref)).first()
        if customer is None and ref.isdigit() and int(ref) < 2**63:  # a row id, if any
            customer = session.get(Customer, int(ref))
        if customer is None:
            names = list(session.exec(select(Customer.name)))
            raise NotFound(f"no customer {ref!r}{_did_you_mean(ref, names)}")
        return customer

    def add_contract(
        self,
        customer: str,
        plan: str,
        start: str,
        end: str | None = None,
        product: str | None = None,
    ) -> Contract:
        if plan not in self.policy.plans:
            known = ", ".join(sorted(self.policy.plans)) or "none defined"
            raise BadInput(f"no plan {plan!r} in the policy (plans: {known})")
        start_day = parse_day(start, "--start")
        end_day = parse_day(end, "--end") if end else None
        if end_day is not None and end_day < start_day:
            raise BadInput(f"--end {end_day} is before --start {start_day}")
        product = (single_line(product) or None) if product else None
        with write_session(self.engine) as session:
            owner = self._customer_by_ref(session, customer)
            assert owner.id is not None
            terms = ContractTerms(0, owner.id, plan, product, start_day, end_day)
            for existing in session.exec(select(Contract).where(Contract.customer_id == owner.id)):
                if _terms(existing).overlaps(terms):
                    until = existing.end or "open-ended"
                    raise BadInput(
                        f"{owner.name} already has contract #{existing.id} ({existing.plan}, "
                        f"product {existing.product or 'any'}) from {existing.start} to {until}, "
                        "which overlaps; end it first or choose other dates"
                    )
            contract = Contract(
                customer_id=owner.id,
                plan=plan,
                product=product,
                start=start_day,
                end=end_day,
                created_at=self.now(),
            )
            session.add(contract)
            session.flush()
            return contract.model_copy()

    # -- tickets: creation --------------------------------------------------------------------

    def _contact_for(self, session: Session, email: str, now: datetime) -> Contact:
        contact = session.exec(select(Contact).where(Contact.email == email)).first()
        if contact is not None:
            return contact
        domain = email.rpartition("@")[2]
        owner = session.exec(
            select(CustomerDomain.customer_id).where(CustomerDomain.domain == domain)
        ).first()
        contact = Contact(email=email, customer_id=owner, created_at=now)
        session.add(contact)
        session.flush()
        return contact

    def _credits_used(
        self, session: Session, contract_id: int, start: datetime, end: datetime | None
    ) -> int:
        query = (
            select(sa.func.count())
            .select_from(Ticket)
            .where(
                Ticket.contract_id == contract_id,
                Ticket.status_category != "void",
                col(Ticket.created_at) >= start,
            )
        )
        if end is not None:
            query = query.where(col(Ticket.created_at) < end)
        return int(session.exec(query).one())

    def create_ticket(
        self,
        from_email: str,
        subject: str,
        body: str | None = None,
        priority: str | None = None,
        product: str | None = None,
        channel: str = "email",
        at: str | None = None,
        external_id: str | None = None,
    ) -> TicketDetail:
        policy = self.policy
        email = _normalise_email(from_email)
        subject = _one_line(subject, "the subject")
        if len(subject) > MAX_SUBJECT:
            raise BadInput(
                f"the subject is {len(subject)} characters long; keep it under {MAX_SUBJECT}"
            )
        if priority is not None:
            self.check_priority(priority)
        channel = single_line(channel or "email").lower() or "email"
        product = (single_line(product) or None) if product else None
        if body is not None:
            self.check_body_size(body, "the message")
        created = self.instant(at)
        with write_session(self.engine) as session:
            contact = self._contact_for(session, email, created)
            customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
            outcome = apply_rules(
                policy.rules,
                NewTicketFacts(
                    subject=subject,
                    body=body or "",
                    from_address=email,
                    customer=customer.name if customer else None,
                    channel=channel,
                ),
            )
            chosen_priority = priority or outcome.priority or policy.priorities.default
            chosen_product = product or outcome.product
            contract = None
            if customer is not None:
                contracts = [
                    _terms(c)
                    for c in session.exec(
                        select(Contract).where(Contract.customer_id == customer.id)
                    )
                ]
                day = created.astimezone(ZoneInfo(policy.desk.timezone)).date()
                contract = select_contract(contracts, chosen_product, day)
            plan = policy.plans.get(contract.plan) if contract else None
            sla_name = outcome.sla or (plan.sla if plan else None) or policy.desk.default_sla
            decision = None
            if contract is not None and plan is not None:
                period = quota_period(
                    plan, contract, created, policy.desk.timezone, policy.desk.week_starts
                )
                decision = decide_overage(
                    plan, self._credits_used(session, contract.id, period.start, period.end)
                )
                if not decision.keeps_sla and not outcome.sla:
                    sla_name = None
            ticket = Ticket(
                subject=subject,
                status=policy.statuses.initial,
                status_category=policy.statuses.category(policy.statuses.initial),
                priority=chosen_priority,
                priority_rank=policy.priorities.rank(chosen_priority),
                channel=channel,
                contact_id=contact.id,
                customer_id=customer.id if customer else None,
                assignee=outcome.assignee,
                product=chosen_product,
                contract_id=contract.id if contract else None,
                plan=contract.plan if contract else None,
                sla_policy=sla_name,
                over_quota=bool(decision and decision.over_quota),
                billable=bool(decision and decision.billable),
                external_id=external_id,
                created_at=created,
                updated_at=created,
            )
            session.add(ticket)
            session.flush()
            assert ticket.id is not None
            for tag in outcome.tags:
                session.add(TicketTag(ticket_id=ticket.id, tag=tag))
            opening = {
                "opening": True,
                "priority": chosen_priority,
                "sla": sla_name,
                "status": ticket.status,
                "rules": outcome.matched,
                "subject": subject,
            }
            self._append(session, ticket, created, "customer_message", email, body or "", opening)
            if decision is not None:
                assert plan is not None
                self._append(
                    session,
                    ticket,
                    created,
                    "quota",
                    "system",
                    None,
                    {
                        "contract_id": contract.id if contract else None,
                        "plan": plan.name,
                        "over_quota": decision.over_quota,
                        "billable": decision.billable,
                        "sla": sla_name,
                    },
                )
            session.flush()
            self._refresh_sla(session, ticket)
            ticket_id = ticket.id
        return self.ticket(ticket_id)

    # -- tickets: changes ---------------------------------------------------------------------

    def check_body(self, body: str | None, what: str) -> None:
        """A message, reply or note: some text, and not over the size limit."""
        _require_text(body, what)
        self.check_body_size(body or "", what)

    def check_body_size(self, body: str, what: str) -> None:
        """SPEC §9 and docs/security.md: a body over the policy's desk.max_body_size is
        refused before anything is written."""
        limit = self.policy.desk.max_body_size
        if len(body) <= limit // 4:  # 4 bytes per character at most: surely within
            return
        size = len(body.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise BadInput(
                f"{what} is {human_size(size)}, over the limit of {human_size(limit)}"
                " (desk.max_body_size in the policy): shorten it"
            )

    def check_priority(self, priority: str) -> None:
        """BadInput naming the known priorities unless `priority` is one of them."""
        order = self.policy.priorities.order
        if priority not in order:
            raise BadInput(
                f"no priority {priority!r}{_did_you_mean(priority, order)} (one of: {', '.join(order)})"
            )

    def check_status(self, status: str) -> None:
        """BadInput naming the known statuses unless `status` is one of them."""
        known = self.policy.statuses.all
        if status not in known:
            raise BadInput(
                f"no status {status!r}{_did_you_mean(status, known)} (one of: {', '.join(known)})"
            )

    def _load_for_write(
        self, session: Session, ticket_id: int, expected_version: int | None
    ) -> Ticket:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket #{ticket_id}")
        if expected_version is not None and ticket.version != expected_version:
            raise Conflict(
                f"ticket #{ticket_id} was changed by someone else since you opened it "
                f"(version {expected_version} → {ticket.version}); reload and try again"
            )
        return ticket

    def _check_at(self, ticket: Ticket, at: datetime) -> None:
        if at < ticket.created_at:
            raise BadInput(
                f"--at {at:%Y-%m-%dT%H:%M:%SZ} is before ticket #{ticket.id} was created "
                f"({ticket.created_at:%Y-%m-%dT%H:%M:%SZ})"
            )

    def _append(
        self,
        session: Session,
        ticket: Ticket,
        at: datetime,
        kind: str,
        author: str | None,
        body: str | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        assert ticket.id is not None
        session.add(
            Event(
                ticket_id=ticket.id,
                at=at,
                kind=kind,
                author=author,
                body=body,
                data=json.dumps(data or {}, ensure_ascii=False, sort_keys=True),
                recorded_at=datetime.now(UTC),
            )
        )

    def _bump(self, session: Session, ticket: Ticket, at: datetime) -> None:
        """Claim the ticket for this write: fails if another process changed it meanwhile."""
        result = session.execute(
            sa.update(Ticket)
            .where(col(Ticket.id) == ticket.id, col(Ticket.version) == ticket.version)
            .values(version=ticket.version + 1, updated_at=max(at, ticket.updated_at))
        )
        if result.rowcount != 1:
            raise Conflict(f"ticket #{ticket.id} was changed by someone else; reload and try again")
        session.refresh(ticket)

    def _set_status(
        self, session: Session, ticket: Ticket, status: str, at: datetime, author: str
    ) -> None:
        if status == ticket.status:
            return
        self._append(
            session, ticket, at, "status", author, None, {"from": ticket.status, "to": status}
        )
        ticket.status = status
        ticket.status_category = self.policy.statuses.category(status)

    def reply(
        self,
        ticket_id: int,
        body: str,
        status: str | None = None,
        author: str | None = None,
        at: str | None = None,
        expected_version: int | None = None,
    ) -> TicketDetail:
        """A public reply; with `status`, the status change follows the reply (SPEC §3.2)."""
        self.check_body(body, "the reply")
        if status is not None:
            self.check_status(status)
        when = self.instant(at)
        with write_session(self.engine) as session:
            ticket = self._load_for_write(session, ticket_id, expected_version)
            who = self.resolve_operator(session, author)
            self._check_at(ticket, when)
            self._bump(session, ticket, when)
            self._append(session, ticket, when, "reply", who, body)
            if status is not None:
                self._set_status(session, ticket, status, when, who)
            self._finish(session, ticket)
        return self.ticket(ticket_id)

    def note(
        self,
        ticket_id: int,
        body: str,
        author: str | None = None,
        at: str | None = None,
        expected_version: int | None = None,
    ) -> TicketDetail:
        self.check_body(body, "the note")
        when = self.instant(at)
        with write_session(self.engine) as session:
            ticket = self._load_for_write(session, ticket_id, expected_version)
            who = self.resolve_operator(session, author)
            self._check_at(ticket, when)
            self._bump(session, ticket, when)
            self._append(session, ticket, when, "note", who, body)
            self._finish(session, ticket)
        return self.ticket(ticket_id)

    def customer_message(
        self, ticket_id: int, body: str, at: str | None = None, expected_version: int | None = None
    ) -> TicketDetail:
        """The customer writes again; a paused or solved ticket reopens (SPEC §3.6)."""
        self.check_body(body, "the message")
        when = self.instant(at)
        statuses = self.policy.statuses
        with write_session(self.engine) as session:
            ticket = self._load_for_write(session, ticket_id, expected_version)
            self._check_at(ticket, when)
            contact = session.get(Contact, ticket.contact_id)
            author = contact.email if contact else None
            self._bump(session, ticket, when)
            self._append(session, ticket, when, "customer_message", author, body)
            if ticket.status_category in ("paused", "solved"):
                self._set_status(session, ticket, statuses.reopen_to, when, author or "customer")
            self._finish(session, ticket)
        return self.ticket(ticket_id)

    def set_fields(
        self,
        ticket_id: int,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = None,
        tags: Sequence[str] = (),
        untags: Sequence[str] = (),
        due_resolution: str | None = None,
        author: str | None = None,
        at: str | None = None,
        expected_version: int | None = None,
        unassign: bool = False,
    ) -> TicketDetail:
        """`ticket set`: several changes in one action, one event each, in a fixed order."""
        if status is not None:
            self.check_status(status)
            if status == MERGED_STATUS:
                raise BadInput(
                    f"a merged ticket needs the ticket it was merged into: "
                    f"tui-desk ticket merge {ticket_id} --into TARGET"
                )
        if priority is not None:
            self.check_priority(priority)
        tags = [_clean_tag(t) for t in tags]
        untags = [_clean_tag(t) for t in untags]
        due = None
        if due_resolution is not None:
            due = (
                None
                if due_resolution.lower() in ("", "none", "auto")
                else parse_instant(due_resolution, self.policy.desk.timezone)
            )
        when = self.instant(at)
        with write_session(self.engine) as session:
            ticket = self._load_for_write(session, ticket_id, expected_version)
            who = self.resolve_operator(session, author)
            if assignee is not None and assignee not in set(session.exec(select(Operator.name))):
                raise BadInput(
                    f"no operator named {assignee!r} to assign (tui-desk operator add {assignee})"
                )
            self._check_at(ticket, when)
            self._bump(session, ticket, when)
            changed = False
            if priority is not None and priority != ticket.priority:
                self._append(
                    session,
                    ticket,
                    when,
                    "priority",
                    who,
                    None,
                    {"from": ticket.priority, "to": priority},
                )
                ticket.priority = priority
                ticket.priority_rank = self.policy.priorities.rank(priority)
                changed = True
            if (assignee is not None or unassign) and assignee != ticket.assignee:
                self._append(
                    session,
                    ticket,
                    when,
                    "assignee",
                    who,
                    None,
                    {"from": ticket.assignee, "to": assignee},
                )
                ticket.assignee = assignee
                changed = True
            if tags or untags:
                current = set(
                    session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))
                )
                added = [t for t in dict.fromkeys(tags) if t not in current]
                removed = [t for t in dict.fromkeys(untags) if t in current and t not in added]
                if added or removed:
                    for tag in added:
                        session.add(TicketTag(ticket_id=ticket.id, tag=tag))
                    for tag in removed:
                        session.execute(
                            sa.delete(TicketTag).where(
                                col(TicketTag.ticket_id) == ticket.id, col(TicketTag.tag) == tag
                            )
                        )
                    self._append(
                        session,
                        ticket,
                        when,
                        "tags",
                        who,
                        None,
                        {"added": added, "removed": removed},
                    )
                    changed = True
            if due_resolution is not None:
                iso = _iso(due) if due else None
                self._append(
                    session, ticket, when, "due", who, None, {"clock": "resolution", "due": iso}
                )
                changed = True
            if status is not None and status != ticket.status:
                self._set_status(session, ticket, status, when, who)
                changed = True
            if not changed:
                raise BadInput(
                    f"nothing to change on ticket #{ticket_id}; give --status, --priority, --assignee, --tag, --untag or --due-resolution"
                )
            self._finish(session, ticket)
        return self.ticket(ticket_id)

    def set_many(self, targets: Sequence[tuple[int, int | None]], **changes: Any) -> BulkResult:
        """The same change on several tickets, each in its own transaction (a conflict on
        one ticket leaves the others changed); `targets` are (id, version seen)."""
        return each_ticket(
            targets,
            lambda ticket_id, version: self.set_fields(
                ticket_id, expected_version=version, **changes
            ),
        )

    def csat(
        self,
        ticket_id: int,
        score: int,
        comment: str | None = None,
        at: str | None = None,
        expected_version: int | None = None,
    ) -> TicketDetail:
        if not 1 <= score <= 5:
            raise BadInput(f"a CSAT score is 1 to 5, not {score}")
        if comment:
            self.check_body_size(comment, "the comment")
        when = self.instant(at)
        with write_session(self.engine) as session:
            ticket = self._load_for_write(session, ticket_id, expected_version)
            self._check_at(ticket, when)
            contact = session.get(Contact, ticket.contact_id)
            self._bump(session, ticket, when)
            self._append(
                session,
                ticket,
                when,
                "csat",
                contact.email if contact else None,
                comment,
                {"score": score, "comment": comment},
            )
            self._finish(session, ticket)
        return self.ticket(ticket_id)

    def _finish(self, session: Session, ticket: Ticket) -> None:
        session.add(ticket)
        session.flush()
        self._refresh_sla(session, ticket)

    # -- SLA cache ------------------------------------------------------------------------------

    def _events(self, session: Session, ticket_id: int) -> list[EventView]:
        return _load_events(session, [ticket_id]).get(ticket_id, [])

    def _refresh_sla(self, session: Session, ticket: Ticket) -> TicketSla:
        history = history_from_events(self._events(session, ticket.id))
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
        table = Ticket.__table__  # type: ignore[attr-defined]
        statuses, priorities = self.policy.statuses, self.policy.priorities
        with write_session(self.engine) as session:
            # Only rows whose value changes are rewritten: a policy change usually moves few.
            for status in statuses.all:
                category = statuses.category(status)
                session.execute(
                    sa.update(table)
                    .where(table.c.status == status, table.c.status_category != category)
                    .values(status_category=category)
                )
            for rank, priority in enumerate(priorities.order):
                session.execute(
                    sa.update(table)
                    .where(table.c.priority == priority, table.c.priority_rank != rank)
                    .values(priority_rank=rank)
                )
            session.merge(Meta(key=POLICY_FINGERPRINT_KEY, value=policy_fingerprint(self.policy)))
            open_ids = list(
                session.exec(
                    select(Ticket.id).where(col(Ticket.status_category).in_(("active", "paused")))
                )
            )
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
            driver = conn.connection.driver_connection
            return recompute.recompute_sqlite(
                driver, self.policy, ticket_ids, now, parallel=parallel
            )
        table = Ticket.__table__  # type: ignore[attr-defined]
        update = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
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
            events = tuple(self._events(session, ticket_id))
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


def each_ticket(
    targets: Sequence[tuple[int, int | None]], change: Callable[[int, int | None], Any]
) -> BulkResult:
    """`change(id, version seen)` on each target in turn, each its own transaction: a
    refusal on one ticket (say, a conflict) leaves the others changed."""
    done: list[int] = []
    failed: list[tuple[int, str]] = []
    for ticket_id, version in targets:
        try:
            change(ticket_id, version)
        except ServiceError as exc:
            failed.append((ticket_id, str(exc)))
        else:
            done.append(ticket_id)
    return BulkResult(tuple(done), tuple(failed))


def _reader(session: Session) -> Reader:
    """The session's own transaction, for hand-written SQL."""
    return connection_reader(session.connection())


def connection_reader(conn: Connection) -> Reader:
    """A connection's own transaction, for hand-written SQL (services.listing)."""
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


def _terms(contract: Contract) -> ContractTerms:
    assert contract.id is not None
    return ContractTerms(
        contract.id,
        contract.customer_id,
        contract.plan,
        contract.product,
        contract.start,
        contract.end,
    )


def _clean_tag(tag: str) -> str:
    tag = single_line(tag).lower()
    if not tag or any(ch.isspace() for ch in tag):
        raise BadInput(f"{tag!r} is not a tag; tags are single words like billing or vip")
    return tag


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1)
    return f" — did you mean {close[0]!r}?" if close else ""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
