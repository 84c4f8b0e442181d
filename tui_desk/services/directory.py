"""Who is who at the desk: operators (and who acts for a write), customers with their
email domains and contacts, and their contracts (SPEC §1, §4.1). Also the checks of the
free text those carry: names and subjects on one line, email addresses.

`DirectoryDesk` is the base of `HelpDesk` (services.desk).
"""

from __future__ import annotations

import difflib
import getpass
import os
import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tui_desk.core.quota import ContractTerms
from tui_desk.core.roles import DEFAULT_ROLE, ROLES
from tui_desk.core.text import needs_care, single_line
from tui_desk.services.base import BadInput, NotFound, parse_day
from tui_desk.services.desk_store import StoreDesk
from tui_desk.store.engine import read_session, write_session
from tui_desk.store.models import Contact, Contract, Customer, CustomerDomain, Operator

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


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


class DirectoryDesk(StoreDesk):
    """Operators, customers and contracts of the desk's store."""

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
            assert customer.id is not None
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


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" — did you mean {close[0]!r}?" if close else ""
