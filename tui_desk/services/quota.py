"""Quota standing of every contract (SPEC §4.2, §4.4): the Plans & quotas panel, `tui-desk
quota` and the ticket screen's quota line, counted in SQL with one aggregate per call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

from tui_desk.core.durations import format_span
from tui_desk.core.policy import Plan, Policy
from tui_desk.core.quota import (
    ContractState,
    ContractTerms,
    QuotaPeriod,
    UsageLevel,
    contract_state,
    contract_term,
    forecast_exhaustion,
    period_unit,
    resets_at,
    standing_period,
    usage_level,
)
from tui_desk.services.base import DeskBase, utc_text
from tui_desk.store.lite import Reader, to_db

if TYPE_CHECKING:
    from tui_desk.services.listing import TicketSummary

# Contracts per aggregate statement: 3 bound values each stays far below SQLite's
# (32,766) and PostgreSQL's (65,535) limits on parameters.
_CHUNK = 5_000
_ONE_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ContractQuota:
    """One contract's quota at an instant. `limit` None is unlimited; `period_end` None is
    an open-ended term. Counts exclude void tickets (their credit went back)."""

    contract_id: int
    customer: str
    plan: str
    product: str | None
    per: str  # week | month | quarter | year | term
    period_start: datetime
    period_end: datetime | None
    limit: int | None
    used: int
    remaining: int | None
    over_quota: int
    billable: int
    resets_at: datetime | None
    starts_at: datetime
    expires_at: datetime | None  # the instant the contract ends (midnight after its end date)
    state: ContractState  # upcoming | active | expiring | expired
    forecast_exhausted_at: datetime | None
    share: float | None  # used / limit (may exceed 1); None when unlimited
    level: UsageLevel  # normal | high (≥ 80 %) | exhausted | expired

    def to_json(self) -> dict[str, Any]:
        """The `quota --json` item (SPEC §7), plus `contract_id`, `per`, `state`, `level`."""
        return {
            "contract_id": self.contract_id,
            "customer": self.customer,
            "plan": self.plan,
            "product": self.product,
            "per": self.per,
            "period_start": utc_text(self.period_start),
            "period_end": utc_text(self.period_end),
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "over_quota": self.over_quota,
            "billable": self.billable,
            "resets_at": utc_text(self.resets_at),
            "expires_at": utc_text(self.expires_at),
            "forecast_exhausted_at": utc_text(self.forecast_exhausted_at),
            "state": self.state,
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class _Window:
    contract: ContractTerms
    customer: str
    plan: Plan
    known_plan: bool
    period: QuotaPeriod
    term: QuotaPeriod
    state: ContractState
    until: datetime  # count tickets created before this: the period's end, or just after now


@dataclass
class _Usage:
    used: int = 0
    over_quota: int = 0
    billable: int = 0

    def add(self, sign: int, over_quota: bool, billable: bool) -> None:
        self.used += sign
        self.over_quota += sign * int(over_quota)
        self.billable += sign * int(billable)


def quota_overview(
    desk: DeskBase, now: datetime | None = None, *, contract_ids: tuple[int, ...] = ()
) -> list[ContractQuota]:
    """Every contract's standing at `now` (default: the desk's now), ordered by customer,
    product and start; `contract_ids` narrows it to those contracts.

    Usage counts the tickets created under each contract in its current period up to and
    including `now` that were not void at `now`, so that `--now` anywhere in history gives
    the figures the panel showed then.
    """
    now = (now or desk.now()).astimezone(UTC)
    policy = desk.policy
    # One read transaction: the contracts and their counts come from one snapshot.
    with desk.reading() as reader:
        sql = _CONTRACTS
        if contract_ids:
            sql += f" WHERE contract.id IN ({', '.join('?' * len(contract_ids))})"
        rows = reader.rows(sql, contract_ids)
        windows = [
            _window(policy, now, cid, customer_id, plan, product, start, end, name)
            for cid, customer_id, plan, product, start, end, name in rows
        ]
        usage: dict[int, _Usage] = {w.contract.id: _Usage() for w in windows}
        for start in range(0, len(windows), _CHUNK):
            chunk = windows[start : start + _CHUNK]
            _count_usage(reader, chunk, now, usage)
            _correct_for_later_status_changes(reader, policy, chunk, now, usage)
    windows.sort(key=lambda w: (w.customer.casefold(), w.contract.product or "", w.contract.start))
    return [_standing(w, usage[w.contract.id], now) for w in windows]


def contract_quota(
    desk: DeskBase, contract_id: int, now: datetime | None = None
) -> ContractQuota | None:
    """One contract's standing, or None when there is no such contract."""
    found = quota_overview(desk, now, contract_ids=(contract_id,))
    return found[0] if found else None


def _window(
    policy: Policy,
    now: datetime,
    contract_id: int,
    customer_id: int,
    plan_name: str,
    product: str | None,
    start: date | str,
    end: date | str | None,
    customer: str,
) -> _Window:
    terms = ContractTerms(contract_id, customer_id, plan_name, product, _day(start), _day(end))
    desk_tz = policy.desk.timezone
    plan = policy.plans.get(plan_name)
    known = plan is not None
    if plan is None:
        # A plan since removed from the policy: still show the contract, as unlimited.
        plan = Plan(name=plan_name, sla="", quota_tickets=None, quota_per=None)
    period = standing_period(plan, terms, now, desk_tz, policy.desk.week_starts)
    term = contract_term(terms, desk_tz)
    state = contract_state(plan if known else None, terms, now, desk_tz)
    until = now + _ONE_TICK
    if period.end is not None and period.end < until:
        until = period.end
    return _Window(terms, customer, plan, known, period, term, state, until)


_CONTRACTS = (
    "SELECT contract.id, contract.customer_id, contract.plan, contract.product,"
    ' contract.start, contract."end", customer.name'
    " FROM contract JOIN customer ON customer.id = contract.customer_id"
)
# The windows travel in front of each statement as a VALUES list: (contract, counted from,
# counted until, now). Tickets created in a window, joined through the covering index
# ix_ticket_quota_usage: one index range per contract, the table untouched.
_IN_WINDOW = (
    "FROM quota_window JOIN ticket ON ticket.contract_id = quota_window.cid"
    " AND ticket.created_at >= quota_window.lo AND ticket.created_at < quota_window.hi"
)
# Per contract: tickets created in its window that are not void today.
_USAGE = (
    "SELECT ticket.contract_id, count(*),"
    " sum(CASE WHEN ticket.over_quota THEN 1 ELSE 0 END),"
    " sum(CASE WHEN ticket.billable THEN 1 ELSE 0 END) "
    + _IN_WINDOW
    + " WHERE ticket.status_category != 'void' GROUP BY ticket.contract_id"
)
# The events after `asof` of the windows' tickets. No filter on `kind`: the event table's
# (ticket_id) index must drive this join, not its (kind) one.
_LATER_EVENTS = (
    "SELECT ticket.id, ticket.contract_id, ticket.status_category, ticket.over_quota,"
    " ticket.billable, event.kind, event.data "
    + _IN_WINDOW
    + " JOIN event ON event.ticket_id = ticket.id AND event.at > quota_window.asof"
    " ORDER BY event.ticket_id, event.at, event.id"
)


def _run_over_windows(
    reader: Reader, statement: str, windows: list[_Window], now: datetime
) -> list[tuple[Any, ...]]:
    """`statement` with the `quota_window` rows (contract, from, until, now) in front."""
    asof = to_db(now)
    params: list[Any] = []
    for window in windows:
        params += [window.contract.id, to_db(window.period.start), to_db(window.until), asof]
    values = ", ".join(["(?, ?, ?, ?)"] * len(windows))
    sql = f"WITH quota_window (cid, lo, hi, asof) AS (VALUES {values}) {statement}"
    return reader.rows(sql, params)


def _count_usage(
    reader: Reader, windows: list[_Window], now: datetime, usage: dict[int, _Usage]
) -> None:
    """The one aggregate: per contract, tickets created in its window and not void now."""
    if not windows:
        return
    for contract_id, used, over, billable in _run_over_windows(reader, _USAGE, windows, now):
        usage[contract_id] = _Usage(int(used), int(over or 0), int(billable or 0))


def _correct_for_later_status_changes(
    reader: Reader,
    policy: Policy,
    windows: list[_Window],
    now: datetime,
    usage: dict[int, _Usage],
) -> None:
    """Evaluate void-ness at `now`, not today: a ticket's status at `now` differs from its
    current one only if it changed after `now`, and it was then the `from` of its first
    status change after `now`. At the present nothing changed later, which one probe of the
    event-time index tells; for a `now` in the past, the window's tickets' later events are
    read (bounded by the periods' sizes, however far back `now` is)."""
    if not windows:
        return
    if reader.value("SELECT id FROM event WHERE at > ? LIMIT 1", (to_db(now),)) is None:
        return
    events = _run_over_windows(reader, _LATER_EVENTS, windows, now)
    seen: set[int] = set()
    for ticket_id, contract_id, category, over, billable, kind, data in events:
        if kind != "status" or ticket_id in seen:
            continue
        seen.add(ticket_id)
        status_then = json.loads(data or "{}").get("from")
        void_then = status_then in policy.statuses.void
        void_now = category == "void"
        if void_then != void_now:
            usage[contract_id].add(-1 if void_then else 1, bool(over), bool(billable))


def _standing(w: _Window, usage: _Usage, now: datetime) -> ContractQuota:
    limit = w.plan.quota_tickets
    since = w.term.start
    forecast = (
        forecast_exhaustion(usage.used, limit, w.period, now, since=since)
        if w.state in ("active", "expiring")
        else None
    )
    if forecast is not None and w.term.end is not None and forecast >= w.term.end:
        forecast = None  # the contract ends before the quota would run out
    return ContractQuota(
        contract_id=w.contract.id,
        customer=w.customer,
        plan=w.plan.name,
        product=w.contract.product,
        per=period_unit(w.plan),
        period_start=w.period.start.astimezone(UTC),
        period_end=w.period.end.astimezone(UTC) if w.period.end else None,
        limit=limit,
        used=usage.used,
        remaining=None if limit is None else max(0, limit - usage.used),
        over_quota=usage.over_quota,
        billable=usage.billable,
        resets_at=_utc(resets_at(w.period, w.term, w.state)),
        starts_at=w.term.start.astimezone(UTC),
        expires_at=_utc(w.term.end),
        state=w.state,
        forecast_exhausted_at=_utc(forecast),
        share=None if not limit else usage.used / limit,
        level=usage_level(usage.used, limit, w.state),
    )


@overload
def _day(value: date | str) -> date: ...
@overload
def _day(value: date | str | None) -> date | None: ...
def _day(value: date | str | None) -> date | None:
    """A stored day: text on SQLite, a date from drivers with a native type."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


# ----------------------------------------------------------------------------------------
# The ticket screen's quota line

_PERIOD_WORDS = {
    "week": "this week",
    "month": "this month",
    "quarter": "this quarter",
    "year": "this year",
    "term": "this term",
}


def format_day(value: datetime, desk_tz: str, now: datetime) -> str:
    """`1 Dec` in the desk's zone, with the year when it is not the year of `now`."""
    zone = ZoneInfo(desk_tz)
    local = value.astimezone(zone)
    text = f"{local.day} {local:%b}"
    return text if local.year == now.astimezone(zone).year else f"{text} {local.year}"


def _last_day(end: datetime) -> datetime:
    """The last covered day of a half-open range ending at midnight."""
    return end - timedelta(seconds=1)


def period_text(quota: ContractQuota, desk_tz: str, now: datetime) -> str:
    """`1 Nov – 30 Nov`, inclusive local dates; `since 1 Jan 2026` for an open term."""
    start = format_day(quota.period_start, desk_tz, now)
    if quota.period_end is None:
        return f"since {start}"
    return f"{start} – {format_day(_last_day(quota.period_end), desk_tz, now)}"


def usage_text(quota: ContractQuota) -> str:
    """`18/20`, or `7/∞` for an unlimited plan."""
    return f"{quota.used}/{'∞' if quota.limit is None else quota.limit}"


def usage_bar(quota: ContractQuota, width: int = 8) -> str:
    """`█████░░░` filled to the share used (full when over); dotted when unlimited."""
    if quota.share is None:
        return "·" * width
    filled = min(width, round(quota.share * width))
    if quota.used and not filled:
        filled = 1  # something used shows as something
    return "█" * filled + "░" * (width - filled)


def until_text(instant: datetime | None, now: datetime) -> str:
    """`in 8d 3h`, or `—` when there is no such instant."""
    if instant is None:
        return "—"
    # Wall-clock time to a period boundary, so a day is 24 h (not a working day).
    return "in " + format_span(max(0.0, (instant - now).total_seconds()), day_seconds=86_400)


def expiry_text(quota: ContractQuota, desk_tz: str, now: datetime) -> str:
    """`open-ended`, `ends 28 Nov`, `ends 28 Nov (in 6d)` when expiring, `expired 29 Oct`,
    or `starts 1 Dec` for a contract that has not begun."""
    if quota.state == "upcoming":
        return f"starts {format_day(quota.starts_at, desk_tz, now)}"
    if quota.expires_at is None:
        return "open-ended"
    last = format_day(_last_day(quota.expires_at), desk_tz, now)
    if quota.state == "expired":
        return f"expired {last}"
    if quota.state == "expiring":
        return f"ends {last} ({until_text(quota.expires_at, now)})"
    return f"ends {last}"


def describe_quota(quota: ContractQuota, desk_tz: str, now: datetime) -> str:
    """`Acme · premium · 18 of 20 this month · resets 1 Dec` and its variations."""
    plan = quota.plan + (f" ({quota.product})" if quota.product else "")
    parts = [quota.customer, plan]
    period = _PERIOD_WORDS.get(quota.per, "this period")
    if quota.state == "expired":
        period = period.replace("this ", "in its last ")
    if quota.limit is None:
        parts.append(f"{quota.used} {period} · unlimited")
    else:
        usage = f"{quota.used} of {quota.limit} {period}"
        if quota.over_quota:
            usage += f" ({quota.over_quota} over quota)"
        parts.append(usage)
    if quota.state in ("expired", "upcoming"):
        parts.append(expiry_text(quota, desk_tz, now))
    elif quota.resets_at is not None:
        parts.append(f"resets {format_day(quota.resets_at, desk_tz, now)}")
    elif quota.expires_at is not None:
        parts.append(f"ends {format_day(_last_day(quota.expires_at), desk_tz, now)}")
    return " · ".join(parts)


def quota_line(desk: DeskBase, ticket: TicketSummary, now: datetime | None = None) -> str | None:
    """The ticket screen's quota line for the ticket's contract as it stands now, or None
    for a ticket under no contract."""
    if ticket.contract_id is None:
        return None
    now = (now or desk.now()).astimezone(UTC)
    quota = contract_quota(desk, ticket.contract_id, now)
    if quota is None:
        return None
    return describe_quota(quota, desk.policy.desk.timezone, now)
