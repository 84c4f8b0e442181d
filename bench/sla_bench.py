"""Prints how fast working-time deadlines and SLA clocks are computed (SPEC §3).

1. `WorkingCalendar.add_working` (one due instant) on a 09:00-18:00 Europe/Berlin calendar
   with German public holidays and two yearly ones, over 100k random (start, amount) pairs,
   side by side with `businesstimedelta` on the same inputs, and every disagreement,
   grouped by its cause. Budget: at least 20x faster than businesstimedelta.
2. `compute_sla` for one screen of 50 realistic tickets. Budget: under 2 ms. Then per
   ticket, and `running_deadlines` (the figures a store recompute caches) on the same ones.

    python bench/sla_bench.py [N]

`bench_compute_sla(n)` is reusable (e.g. by a store-level recompute bench).
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tui_desk.core.calendar import WorkingCalendar, to_epoch_us
from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.policy import CalendarSpec, Policy, build_policy
from tui_desk.core.sla import clock_log, compute_sla, running_deadlines

ZONE = "Europe/Berlin"
OFFICE_HOURS = ["09:00-18:00"]
YEARLY = [(12, 24), (12, 31)]
FIRST_DAY, LAST_DAY = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC)


def office_spec() -> CalendarSpec:
    return CalendarSpec(
        name="office",
        timezone=ZONE,
        week=tuple([((9 * 60, 18 * 60),)] * 5 + [(), ()]),
        yearly_holidays=frozenset(YEARLY),
        holiday_country="DE",
    )


def bench_policy() -> Policy:
    """The SPEC §2 example's standard SLA on the office calendar, with DE holidays."""
    weekdays = {day: OFFICE_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
    return build_policy(
        {
            "desk": {"timezone": ZONE, "default_sla": "standard"},
            "statuses": {
                "active": ["new", "open"],
                "paused": ["pending", "on_hold"],
                "solved": ["solved", "closed"],
                "void": ["spam", "merged"],
                "initial": "new",
                "reopen_to": "open",
            },
            "priorities": {"order": ["urgent", "high", "normal", "low"], "default": "normal"},
            "calendars": {
                "office": {
                    "timezone": ZONE,
                    **weekdays,
                    "holidays": [f"{m:02d}-{d:02d}" for m, d in YEARLY],
                    "holiday_country": "DE",
                }
            },
            "sla": {
                "standard": {
                    "calendar": "office",
                    "targets": {
                        "urgent": {
                            "first_response": "30m",
                            "next_response": "1h",
                            "resolution": "4h",
                        },
                        "high": {"first_response": "1h", "next_response": "2h", "resolution": "6h"},
                        "normal": {
                            "first_response": "1h",
                            "next_response": "4h",
                            "resolution": "12h",
                        },
                        "low": {"first_response": "4h"},
                    },
                }
            },
        }
    )


# --------------------------------------------------------------------------------------------
# 1. Due instants


def random_inputs(count: int, seed: int = 7) -> list[tuple[datetime, int]]:
    """(start, working seconds) over 2025-2027, 1 min to 5 working days.

    Half are arbitrary (start to the second, amount to the minute); half sit on the edges
    where implementations differ: starts on whole hours (interval starts and ends, nights,
    holidays) and whole-hour amounts, so many deadlines land exactly on 18:00.
    """
    rng = random.Random(seed)
    span = int((LAST_DAY - FIRST_DAY).total_seconds())
    inputs = []
    for index in range(count):
        offset = rng.randrange(span)
        if index % 2:
            inputs.append(
                (FIRST_DAY + timedelta(seconds=offset - offset % 3600), 3600 * rng.randrange(1, 45))
            )
        else:
            inputs.append(
                (FIRST_DAY + timedelta(seconds=offset), 60 * rng.randrange(1, 5 * 9 * 60))
            )
    return inputs


def time_per_call(
    function: Callable[[datetime, int], datetime], inputs, runs: int = 1
) -> tuple[float, list]:
    """Best µs per call over `runs` passes, and the results."""
    best, results = float("inf"), []
    for _ in range(runs):
        started = time.perf_counter()
        results = [function(start, seconds) for start, seconds in inputs]
        best = min(best, time.perf_counter() - started)
    return best / len(inputs) * 1e6, results


def businesstimedelta_adder() -> Callable[[datetime, int], datetime]:
    import businesstimedelta
    import holidays
    import pytz

    zone = pytz.timezone(ZONE)
    days: set[date] = set()
    for year in range(FIRST_DAY.year - 1, LAST_DAY.year + 3):
        days.update(holidays.country_holidays("DE", years=year))
        days.update(date(year, month, day) for month, day in YEARLY)
    workday = businesstimedelta.WorkDayRule(
        start_time=datetime.min.time().replace(hour=9),
        end_time=datetime.min.time().replace(hour=18),
        working_days=[0, 1, 2, 3, 4],
        tz=zone,
    )
    rules = businesstimedelta.Rules([workday, businesstimedelta.HolidayRule(sorted(days), tz=zone)])

    def add(start: datetime, seconds: int) -> datetime:
        return start + businesstimedelta.BusinessTimeDelta(rules, seconds=seconds)

    return add


def classify(
    calendar: WorkingCalendar, start: datetime, seconds: int, ours: datetime, theirs: datetime
) -> str:
    """Name the cause of one disagreement (checked against our own invariants)."""
    measured_ours = calendar.working_seconds(start, ours)
    measured_theirs = calendar.working_seconds(start, theirs)
    if measured_ours != seconds:
        return "BUG in tui-desk: our result does not measure back to the amount"
    if measured_theirs == seconds and theirs > ours:
        return "businesstimedelta lands on the next interval's start instead of an interval's end"
    if measured_theirs == seconds:
        return "same working time, different instant"
    return (
        f"businesstimedelta's result measures {measured_theirs - seconds:+} s of working time off"
    )


def bench_due_instants(count: int) -> None:
    calendar = WorkingCalendar.for_spec(office_spec())
    inputs = random_inputs(count)
    for start in (FIRST_DAY, LAST_DAY + timedelta(days=30)):
        calendar.add_working(start, 60)  # build the years' tables outside the timing
    ours_us, ours = time_per_call(calendar.add_working, inputs, runs=3)
    print(f"add_working (tui-desk)        {ours_us:8.2f} µs per due instant  ({count:,} inputs)")
    try:
        theirs_add = businesstimedelta_adder()
    except ImportError:
        print("businesstimedelta not installed: pip install -e '.[bench]'")
        return
    theirs_us, theirs = time_per_call(theirs_add, inputs)
    print(f"businesstimedelta             {theirs_us:8.2f} µs per due instant  (same inputs)")
    print(f"speed-up                      {theirs_us / ours_us:8.1f}x  (budget: >= 20x)")
    report_disagreements(calendar, inputs, ours, theirs)


def report_disagreements(calendar: WorkingCalendar, inputs, ours: list, theirs: list) -> None:
    disagreements: Counter[str] = Counter()
    examples: dict[str, tuple] = {}
    for (start, seconds), mine, other in zip(inputs, ours, theirs, strict=True):
        if other != mine:
            cause = classify(calendar, start, seconds, mine, other)
            disagreements[cause] += 1
            examples.setdefault(cause, (start, seconds, mine, other))
    print(f"disagreements                 {sum(disagreements.values())} of {len(inputs):,}")
    local = ZoneInfo(ZONE)
    for cause, number in disagreements.most_common():
        start, seconds, mine, other = examples[cause]
        print(f"  {number:6}  {cause}")
        print(
            f"          e.g. {start.astimezone(local):%a %Y-%m-%d %H:%M:%S} + {seconds} s: "
            f"ours {mine.astimezone(local):%a %m-%d %H:%M}, theirs {other.astimezone(local):%a %m-%d %H:%M}"
        )


# --------------------------------------------------------------------------------------------
# 2. Clocks of a screenful of tickets


PRIORITIES = ["urgent", "high", "normal", "normal", "normal", "low"]
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def sample_history(rng: random.Random, now: datetime = NOW) -> TicketHistory:
    """One ticket of the last two weeks before `now`, in the mix a queue shows."""
    created = now - timedelta(minutes=rng.randrange(10, 14 * 24 * 60))
    events = [TicketEvent(created, "customer_message", "c@example.com", "help", {}, 1)]
    status = "new"

    def add(kind: str, data: dict | None = None, gap: int | None = None) -> None:
        minutes = gap if gap is not None else rng.randrange(5, 600)
        at = min(now, events[-1].at + timedelta(minutes=minutes))
        events.append(TicketEvent(at, kind, "ana", None, data or {}, len(events) + 1))

    for _step in range(rng.choice([0, 1, 2, 2, 3, 4])):
        choice = rng.random()
        if choice < 0.35:
            add("reply")
            if rng.random() < 0.5:
                add("status", {"from": status, "to": "pending"}, gap=0)
                status = "pending"
        elif choice < 0.6:
            add("customer_message")
            if status != "open":
                add("status", {"from": status, "to": "open"}, gap=0)
                status = "open"
        elif choice < 0.7:
            add("note")
        elif choice < 0.8:
            add("priority", {"from": "normal", "to": rng.choice(PRIORITIES)})
        else:
            add("reply")
            add("status", {"from": status, "to": "solved"}, gap=0)
            status = "solved"
    return TicketHistory(created, rng.choice(PRIORITIES), "standard", "new", tuple(events))


def sample_histories(count: int, seed: int = 11) -> tuple[list[TicketHistory], datetime]:
    rng = random.Random(seed)
    return [sample_history(rng) for _ in range(count)], NOW


def bench_compute_sla(n: int, policy: Policy | None = None, repeat: int = 20) -> float:
    """Best µs to compute the clocks of `n` sample tickets (a screen is 50); returns it."""
    policy = policy or bench_policy()
    histories, now = sample_histories(n)
    for history in histories:
        compute_sla(policy, history, now)  # warm the calendar tables
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for history in histories:
            compute_sla(policy, history, now)
        best = min(best, time.perf_counter() - started)
    return best * 1e6


def bench_running_deadlines(n: int, policy: Policy | None = None, repeat: int = 3) -> float:
    """Best µs per ticket for what a store recompute computes of `n` sample tickets."""
    policy = policy or bench_policy()
    histories, now = sample_histories(n)
    logs, now_us = [clock_log(history) for history in histories], to_epoch_us(now)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for log in logs:
            running_deadlines(policy, log, now_us)
        best = min(best, time.perf_counter() - started)
    return best / n * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    bench_due_instants(count)
    per_screen = bench_compute_sla(50)
    events = sum(len(h.events) for h in sample_histories(50)[0])
    print(
        f"compute_sla, 50 tickets       {per_screen:8.0f} µs per screen  ({events} events; budget < 2000 µs)"
    )
    print(
        f"compute_sla, per ticket       {bench_compute_sla(1000, repeat=3) / 1000:8.1f} µs  (1,000 tickets)"
    )
    print(
        f"running_deadlines, per ticket {bench_running_deadlines(1000):8.1f} µs  "
        "(the same tickets, as a store recompute sees them)"
    )


if __name__ == "__main__":
    main()
