"""Escalation (SPEC §5): levels reached per clock at their exact instants in working time,
de-escalation, actions, notifications (once; one summary after a long close), idempotent
passes (also from two processes), acknowledgements, the view's data, and the CLI (§7).

Times are Europe/Berlin (UTC+1 in November). 2026-11-16 is a Monday. Under
tests.policies.ESCALATION_POLICY a normal ticket opened Monday 09:00 warns at 10:30 (lead),
breaches its first response at 11:00 (manager) and reaches breach+2h at 13:00 (executive).
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli_runner import create_store, invoke
from tests.conftest import FrozenClock
from tests.policies import ESCALATION_POLICY
from tests.waiting import eventually
from tui_desk.core.escalation import escalation_timeline, recorded_escalation
from tui_desk.core.events import TicketEvent, TicketHistory
from tui_desk.core.policy import Policy
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.paths import log_dir
from tui_desk.services import (
    BadInput,
    EventView,
    HelpDesk,
    NotFound,
    acknowledge,
    escalation_overview,
    run_escalation_pass,
)
from tui_desk.store.engine import open_store

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    """ "2026-11-16 10:30" in Berlin."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def iso(text: str) -> str:
    return at(text).isoformat()


def escalation_policy(notify: list[str] | None = None, manager_sets: str | None = None) -> Policy:
    text = ESCALATION_POLICY.replace(
        "NOTIFY_COMMAND", f"notify_command = {json.dumps(notify)}" if notify else ""
    )
    if manager_sets:
        text = text.replace('set = { tags = ["escalated"] }', f"set = {manager_sets}")
    return parse_policy_text(text, "escalation.toml")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at("2026-11-16 09:00"))


@pytest.fixture
def open_desk(db_path: Path, clock: FrozenClock) -> Iterator[Callable[..., HelpDesk]]:
    """A desk on one store; call it again for another process's view (another policy)."""
    engines = []

    def _open(notify: list[str] | None = None, manager_sets: str | None = None) -> HelpDesk:
        engine = open_store(str(db_path), create=True)
        engines.append(engine)
        desk = HelpDesk(engine, escalation_policy(notify, manager_sets), now=clock)
        if not desk.operators():
            desk.add_operator("ana", "lead")
            desk.add_operator("ben", "agent")
        return desk

    yield _open
    for engine in engines:
        engine.dispose()


@pytest.fixture
def desk(open_desk: Callable[..., HelpDesk]) -> HelpDesk:
    return open_desk()


@pytest.fixture
def notifier(tmp_path: Path) -> tuple[list[str], Path]:
    """A notify_command that appends its arguments, as JSON, to a file: (argv, log)."""
    script = tmp_path / "notifier.py"
    log = tmp_path / "notified.jsonl"
    script.write_text(
        "import json, sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as out:\n"
        "    out.write(json.dumps(sys.argv[2:]) + '\\n')\n"
    )
    return [sys.executable, str(script), str(log), "{title}", "{body}", "{ticket}", "{level}"], log


def notified(log: Path, count: int) -> list[list[str]]:
    """The notifier's calls, once `count` of them have arrived (notifiers run detached)."""

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        lines = log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines] if len(lines) >= count else []

    return eventually(calls, f"{count} notifications")


def level_events(desk: HelpDesk, ticket_id: int) -> list[tuple[datetime, int, str, bool]]:
    """(at, level, clock, reached) of the ticket's escalation events, in log order."""
    return [
        (e.at, e.data["level"], e.data["clock"], e.data["reached"])
        for e in desk.ticket(ticket_id).events
        if e.kind == "escalation" and "reached" in e.data
    ]


def new_ticket(desk: HelpDesk, opened: str, subject: str = "Printer on fire", **kw) -> int:  # noqa: ANN003
    return desk.create_ticket("bo@acme.io", subject, at=iso(opened), **kw).ticket.id


# --------------------------------------------------------------------------------------------
# Levels at their instants, in working time


def test_a_ticket_breaching_at_11_reaches_breach_at_11_and_breach_plus_2h_at_13(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 14:00")
    report = run_escalation_pass(desk)
    assert [(r.name, r.clock, r.at) for r in report.reached] == [
        ("lead", "first_response", at("2026-11-16 10:30")),
        ("manager", "first_response", at("2026-11-16 11:00")),
        ("executive", "first_response", at("2026-11-16 13:00")),
    ]
    assert level_events(desk, ticket) == [
        (at("2026-11-16 10:30"), 1, "first_response", True),
        (at("2026-11-16 11:00"), 2, "first_response", True),
        (at("2026-11-16 13:00"), 3, "first_response", True),
    ]
    row = desk.ticket(ticket).ticket
    assert (row.escalation_level, row.escalation_name) == (3, "executive")


def test_breach_plus_2h_skips_the_lunch_break(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00", "[lunch] Printer on fire")
    clock.at = at("2026-11-16 15:00")
    run_escalation_pass(desk)
    # 11:00 + 1h to 12:00, lunch, + 1h from 13:00.
    assert [e[0] for e in level_events(desk, ticket)] == [
        at("2026-11-16 10:30"),
        at("2026-11-16 11:00"),
        at("2026-11-16 14:00"),
    ]


def test_breach_plus_2h_skips_the_night(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 15:00")
    clock.at = at("2026-11-17 12:00")
    run_escalation_pass(desk)
    # Breach at 17:00, one working hour to 18:00, the next from Tuesday 09:00.
    assert [e[0] for e in level_events(desk, ticket)] == [
        at("2026-11-16 16:30"),
        at("2026-11-16 17:00"),
        at("2026-11-17 10:00"),
    ]


def test_breach_plus_2h_skips_the_weekend(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-20 15:00")  # a Friday
    clock.at = at("2026-11-23 12:00")
    run_escalation_pass(desk)
    assert [e[0] for e in level_events(desk, ticket)] == [
        at("2026-11-20 16:30"),
        at("2026-11-20 17:00"),
        at("2026-11-23 10:00"),
    ]


def test_the_timeline_is_a_pure_function_of_the_log_and_now() -> None:
    policy = escalation_policy()
    opened = at("2026-11-16 09:00")
    history = TicketHistory(
        created_at=opened,
        priority="normal",
        sla="office",
        status="new",
        events=(
            TicketEvent(opened, "customer_message", "bo@acme.io", "help", {"opening": True}, 1),
            TicketEvent(at("2026-11-16 11:30"), "reply", "ana", "on it", {}, 2),
        ),
    )
    timeline = escalation_timeline(policy, history, at("2026-11-16 12:00"))
    assert [(s.at, s.level, s.clock) for s in timeline.steps] == [
        (at("2026-11-16 10:30"), 1, "first_response"),
        (at("2026-11-16 11:00"), 2, "first_response"),
        (at("2026-11-16 11:30"), 0, None),  # the reply meets the clock that caused it
    ]
    assert timeline.current.level == 0
    # The resolution clock (2d = 18h, warning at 75 %) is next: Tuesday 13:30.
    assert timeline.upcoming is not None
    assert (timeline.upcoming.name, timeline.upcoming.clock) == ("lead", "resolution")
    assert timeline.upcoming.at == at("2026-11-17 13:30")


def test_a_clock_paused_before_its_warning_never_warns_while_paused(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    desk.set_fields(ticket, status="pending", author="ana", at=iso("2026-11-16 09:30"))
    for later in ("2026-11-16 12:00", "2026-11-17 12:00", "2026-11-18 17:00"):
        clock.at = at(later)
        assert run_escalation_pass(desk).reached == ()
    assert level_events(desk, ticket) == []
    # Back to work Wednesday 17:00 with 30m accrued: warning after 60 more working minutes.
    desk.set_fields(ticket, status="open", author="ana", at=iso("2026-11-18 17:00"))
    clock.at = at("2026-11-19 09:10")
    run_escalation_pass(desk)
    assert level_events(desk, ticket) == [(at("2026-11-18 18:00"), 1, "first_response", True)]


def test_a_clock_paused_after_its_warning_keeps_its_level(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    desk.set_fields(ticket, status="pending", author="ana", at=iso("2026-11-16 10:45"))
    clock.at = at("2026-11-17 12:00")
    run_escalation_pass(desk)
    assert level_events(desk, ticket) == [(at("2026-11-16 10:30"), 1, "first_response", True)]
    assert desk.ticket(ticket).ticket.escalation_level == 1


def test_raising_the_priority_escalates_at_once(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 09:50")
    assert run_escalation_pass(desk).reached == ()
    # Urgent: a 30m first response, due 09:30 counted from the original start: breached now.
    clock.at = at("2026-11-16 10:00")
    desk.set_fields(ticket, priority="urgent", author="ana")
    clock.at = at("2026-11-16 10:05")
    run_escalation_pass(desk)
    assert level_events(desk, ticket) == [
        (at("2026-11-16 10:00"), 1, "first_response", True),
        (at("2026-11-16 10:00"), 2, "first_response", True),
    ]


def test_solving_the_ticket_de_escalates(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 11:30")
    run_escalation_pass(desk)
    desk.set_fields(ticket, status="solved", author="ana", at=iso("2026-11-16 11:40"))
    clock.at = at("2026-11-16 11:45")
    report = run_escalation_pass(desk)
    assert [(x.level, x.to, x.at) for x in report.left] == [(2, 0, at("2026-11-16 11:40"))]
    assert level_events(desk, ticket)[-1] == (at("2026-11-16 11:40"), 2, "first_response", False)
    row = desk.ticket(ticket).ticket
    assert (row.escalation_level, row.escalation_name) == (0, None)
    clock.at = at("2026-11-20 12:00")
    assert run_escalation_pass(desk).reached == ()  # solved tickets never escalate


def test_meeting_the_causing_clock_drops_to_the_level_another_clock_holds(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    # High: first response 1h (warns 09:45, breaches 10:00, +2h at 12:00); resolution 8h
    # (warns at 6h = 15:00).
    ticket = new_ticket(desk, "2026-11-16 09:00", priority="high")
    clock.at = at("2026-11-16 15:30")
    run_escalation_pass(desk)
    desk.reply(ticket, "Sorry for the wait", author="ana", at=iso("2026-11-16 16:00"))
    clock.at = at("2026-11-16 16:05")
    report = run_escalation_pass(desk)
    assert [(x.level, x.to, x.at) for x in report.left] == [(3, 1, at("2026-11-16 16:00"))]
    assert desk.ticket(ticket).ticket.escalation_level == 1
    assert escalation_overview(desk).escalated[0].clock == "resolution"


def test_closed_solved_and_void_tickets_never_escalate(desk: HelpDesk, clock: FrozenClock) -> None:
    solved = new_ticket(desk, "2026-11-16 09:00")
    desk.set_fields(solved, status="solved", author="ana", at=iso("2026-11-16 09:10"))
    spam = new_ticket(desk, "2026-11-16 09:00", "Cheap watches")
    desk.set_fields(spam, status="spam", author="ana", at=iso("2026-11-16 09:05"))
    clock.at = at("2026-11-18 12:00")
    assert run_escalation_pass(desk).reached == ()
    assert level_events(desk, solved) == level_events(desk, spam) == []


# --------------------------------------------------------------------------------------------
# Actions


def test_a_levels_action_runs_once_when_it_is_reached(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 11:30")
    run_escalation_pass(desk)
    run_escalation_pass(desk)
    detail = desk.ticket(ticket)
    tags = [e for e in detail.events if e.kind == "tags"]
    assert [(e.at, e.author, e.data["added"]) for e in tags] == [
        (at("2026-11-16 11:00"), "escalation", ["escalated"])
    ]
    assert detail.ticket.tags == ("escalated",)


def test_a_priority_action_is_recorded_like_ticket_set_and_moves_later_levels(
    open_desk: Callable[..., HelpDesk], clock: FrozenClock
) -> None:
    desk = open_desk(manager_sets='{ priority = "urgent" }')
    ticket = new_ticket(desk, "2026-11-16 09:00")
    version = desk.ticket(ticket).ticket.version
    clock.at = at("2026-11-16 14:00")
    run_escalation_pass(desk)
    detail = desk.ticket(ticket)
    change = [e for e in detail.events if e.kind == "priority"]
    assert [(e.at, e.author, e.data) for e in change] == [
        (at("2026-11-16 11:00"), "escalation", {"from": "normal", "to": "urgent"})
    ]
    assert detail.ticket.priority == "urgent" and detail.ticket.version == version + 1
    # Urgent targets apply from the start: the first response is now due 09:30, so the
    # clock is breached from the action itself at 11:00, and breach+2h counts from there:
    # 13:00, not 11:30 (which would fire the next level at once).
    assert [e[0] for e in level_events(desk, ticket)] == [
        at("2026-11-16 10:30"),
        at("2026-11-16 11:00"),
        at("2026-11-16 13:00"),
    ]
    queue_row = desk.queue()[0]
    assert queue_row.id == ticket and queue_row.next_deadline == at("2026-11-16 09:30")


# --------------------------------------------------------------------------------------------
# Notifications and catch-up


def test_levels_reached_while_running_notify_once_each(
    open_desk: Callable[..., HelpDesk], clock: FrozenClock, notifier: tuple[list[str], Path]
) -> None:
    command, log = notifier
    desk = open_desk(notify=command)
    ticket = new_ticket(desk, "2026-11-16 09:00")
    started = 0
    for when in ("2026-11-16 10:31", "2026-11-16 10:40", "2026-11-16 11:01", "2026-11-16 11:02"):
        clock.at = at(when)
        started += run_escalation_pass(desk).notifications
    assert started == 2
    calls = notified(log, 2)
    assert [(title, ticket_arg, level) for title, _body, ticket_arg, level in calls] == [
        (f"Escalation lead: #{ticket}", str(ticket), "lead"),
        (f"Escalation manager: #{ticket}", str(ticket), "manager"),
    ]
    assert "notify: manager" in calls[1][1]


def test_a_store_closed_for_a_week_gets_each_event_at_its_true_instant_and_one_summary(
    open_desk: Callable[..., HelpDesk], clock: FrozenClock, notifier: tuple[list[str], Path]
) -> None:
    command, log = notifier
    desk = open_desk(notify=command)
    first = new_ticket(desk, "2026-11-16 09:00")
    lunch = new_ticket(desk, "2026-11-16 09:00", "[lunch] Printer on fire")
    evening = new_ticket(desk, "2026-11-16 15:00")
    clock.at = at("2026-11-16 09:05")
    assert run_escalation_pass(desk).reached == ()
    clock.at = at("2026-11-23 09:05")  # a week later
    report = run_escalation_pass(desk)
    assert [e[0] for e in level_events(desk, first)] == [
        at("2026-11-16 10:30"),
        at("2026-11-16 11:00"),
        at("2026-11-16 13:00"),
    ]
    assert [e[0] for e in level_events(desk, lunch)][-1] == at("2026-11-16 14:00")
    assert [e[0] for e in level_events(desk, evening)][-1] == at("2026-11-17 10:00")
    assert len(report.reached) == 9
    assert report.summary and report.notifications == 1
    calls = notified(log, 1)
    assert len(calls) == 1
    title, body, tickets, level = calls[0]
    assert title == "9 escalations on 3 tickets while tui-desk was closed"
    assert tickets == f"{first},{lunch},{evening}" and level == "executive"
    assert len(body.splitlines()) == 9


def test_a_failing_notify_command_is_recorded_not_fatal(
    open_desk: Callable[..., HelpDesk], clock: FrozenClock, tmp_path: Path
) -> None:
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('no display\\n'); sys.exit(3)"]
    desk = open_desk(notify=failing)
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 10:31")
    report = run_escalation_pass(desk)
    assert [r.name for r in report.reached] == ["lead"]
    assert report.warnings == ()  # it started; its exit status comes later

    def failures() -> list[EventView]:
        events = desk.ticket(ticket).events
        return [e for e in events if e.data.get("notification") == "failed"]

    failure = eventually(failures, "the failed notification's event")
    assert [(e.at, e.data["name"]) for e in failure] == [(at("2026-11-16 10:31"), "lead")]
    assert desk.ticket(ticket).ticket.escalation_level == 1  # the escalation itself stands
    logged = log_dir() / "tui-desk.log"
    assert "exited with 3: no display" in logged.read_text(encoding="utf-8")
    assert f"#{ticket}" in logged.read_text(encoding="utf-8")

    missing = open_desk(notify=[str(tmp_path / "no-such-notifier"), "{title}"])
    clock.at = at("2026-11-16 11:01")
    report = run_escalation_pass(missing)
    assert [r.name for r in report.reached] == ["manager"]
    assert "not found" in report.warnings[0]


def test_a_subject_with_shell_metacharacters_reaches_the_notifier_as_one_literal_argument(
    open_desk: Callable[..., HelpDesk],
    clock: FrozenClock,
    notifier: tuple[list[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    command, log = notifier
    desk = open_desk(notify=command)
    subject = "Printer $(touch pwned); rm -rf ~ | cat `id` && echo \"{level}\" > out 'q' *"
    ticket = new_ticket(desk, "2026-11-16 09:00", subject)
    clock.at = at("2026-11-16 10:31")
    assert run_escalation_pass(desk).notifications == 1
    [call] = notified(log, 1)
    assert len(call) == 4  # title, body, ticket, level: nothing split, nothing added
    title, body, ticket_arg, level = call
    assert body.splitlines()[0] == f"#{ticket} {subject}"  # "{level}" stays literal too
    assert (ticket_arg, level) == (str(ticket), "lead")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# Idempotence


def test_running_the_pass_twice_records_each_event_once(desk: HelpDesk, clock: FrozenClock) -> None:
    tickets = [new_ticket(desk, "2026-11-16 09:00") for _ in range(3)]
    clock.at = at("2026-11-16 14:00")
    first = run_escalation_pass(desk)
    second = run_escalation_pass(desk)
    assert len(first.reached) == 9 and second.reached == () and second.checked == 0
    for ticket in tickets:
        assert len(level_events(desk, ticket)) == 3


def test_a_pass_at_an_earlier_instant_leaves_what_is_recorded_alone(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 14:00")
    run_escalation_pass(desk)
    recorded = level_events(desk, ticket)
    report = run_escalation_pass(desk, at("2026-11-16 10:00"))  # a clock set back
    assert report.reached == report.left == ()
    assert level_events(desk, ticket) == recorded
    assert desk.ticket(ticket).ticket.escalation_level == 3


def _pass_in_another_process(db: str, now: str, barrier, results) -> None:  # noqa: ANN001
    engine = open_store(db, create=True)
    desk = HelpDesk(engine, escalation_policy())
    barrier.wait(timeout=60)
    report = run_escalation_pass(desk, datetime.fromisoformat(now))
    results.put(len(report.reached))
    engine.dispose()


def test_two_processes_running_the_pass_at_once_record_each_event_once(
    desk: HelpDesk, db_path: Path
) -> None:
    tickets = [new_ticket(desk, "2026-11-16 09:00") for _ in range(40)]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(
            target=_pass_in_another_process,
            args=(str(db_path), iso("2026-11-16 14:00"), barrier, results),
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    reached = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(reached) == 3 * len(tickets)
    with sqlite3.connect(db_path) as conn:
        counts = conn.execute(
            "SELECT ticket_id, count(*) FROM event WHERE kind = 'escalation' GROUP BY ticket_id"
        ).fetchall()
        marks = conn.execute("SELECT count(*) FROM escalation_mark").fetchone()[0]
    assert sorted(counts) == [(ticket, 3) for ticket in tickets]
    assert marks == 3 * len(tickets)


# --------------------------------------------------------------------------------------------
# Acknowledgement


def test_acknowledging_records_who_and_when(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    quiet = new_ticket(desk, "2026-11-16 10:45")
    with pytest.raises(NotFound):
        acknowledge(desk, 999, "ana")
    clock.at = at("2026-11-16 10:40")
    run_escalation_pass(desk)
    with pytest.raises(BadInput, match="not escalated"):
        acknowledge(desk, quiet, "ana")
    done = acknowledge(desk, ticket, "ben")
    assert (done.level, done.name, done.by, done.at) == (1, "lead", "ben", at("2026-11-16 10:40"))
    event = desk.ticket(ticket).events[-1]
    assert (event.kind, event.author, event.data) == (
        "escalation_ack",
        "ben",
        {"level": 1, "name": "lead"},
    )
    with pytest.raises(BadInput, match="already acknowledged by ben"):
        acknowledge(desk, ticket, "ana")
    assert escalation_overview(desk).unacknowledged == 0


def test_a_higher_level_needs_a_new_acknowledgement(desk: HelpDesk, clock: FrozenClock) -> None:
    ticket = new_ticket(desk, "2026-11-16 09:00")
    clock.at = at("2026-11-16 10:40")
    run_escalation_pass(desk)
    acknowledge(desk, ticket, "ana")
    clock.at = at("2026-11-16 11:10")
    run_escalation_pass(desk)
    [row] = escalation_overview(desk).escalated
    assert (row.level, row.acknowledged, row.since) == (2, False, at("2026-11-16 11:00"))
    acknowledge(desk, ticket, "ana")
    assert escalation_overview(desk).escalated[0].acknowledged


def test_an_acknowledgement_covers_the_lower_level_the_ticket_drops_back_to() -> None:
    def event(when: str, kind: str, data: dict) -> TicketEvent:
        return TicketEvent(at(when), kind, "ana", None, data)

    record = recorded_escalation(
        [
            event("2026-11-16 10:00", "escalation", {"level": 1, "name": "lead", "reached": True}),
            event(
                "2026-11-16 11:00", "escalation", {"level": 2, "name": "manager", "reached": True}
            ),
            event("2026-11-16 11:10", "escalation_ack", {"level": 2}),
            event(
                "2026-11-16 12:00",
                "escalation",
                {"level": 2, "name": "manager", "reached": False, "to": 1},
            ),
        ]
    )
    assert (record.level, record.since, record.acknowledged) == (1, at("2026-11-16 10:00"), True)


# --------------------------------------------------------------------------------------------
# The escalation view


def test_the_view_lists_highest_level_first_then_longest_overdue(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    early = new_ticket(desk, "2026-11-16 09:00")
    later = new_ticket(desk, "2026-11-16 09:20")
    warned = new_ticket(desk, "2026-11-16 10:00")
    clock.at = at("2026-11-16 11:40")
    run_escalation_pass(desk)
    rows = escalation_overview(desk).escalated
    assert [(r.ticket_id, r.level, r.clock, r.overdue_seconds) for r in rows] == [
        (early, 2, "first_response", 40 * 60),
        (later, 2, "first_response", 20 * 60),
        (warned, 1, "first_response", -20 * 60),  # warns at 11:30, due at 12:00
    ]
    assert rows[0].since == at("2026-11-16 11:00") and not rows[0].acknowledged


def test_about_to_escalate_is_grouped_by_the_next_hour_today_and_tomorrow_on_the_desks_clock(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    soon = new_ticket(desk, "2026-11-16 09:00")  # lead at 10:30
    today = new_ticket(desk, "2026-11-16 09:00", priority="low")  # 1d = 9h: warns 15:45
    clock.at = at("2026-11-16 10:00")
    upcoming = {u.ticket_id: u for u in escalation_overview(desk).upcoming}
    assert (upcoming[soon].window, upcoming[soon].name, upcoming[soon].at) == (
        "next_hour",
        "lead",
        at("2026-11-16 10:30"),
    )
    assert (upcoming[today].window, upcoming[today].at) == ("today", at("2026-11-16 15:45"))

    # 60 working minutes away but a night away on the desk's clock: tomorrow, so that the
    # groups read in order.
    overnight = new_ticket(desk, "2026-11-16 17:00")  # warns Tuesday 09:30: 60 working min
    tomorrow = new_ticket(desk, "2026-11-16 17:00", priority="low")  # warns Tuesday 14:45
    clock.at = at("2026-11-16 17:30")
    upcoming = {u.ticket_id: u for u in escalation_overview(desk).upcoming}
    assert (upcoming[overnight].window, upcoming[overnight].working_seconds) == ("tomorrow", 3600)
    assert (upcoming[tomorrow].window, upcoming[tomorrow].at) == (
        "tomorrow",
        at("2026-11-17 14:45"),
    )


# --------------------------------------------------------------------------------------------
# The command line (SPEC §7)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    policy = tmp_path / "escalation.toml"
    policy.write_text(ESCALATION_POLICY.replace("NOTIFY_COMMAND", ""), encoding="utf-8")
    create_store(tmp_path / "cli.sqlite3")
    monkeypatch.setenv("TUI_DESK_DB", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("TUI_DESK_POLICY", str(policy))

    def _run(*args: str) -> tuple[int, str, str]:
        return invoke(capsys, *args)

    assert _run("operator", "add", "ana", "--role", "lead")[0] == 0
    for opened in ("2026-11-16T09:00:00+01:00", "2026-11-16T10:00:00+01:00"):
        code, _, _ = _run(
            "ticket", "new", "--from", "bo@acme.io", "--subject", "Hi", "--at", opened
        )
        assert code == 0
    return _run


def test_any_command_catches_up_on_escalations_without_a_word_on_stdout(cli) -> None:  # noqa: ANN001
    code, out, err = cli("--json", "--now", "2026-11-16T11:40:00+01:00", "ticket", "show", "1")
    assert code == 0 and err == ""
    shown = json.loads(out)  # stdout is nothing but the ticket
    assert shown["escalation"] == {
        "level": 2,
        "name": "manager",
        "since": "2026-11-16T10:00:00Z",
        "acknowledged": False,
    }
    assert [e["at"] for e in shown["events"] if e["kind"] == "escalation"] == [
        "2026-11-16T09:30:00Z",
        "2026-11-16T10:00:00Z",
    ]


def test_escalations_json_lists_the_spec_fields_highest_level_first(cli) -> None:  # noqa: ANN001
    code, out, _ = cli("--now", "2026-11-16T11:40:00+01:00", "escalations", "--json")
    assert code == 0
    items = json.loads(out)
    assert [(i["ticket"], i["level"], i["name"]) for i in items] == [
        (1, 2, "manager"),
        (2, 1, "lead"),
    ]
    assert {"ticket", "level", "name", "clock", "since", "overdue_seconds", "acknowledged",
            "assignee"} <= set(items[0])  # fmt: skip
    assert items[0]["clock"] == "first_response" and items[0]["overdue_seconds"] == 40 * 60
    assert items[0]["since"] == "2026-11-16T10:00:00Z" and items[0]["acknowledged"] is False


def test_escalation_ack_acknowledges_and_refuses_what_it_cannot(cli) -> None:  # noqa: ANN001
    now = ("--now", "2026-11-16T11:40:00+01:00")
    code, out, _ = cli(*now, "escalation", "ack", "1", "--as", "ana")
    assert code == 0 and "acknowledged by ana" in out
    shown = json.loads(cli("--json", *now, "ticket", "show", "1")[1])
    assert shown["escalation"]["acknowledged"] is True
    assert cli(*now, "escalation", "ack", "1", "--as", "ana")[0] == 2  # already acknowledged
    assert cli(*now, "escalation", "ack", "77")[0] == 3
    cli("ticket", "new", "--from", "bo@acme.io", "--subject", "Fresh", "--at", now[1])
    code, out, err = cli(*now, "escalation", "ack", "3")
    assert code == 2 and "not escalated" in err and out == ""
    code, out, _ = cli(*now, "escalations")
    assert code == 0 and "1 of 2 not acknowledged" in out
