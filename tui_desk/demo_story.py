"""A generated ticket's life for `tui-desk demo`: the conversation played from its
creation up to now (assignment, replies, notes, pauses, solves, recent customer messages),
the desk story that makes "now" look like a healthy but busy desk, and the cheap pieces
(whole-second steps, memoized event texts) that keep 100k tickets fast. Decided by one
seeded generator, so a seed and an instant always give the same lives.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from tui_desk.core.calendar import WorkingCalendar
from tui_desk.core.policy import Policy
from tui_desk.services.seeding import GeneratedTicket

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
EMPTY = "{}"  # the data of an event that has none


def whole_seconds_later(
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


class Steps(dict[int, timedelta]):
    """timedelta(seconds=n), made once per n: a conversation's steps are whole seconds up
    to 2000 minutes, so a few tens of thousands of them serve millions of steps."""

    def __missing__(self, whole: int) -> timedelta:
        step = self[whole] = timedelta(0, whole)
        return step


class DataTexts:
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


class DeskStory:
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


class TicketLife:
    """One ticket's life being played (`play`): the instant reached so far and who works
    on it."""

    def __init__(
        self,
        rng: random.Random,
        policy: Policy,
        t: GeneratedTicket,
        email: str,
        now: datetime,
        texts: DataTexts,
        steps: Steps,
    ) -> None:
        self.rng, self.policy, self.t, self.email, self.now = rng, policy, t, email, now
        self.statuses = policy.statuses
        self.texts, self.steps = texts, steps
        self.age = (now - t.created).total_seconds()
        self.clock = t.created
        self.operator = t.assignee or rng.choice(["ana", "ben", "chloe", None])

    def play(self, story: DeskStory) -> None:
        """A plausible life up to now: assignment, replies, notes, pauses, solve."""
        if not self.opened():
            return  # fresh and untouched: a running first-response clock
        days_old = self.age / 86400
        # A busy but healthy desk: few tickets wait for a first answer for long; the odd
        # one of the last two weeks slips through (the breached and escalated tickets).
        slips = 0.05 if days_old < 0.25 else 0.002 if days_old < 14 else 0.0
        if story.forgotten(self.t, self.now) or self.rng.random() < slips:
            return  # nobody answered yet
        if not self.answered() or self.closed(days_old):
            return
        self.parked(days_old)
        self.customer_writes_back(story)

    def later(self, max_minutes: float) -> datetime | None:
        """The clock moved on by a random 2 to `max_minutes` minutes, truncated to whole
        seconds (None if that reaches now)."""
        # rng.uniform(2, max_minutes), spelled out: the same draw, one call fewer.
        minutes = 2 + (max_minutes - 2) * self.rng.random()
        step = whole_seconds_later(self.clock, minutes=minutes, steps=self.steps)
        if step >= self.now:
            return None
        self.clock = step
        return step

    def set_status(self, at: datetime, status: str) -> None:
        t = self.t
        if status != t.status:
            data = self.texts.changes[t.status, status]
            t.events.append((at, "status", self.operator or "ana", None, data))
            t.status = status

    def opened(self) -> bool:
        """Assignment, and for all but fresh untouched tickets the odd note or priority
        raise; False when the ticket stays fresh and untouched."""
        t, random_, changes = self.t, self.rng.random, self.texts.changes
        if self.operator and (at := self.later(30)):
            t.events.append((at, "assignee", "ana", None, changes[None, self.operator]))
            t.assignee = self.operator
        if self.age < 3600 and random_() < 0.7:
            return False
        if random_() < 0.15 and (at := self.later(90)):
            t.events.append((at, "note", self.operator or "ana", self.rng.choice(NOTES), EMPTY))
        if random_() < 0.08 and (at := self.later(60)):
            new = self.policy.priorities.order[0]
            if new != t.priority:
                data = changes[t.priority, new]
                t.events.append((at, "priority", self.operator or "ana", None, data))
                t.priority = new
        return True

    def answered(self) -> bool:
        """Rounds of replies and customer follow-ups; False when they reach now."""
        t, statuses, random_, choice = self.t, self.statuses, self.rng.random, self.rng.choice
        rounds = choice([1, 1, 1, 2, 2, 3])
        for round_ in range(rounds):
            # The first answer comes fast; later ones as the work allows.
            at = self.later(choice([10, 25, 45, 90] if round_ == 0 else [20, 60, 240]))
            if at is None:
                return False
            t.events.append((at, "reply", self.operator or "ben", choice(REPLIES), EMPTY))
            if random_() < 0.75:
                self.set_status(at, choice(statuses.paused))  # waiting on the customer
            elif t.status == statuses.initial:
                self.set_status(at, statuses.reopen_to)  # the first answer takes it in hand
            if round_ < rounds - 1 and random_() < 0.55:
                follow = self.later(choice([60, 600, 2000]))
                if follow is None:
                    return False
                t.events.append((follow, "customer_message", self.email, choice(FOLLOW_UPS), EMPTY))
                if statuses.category(t.status) in ("paused", "solved"):
                    self.set_status(follow, statuses.reopen_to)
        return True

    def closed(self, days_old: float) -> bool:
        """Solved (with the odd satisfaction score) or void; True if so."""
        t, random_, choice = self.t, self.rng.random, self.rng.choice
        # Old tickets are mostly done; the open backlog is mostly recent, as on a healthy desk.
        solve_odds = (
            0.35 if days_old < 1 else 0.7 if days_old < 4 else 0.93 if days_old < 14 else 0.99
        )
        if random_() < solve_odds and (at := self.later(600)):
            self.set_status(at, self.statuses.solved[0])
            if random_() < 0.35 and (csat_at := self.later(600)):
                score = choice([5, 5, 4, 4, 3, 2, 1])
                data = self.texts(score=score, comment=None)
                t.events.append((csat_at, "csat", self.email, None, data))
            return True
        if random_() < 0.03 and (at := self.later(120)):
            self.set_status(at, self.statuses.void[0])
            return True
        return False

    def parked(self, days_old: float) -> None:
        """What stays open past a few hours waits on the customer or on engineering, save
        for the odd ticket of the last two weeks left active (and soon overdue)."""
        statuses, random_ = self.statuses, self.rng.random
        parks = statuses.category(self.t.status) == "active" and days_old > 0.5
        parks = parks and (days_old > 14 or random_() < 0.9)
        if parks and (at := self.later(60)):
            self.set_status(at, self.rng.choice(statuses.paused))

    def customer_writes_back(self, story: DeskStory) -> None:
        """The customer writes back within the last hours: recent activity, and a running
        next-response clock (SPEC §3.2). Where that clock has a target, the message is
        placed that far back in working time that about half of those clocks are on
        track, a third at risk and the odd one breached (escalation levels 1 and 2)."""
        t, random_, now = self.t, self.rng.random, self.now
        target = story.target(t.sla, t.priority, "next_response")
        if random_() >= (0.3 if target is None else 0.5):
            return
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
        if follow > self.clock:
            if standing is not None:
                story.shown(standing)
            self.clock = follow
            t.events.append(
                (follow, "customer_message", self.email, self.rng.choice(FOLLOW_UPS), EMPTY)
            )
            if self.statuses.category(t.status) in ("paused", "solved"):
                self.set_status(follow, self.statuses.reopen_to)
