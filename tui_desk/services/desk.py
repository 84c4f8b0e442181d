"""The use cases that write tickets: a new ticket (rules, contract, quota decision), replies,
notes, customer messages, `ticket set`, CSAT; each one short transaction (SPEC §1–§4, §9).

Every change to a ticket goes through `HelpDesk.changing` (services.ticket_write): it
appends events, bumps the ticket's `version` (a change based on an older version fails with
`Conflict`) and recomputes the SLA figures cached on the ticket row (SPEC §3.6). Reads and
the cache live in services.desk_store, operators, customers and contracts in
services.directory; `HelpDesk` is all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tui_desk.core.policy import Plan
from tui_desk.core.quota import (
    ContractTerms,
    QuotaDecision,
    decide_overage,
    quota_period,
    select_contract,
)
from tui_desk.core.rules import NewTicketFacts, RuleOutcome, apply_rules
from tui_desk.core.text import human_size, single_line
from tui_desk.services.base import (
    MERGED_STATUS,
    BadInput,
    ServiceError,
    parse_instant,
    utc_text,
)
from tui_desk.services.desk_store import (  # noqa: F401  (names this module always exported)
    POLICY_FINGERPRINT_KEY,
    SLA_CACHE_COLUMNS,
    TicketDetail,
    _load_events,
    apply_sla_cache,
    connection_reader,
    policy_fingerprint,
    sla_cache_values,
)
from tui_desk.services.directory import (
    DirectoryDesk,
    _did_you_mean,
    _normalise_email,
    _one_line,
    _require_text,
    _terms,
)
from tui_desk.services.ticket_write import (
    KEEP,
    Keep,
    append_event,
    check_at,
    claim,
    field_changes,
    load_for_write,
)
from tui_desk.store.engine import write_session
from tui_desk.store.models import (
    Contact,
    Contract,
    Customer,
    CustomerDomain,
    Operator,
    Ticket,
    TicketTag,
)

MAX_SUBJECT = 998  # RFC 5322 line limit: a generous, well-known bound


@dataclass(frozen=True, slots=True)
class BulkResult:
    changed: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a new ticket is created under: its priority and product, the contract and plan
    that cover it (if any), its SLA and the quota decision (SPEC §4.2)."""

    priority: str
    product: str | None
    contract: ContractTerms | None
    plan: Plan | None
    sla: str | None
    decision: QuotaDecision | None


@dataclass(slots=True)
class TicketChange:
    """One ticket being changed inside a write transaction (`HelpDesk.changing`): `author`
    acts at `at`; `append` adds an event to the log."""

    session: Session
    ticket: Ticket
    at: datetime
    author: str | None

    def append(
        self, kind: str, body: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        append_event(self.session, self.ticket, self.at, kind, self.author, body, data)


class HelpDesk(DirectoryDesk):
    """The use cases, bound to one store, one policy and a notion of "now"."""

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
                self.policy.rules,
                NewTicketFacts(
                    subject=subject,
                    body=body or "",
                    from_address=email,
                    customer=customer.name if customer else None,
                    channel=channel,
                ),
            )
            cover = self._coverage(session, customer, outcome, priority, product, created)
            ticket = self._insert_ticket(
                session, subject, channel, contact, customer, outcome, cover, external_id, created
            )
            opening = {
                "opening": True,
                "priority": cover.priority,
                "sla": cover.sla,
                "status": ticket.status,
                "rules": outcome.matched,
                "subject": subject,
            }
            append_event(session, ticket, created, "customer_message", email, body or "", opening)
            self._record_quota_decision(session, ticket, cover, created)
            session.flush()
            self._refresh_sla(session, ticket)
            ticket_id = ticket.id
        assert ticket_id is not None
        return self.ticket(ticket_id)

    def _coverage(
        self,
        session: Session,
        customer: Customer | None,
        outcome: RuleOutcome,
        priority: str | None,
        product: str | None,
        created: datetime,
    ) -> Coverage:
        """The contract covering a new ticket on the day it is created, and what its plan
        and quota decide (SPEC §4.1, §4.2); a rule's SLA wins over the plan's."""
        policy = self.policy
        chosen_priority = priority or outcome.priority or policy.priorities.default
        chosen_product = product or outcome.product
        contract = None
        if customer is not None:
            contracts = [
                _terms(c)
                for c in session.exec(select(Contract).where(Contract.customer_id == customer.id))
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
        return Coverage(chosen_priority, chosen_product, contract, plan, sla_name, decision)

    def _insert_ticket(
        self,
        session: Session,
        subject: str,
        channel: str,
        contact: Contact,
        customer: Customer | None,
        outcome: RuleOutcome,
        cover: Coverage,
        external_id: str | None,
        created: datetime,
    ) -> Ticket:
        """The new ticket's row and its tags from the rules."""
        statuses = self.policy.statuses
        contract, decision = cover.contract, cover.decision
        assert contact.id is not None
        ticket = Ticket(
            subject=subject,
            status=statuses.initial,
            status_category=statuses.category(statuses.initial),
            priority=cover.priority,
            priority_rank=self.policy.priorities.rank(cover.priority),
            channel=channel,
            contact_id=contact.id,
            customer_id=customer.id if customer else None,
            assignee=outcome.assignee,
            product=cover.product,
            contract_id=contract.id if contract else None,
            plan=contract.plan if contract else None,
            sla_policy=cover.sla,
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
        return ticket

    def _record_quota_decision(
        self, session: Session, ticket: Ticket, cover: Coverage, created: datetime
    ) -> None:
        """The `quota` event of a ticket a contract covers (SPEC §4.2)."""
        if cover.decision is None:
            return
        assert cover.plan is not None
        data = {
            "contract_id": cover.contract.id if cover.contract else None,
            "plan": cover.plan.name,
            "over_quota": cover.decision.over_quota,
            "billable": cover.decision.billable,
            "sla": cover.sla,
        }
        append_event(session, ticket, created, "quota", "system", None, data)

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

    @contextmanager
    def changing(
        self,
        ticket_id: int,
        expected_version: int | None,
        at: datetime,
        author: str | None = None,
        *,
        by_customer: bool = False,
        check: Callable[[Session], None] | None = None,
    ) -> Iterator[TicketChange]:
        """One change of a stored ticket in its own write transaction, the preamble every
        ticket use case shares: the ticket at `expected_version` (else Conflict); who acts
        (`author` as an operator, see `resolve_operator`, or the ticket's contact when
        `by_customer`); `check`, more refusals before anything is written; `at` not before
        the ticket was created; its version claimed. On leaving, the ticket is saved and its
        cached clocks recomputed."""
        with write_session(self.engine) as session:
            ticket = load_for_write(session, ticket_id, expected_version)
            if by_customer:
                contact = session.get(Contact, ticket.contact_id)
                who = contact.email if contact else None
            else:
                who = self.resolve_operator(session, author)
            if check is not None:
                check(session)
            check_at(ticket, at)
            claim(session, ticket, at)
            yield TicketChange(session, ticket, at, who)
            self.save_change(session, ticket)

    def save_change(self, session: Session, ticket: Ticket) -> None:
        """Write the changed ticket row and recompute its cached clocks (SPEC §3.6)."""
        session.add(ticket)
        session.flush()
        self._refresh_sla(session, ticket)

    def record_status(
        self, session: Session, ticket: Ticket, status: str, at: datetime, author: str | None
    ) -> None:
        """A `status` event and the ticket's new status and category (nothing if unchanged)."""
        if status == ticket.status:
            return
        data = {"from": ticket.status, "to": status}
        append_event(session, ticket, at, "status", author, None, data)
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
        with self.changing(ticket_id, expected_version, when, author) as change:
            change.append("reply", body)
            if status is not None:
                self.record_status(change.session, change.ticket, status, when, change.author)
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
        with self.changing(ticket_id, expected_version, when, author) as change:
            change.append("note", body)
        return self.ticket(ticket_id)

    def customer_message(
        self, ticket_id: int, body: str, at: str | None = None, expected_version: int | None = None
    ) -> TicketDetail:
        """The customer writes again; a paused or solved ticket reopens (SPEC §3.6)."""
        self.check_body(body, "the message")
        when = self.instant(at)
        reopen_to = self.policy.statuses.reopen_to
        with self.changing(ticket_id, expected_version, when, by_customer=True) as change:
            change.append("customer_message", body)
            if change.ticket.status_category in ("paused", "solved"):
                author = change.author or "customer"
                self.record_status(change.session, change.ticket, reopen_to, when, author)
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
        self._check_new_fields(ticket_id, status, priority)
        tags = [_clean_tag(t) for t in tags]
        untags = [_clean_tag(t) for t in untags]
        due = self._due_override(due_resolution)
        when = self.instant(at)

        def assignee_known(session: Session) -> None:
            if assignee is not None and assignee not in set(session.exec(select(Operator.name))):
                raise BadInput(
                    f"no operator named {assignee!r} to assign (tui-desk operator add {assignee})"
                )

        with self.changing(
            ticket_id, expected_version, when, author, check=assignee_known
        ) as change:
            new_assignee = assignee if assignee is not None or unassign else KEEP
            changed = self._change_fields(change, priority, new_assignee, tags, untags)
            if due_resolution is not None:
                data = {"clock": "resolution", "due": utc_text(due)}
                change.append("due", None, data)
                changed = True
            if status is not None and status != change.ticket.status:
                self.record_status(change.session, change.ticket, status, when, change.author)
                changed = True
            if not changed:
                raise BadInput(
                    f"nothing to change on ticket #{ticket_id}; give --status, --priority, --assignee, --tag, --untag or --due-resolution"
                )
        return self.ticket(ticket_id)

    def _check_new_fields(self, ticket_id: int, status: str | None, priority: str | None) -> None:
        """`ticket set`'s refusals of a status or priority, before anything is read."""
        if status is not None:
            self.check_status(status)
            if status == MERGED_STATUS:
                raise BadInput(
                    f"a merged ticket needs the ticket it was merged into: "
                    f"tui-desk ticket merge {ticket_id} --into TARGET"
                )
        if priority is not None:
            self.check_priority(priority)

    def _due_override(self, due_resolution: str | None) -> datetime | None:
        """`--due-resolution`: an instant, or None for "none"/"auto" (back to the SLA's)."""
        if due_resolution is None or due_resolution.lower() in ("", "none", "auto"):
            return None
        return parse_instant(due_resolution, self.policy.desk.timezone)

    def _change_fields(
        self,
        change: TicketChange,
        priority: str | None,
        assignee: str | None | Keep,
        tags: Sequence[str],
        untags: Sequence[str],
    ) -> bool:
        """Priority, assignee and tags (`field_changes`): their events and the rows they
        change. Whether anything changed."""
        session, ticket = change.session, change.ticket
        current: set[str] = set()
        if tags or untags:
            current = set(
                session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))
            )
        changes = field_changes(
            ticket.priority,
            ticket.assignee,
            current,
            priority=priority,
            assignee=assignee,
            tags=tags,
            untags=untags,
        )
        for kind, data in changes:
            change.append(kind, None, data)
            if kind == "priority":
                ticket.priority = data["to"]
                ticket.priority_rank = self.policy.priorities.rank(data["to"])
            elif kind == "assignee":
                ticket.assignee = data["to"]
            else:
                assert ticket.id is not None
                for tag in data["added"]:
                    session.add(TicketTag(ticket_id=ticket.id, tag=tag))
                for tag in data["removed"]:
                    session.execute(
                        sa.delete(TicketTag).where(
                            col(TicketTag.ticket_id) == ticket.id, col(TicketTag.tag) == tag
                        )
                    )
        return bool(changes)

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
        with self.changing(ticket_id, expected_version, when, by_customer=True) as change:
            change.append("csat", comment, {"score": score, "comment": comment})
        return self.ticket(ticket_id)


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


def _clean_tag(tag: str) -> str:
    tag = single_line(tag).lower()
    if not tag or any(ch.isspace() for ch in tag):
        raise BadInput(f"{tag!r} is not a tag; tags are single words like billing or vip")
    return tag
