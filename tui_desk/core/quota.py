"""Contracts and quota periods (SPEC §1, §3.1, §4): which contract a ticket falls under,
the quota period around an instant, and what a period's usage means.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
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
        if self.customer_id != other.customer_id:
            return False
        if not same_product(self.product, other.product):
            return False
        self_end = self.end or date.max
        other_end = other.end or date.max
        return self.start <= other_end and other.start <= self_end


def same_product(a: str | None, b: str | None) -> bool:
    """Product names compare without regard to case or surrounding space: a rule that sets
    `product = "securevault"` must find a contract added with `--product SecureVault`."""
    return _product_key(a) == _product_key(b)


def _product_key(product: str | None) -> str | None:
    key = product.strip().casefold() if product else None
    return key or None


def select_contract(
    contracts: list[ContractTerms], product: str | None, day: date
) -> ContractTerms | None:
    """SPEC §3.1(2): the contract for the ticket's product active that day, else the one
    with no product, else none. Among several candidates the latest start wins."""
    active = [c for c in contracts if c.active_on(day)]
    wanted_product = _product_key(product)
    for wanted in ([wanted_product] if wanted_product else []) + [None]:
        matching = [c for c in active if _product_key(c.product) == wanted]
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


def period_unit(plan: Plan) -> str:
    """week | month | quarter | year | term; "month" for an unlimited plan (see below)."""
    return plan.quota_per or ("month" if plan.quota_tickets is None else "term")


def quota_period(
    plan: Plan, contract: ContractTerms, at: datetime, desk_tz: str, week_starts: str = "monday"
) -> QuotaPeriod:
    """The quota period containing `at` (SPEC §4.1), bounds at midnight in the desk's zone.

    An unlimited plan has no period of its own; its usage is shown per month (anchored as
    the plan says), which is what people ask of it: "how much did they use this month?"
    """
    zone = ZoneInfo(desk_tz)
    day = at.astimezone(zone).date()
    per = period_unit(plan)
    if per == "term":
        return contract_term(contract, desk_tz)
    if plan.anchor == "contract":
        first, after = _contract_bounds(per, day, contract.start)
    else:
        first, after = _calendar_bounds(per, day, week_starts)
    return QuotaPeriod(_midnight(first, zone), _midnight(after, zone))


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


MIN_PACE_WINDOW = timedelta(days=1)


def forecast_exhaustion(
    used: int,
    limit: int | None,
    period: QuotaPeriod,
    now: datetime,
    since: datetime | None = None,
) -> datetime | None:
    """At the current pace, when the period's quota runs out — if before the period ends.

    The pace is the credits used so far over the time elapsed since `since` (the later of
    the period's and the contract's start; default the period's start), and never over
    less than `MIN_PACE_WINDOW`, so that two tickets in the first hour of a month do not
    predict an exhausted quota by lunchtime. No forecast for unlimited or open-ended
    quotas, for a quota already used up, or before anything was used.
    """
    if limit is None or period.end is None or used == 0 or used >= limit:
        return None
    start = max(period.start, since) if since is not None else period.start
    if now <= start:
        return None
    elapsed = max((now - start).total_seconds(), MIN_PACE_WINDOW.total_seconds())
    pace = used / elapsed  # credits per second
    seconds_left = (limit - used) / pace
    if seconds_left >= (period.end - now).total_seconds():
        return None  # decided before the sum, which could overflow for a large quota
    exhausted = now + timedelta(seconds=seconds_left)
    exhausted = exhausted.replace(microsecond=0)
    return exhausted if exhausted < period.end else None


# ----------------------------------------------------------------------------------------
# A contract's standing at an instant (the quota panel, SPEC §4.4)

ContractState = Literal["upcoming", "active", "expiring", "expired"]
UsageLevel = Literal["normal", "high", "exhausted", "expired"]
HIGH_SHARE = 0.8


def contract_term(contract: ContractTerms, desk_tz: str) -> QuotaPeriod:
    """The contract's whole term as instants: from midnight of its start date to midnight
    after its (inclusive) end date in the desk's zone; `end` None when open-ended."""
    zone = ZoneInfo(desk_tz)
    end = None if contract.end is None else _midnight(contract.end + timedelta(days=1), zone)
    return QuotaPeriod(_midnight(contract.start, zone), end)


def contract_state(
    plan: Plan | None, contract: ContractTerms, now: datetime, desk_tz: str
) -> ContractState:
    """upcoming before the start; expired from the end; expiring within the plan's
    `expiry_warning` (whole calendar days, plus any hours) before the end; else active."""
    term = contract_term(contract, desk_tz)
    if now < term.start:
        return "upcoming"
    if term.end is None:
        return "active"
    if now >= term.end:
        return "expired"
    warning = plan.expiry_warning if plan is not None else None
    if warning is not None:
        lead = timedelta(days=warning.days, seconds=warning.seconds)
        if now >= term.end - lead:
            return "expiring"
    return "active"


def standing_period(
    plan: Plan, contract: ContractTerms, now: datetime, desk_tz: str, week_starts: str = "monday"
) -> QuotaPeriod:
    """The period the panel shows at `now`: the current one; the first one for a contract
    that has not started; the last one for a contract that has ended."""
    term = contract_term(contract, desk_tz)
    at = now
    if at < term.start:
        at = term.start
    elif term.end is not None and at >= term.end:
        at = term.end - timedelta(seconds=1)
    return quota_period(plan, contract, at, desk_tz, week_starts)


def resets_at(period: QuotaPeriod, term: QuotaPeriod, state: ContractState) -> datetime | None:
    """When usage next starts from zero: the period's end, unless the contract ends first
    (or is over), or the period is the whole term."""
    if state == "expired" or period.end is None:
        return None
    if term.end is not None and period.end >= term.end:
        return None
    return period.end


def usage_level(used: int, limit: int | None, state: ContractState) -> UsageLevel:
    """The panel's colour: expired, exhausted (nothing left), high (≥ 80 % used), normal."""
    if state == "expired":
        return "expired"
    if limit is None:
        return "normal"
    if used >= limit:
        return "exhausted"
    if used >= HIGH_SHARE * limit:
        return "high"
    return "normal"
