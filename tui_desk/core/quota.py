"""Contracts and quota periods (SPEC §1, §3.1, §4): which contract a ticket falls under,
the quota period around an instant, and what a period's usage means.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tui_desk.core.policy import Plan

_WEEK_START = {"monday": 0, "sunday": 6, "saturday": 5}
_PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """A contract as the core sees it. `end` is the last day covered (inclusive)."""

    id: int
    customer_id: int
    plan: str
    product: str | None
    start: date
    end: date | None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: ContractTerms) -> bool:
        """Same customer and product, and the date ranges share at least one day."""
        if self.customer_id != other.customer_id or self.product != other.product:
            return False
        self_end = self.end or date.max
        other_end = other.end or date.max
        return self.start <= other_end and other.start <= self_end


def select_contract(
    contracts: list[ContractTerms], product: str | None, day: date
) -> ContractTerms | None:
    """SPEC §3.1(2): the contract for the ticket's product active that day, else the one
    with no product, else none. Among several candidates the latest start wins."""
    active = [c for c in contracts if c.active_on(day)]
    for wanted in ([product] if product else []) + [None]:
        matching = [c for c in active if c.product == wanted]
        if matching:
            return max(matching, key=lambda c: (c.start, c.id))
    return None


def _add_months(day: date, months: int, anchor_day: int) -> date:
    """`day` moved by whole months onto `anchor_day`, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(anchor_day, last))


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    """A half-open period [start, end) of quota counting; `end` None for open-ended terms."""

    start: datetime
    end: datetime | None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _calendar_bounds(per: str, day: date, week_starts: str) -> tuple[date, date]:
    if per == "week":
        offset = (day.weekday() - _WEEK_START[week_starts]) % 7
        start = day - timedelta(days=offset)
        return start, start + timedelta(days=7)
    months = _PERIOD_MONTHS[per]
    first_month = ((day.month - 1) // months) * months + 1
    start = date(day.year, first_month, 1)
    return start, _add_months(start, months, 1)


def _contract_bounds(per: str, day: date, origin: date) -> tuple[date, date]:
    if per == "week":
        offset = (day - origin).days % 7
        start = day - timedelta(days=offset)
        return start, start + timedelta(days=7)
    months = _PERIOD_MONTHS[per]
    elapsed = (day.year - origin.year) * 12 + (day.month - origin.month)
    step = (elapsed // months) * months
    start = _add_months(origin, step, origin.day)
    if start > day:
        step -= months
        start = _add_months(origin, step, origin.day)
    return start, _add_months(origin, step + months, origin.day)


def quota_period(
    plan: Plan, contract: ContractTerms, at: datetime, desk_tz: str, week_starts: str = "monday"
) -> QuotaPeriod:
    """The quota period containing `at` (SPEC §4.1), bounds at midnight in the desk's zone."""
    zone = ZoneInfo(desk_tz)
    day = at.astimezone(zone).date()
    per = plan.quota_per or "term"
    if per == "term":
        end = None if contract.end is None else _midnight(contract.end + timedelta(days=1), zone)
        return QuotaPeriod(_midnight(contract.start, zone), end)
    if plan.anchor == "contract":
        start, end = _contract_bounds(per, day, contract.start)
    else:
        start, end = _calendar_bounds(per, day, week_starts)
    return QuotaPeriod(_midnight(start, zone), _midnight(end, zone))


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    """What happens to a new ticket under a contract (SPEC §4.3)."""

    over_quota: bool
    billable: bool
    keeps_sla: bool


def decide_overage(plan: Plan, used_before: int) -> QuotaDecision:
    """Ticket number `used_before + 1` of the period: always accepted, maybe over quota."""
    if plan.quota_tickets is None or used_before < plan.quota_tickets:
        return QuotaDecision(over_quota=False, billable=False, keeps_sla=True)
    billable = plan.overage == "billable"
    return QuotaDecision(over_quota=True, billable=billable, keeps_sla=billable)


def forecast_exhaustion(
    used: int, limit: int | None, period: QuotaPeriod, now: datetime
) -> datetime | None:
    """At the current pace, when the period's quota runs out — if before the period ends."""
    if limit is None or period.end is None or used == 0 or now <= period.start:
        return None
    if used >= limit:
        return None
    elapsed = (now - period.start).total_seconds()
    pace = used / elapsed  # tickets per second
    exhausted = now + timedelta(seconds=(limit - used) / pace)
    return exhausted if exhausted < period.end else None
