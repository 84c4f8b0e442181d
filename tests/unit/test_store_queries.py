"""The store's shared reads (store.queries): "escalation due" written once and obeyed by every
path that asks it, and event logs read in time order by one statement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.conftest import FrozenClock
from tui_desk.services import HelpDesk, run_escalation_pass
from tui_desk.services.base import escalation_fingerprint
from tui_desk.services.listing import events_of
from tui_desk.services.ticket_write import KEEP, field_changes
from tui_desk.store.models import Ticket, table
from tui_desk.store.queries import escalation_due, event_rows, may_change


def _tickets_in_every_state(desk: HelpDesk) -> list[int]:
    desk.add_operator("ana", "lead")
    desk.add_customer("Acme", domains=["acme.io"])
    desk.add_contract("Acme", "premium", "2026-01-01")
    ids = []
    for day in range(2, 16, 2):
        ids.append(desk.create_ticket("bo@acme.io", f"day {day}", at=f"2026-11-{day:02d}T10:00Z"))
    desk.set_fields(ids[0].ticket.id, status="solved", at="2026-11-03T10:00Z")
    desk.set_fields(ids[1].ticket.id, status="pending", at="2026-11-05T10:00Z")
    desk.reply(ids[2].ticket.id, "on it", at="2026-11-06T11:00Z")
    desk.set_fields(ids[3].ticket.id, status="spam", at="2026-11-08T11:00Z")
    return [detail.ticket.id for detail in ids]


def test_escalation_due_for_a_ticket_not_yet_stored_is_the_stored_predicate(
    desk: HelpDesk, clock: FrozenClock
) -> None:
    _tickets_in_every_state(desk)
    run_escalation_pass(desk, notify=False)  # some tickets escalated, others not
    with desk.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(sa.select(table(Ticket))).mappings()]
    never_checked = "not a policy"  # no check row is fresh under it: the SQL is may_change
    for hours in (-200, -24, 0, 5, 48, 400):
        now = clock() + timedelta(hours=hours)
        with desk.reading() as reader:
            due = escalation_due(reader, now, never_checked)
        assert due == sorted(row["id"] for row in rows if may_change(row, now)), hours


def _due(desk: HelpDesk, fingerprint: str | None = None, **options: Any) -> list[int]:
    fingerprint = fingerprint or escalation_fingerprint(desk.policy)
    with desk.reading() as reader:
        return escalation_due(reader, desk.now(), fingerprint, **options)


def test_a_store_is_current_exactly_when_the_pass_finds_nothing_due(desk: HelpDesk) -> None:
    _tickets_in_every_state(desk)
    due = _due(desk)
    assert due, "the fixture has overdue open tickets"
    (one,) = _due(desk, first=True)
    assert one in due
    assert run_escalation_pass(desk, notify=False).checked == len(due)
    assert _due(desk) == _due(desk, first=True) == []
    assert run_escalation_pass(desk, notify=False).checked == 0


def test_a_recheck_among_tickets_read_as_due_drops_those_checked_since(desk: HelpDesk) -> None:
    _tickets_in_every_state(desk)
    due = _due(desk)
    run_escalation_pass(desk, notify=False)
    assert _due(desk, among=due) == []
    assert _due(desk, "another policy", among=due) == due


def test_event_logs_are_read_in_time_order_by_one_statement(desk: HelpDesk) -> None:
    ids = _tickets_in_every_state(desk)
    desk.note(ids[2], "earlier note", at="2026-11-06T10:30Z")  # before the reply, written after
    with desk.reading() as reader:
        rows = event_rows(reader, ids)
        views = events_of(reader, ids)
        quiet = events_of(reader, ids, bodies=False)
        replies = events_of(reader, ids, kinds=["reply"])
        assert event_rows(reader, ids, kinds=[]) == []
        assert event_rows(reader, []) == []
    assert len(rows) == sum(len(log) for log in views.values())
    log = views[ids[2]]
    assert [(e.kind, e.body) for e in log[2:]] == [("note", "earlier note"), ("reply", "on it")]
    assert all(a.at <= b.at for a, b in zip(log, log[1:], strict=False))
    assert [e.body for e in quiet[ids[2]]] == [None] * len(log)
    assert [e.data for e in quiet[ids[2]]] == [e.data for e in log]
    assert list(replies) == [ids[2]] and [e.kind for e in replies[ids[2]]] == ["reply"]


def test_a_change_of_fields_records_one_event_per_field_that_changes_in_a_fixed_order() -> None:
    assert field_changes(
        "normal", None, {"vip"}, priority="high", assignee="ana", tags=["vip", "billing"]
    ) == [
        ("priority", {"from": "normal", "to": "high"}),
        ("assignee", {"from": None, "to": "ana"}),
        ("tags", {"added": ["billing"], "removed": []}),
    ]
    unchanged = field_changes("high", "ana", {"vip"}, priority="high", assignee="ana")
    assert unchanged == []
    assert field_changes("high", "ana", set(), assignee=KEEP) == []
    assert field_changes("high", "ana", set(), assignee=None) == [
        ("assignee", {"from": "ana", "to": None})
    ]
    assert field_changes("high", None, {"a", "b"}, tags=["c", "c"], untags=["a", "z", "c"]) == [
        ("tags", {"added": ["c"], "removed": ["a"]})
    ]
