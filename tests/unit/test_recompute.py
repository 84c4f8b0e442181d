"""Recomputing the cached SLA figures of many tickets (SPEC §3.6, services.recompute): the
lean reading, the worker processes and the writes give what `compute_sla` gives."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tui_desk.core.calendar import to_epoch_us
from tui_desk.core.sla import CLOCK_PAYLOAD_KINDS, clock_log, compute_sla
from tui_desk.services import BadInput, HelpDesk, history_from_events, recompute, sla_cache_values
from tui_desk.services.desk import SLA_CACHE_COLUMNS, _load_events
from tui_desk.store.engine import read_session, write_session
from tui_desk.store.models import Ticket

START = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def fill(desk: HelpDesk, tickets: int = 40, seed: int = 5) -> list[int]:
    """Tickets with replies, messages, pauses, solves, reopens, priority changes, manual
    dues and notes over a working week, in a seeded random mix."""
    rng = random.Random(seed)
    desk.add_operator("ana")
    ids = []
    for number in range(tickets):
        created = START + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        priority = rng.choice(["urgent", "high", "normal", "low"])
        detail = desk.create_ticket(
            f"c{number}@example.com", f"Ticket {number}", "help", priority, at=iso(created)
        )
        ticket_id, when = detail.ticket.id, created
        for _ in range(rng.randrange(0, 7)):
            when += timedelta(minutes=rng.randrange(1, 8 * 60))
            if when >= NOW:
                break
            with suppress(BadInput):  # a change to what the ticket already has
                act(desk, rng, ticket_id, when)
        ids.append(ticket_id)
    return ids


def act(desk: HelpDesk, rng: random.Random, ticket_id: int, when: datetime) -> None:
    action = rng.randrange(6)
    if action == 0:
        status = rng.choice([None, "pending", "solved", "open"])
        desk.reply(ticket_id, "on it", status=status, author="ana", at=iso(when))
    elif action == 1:
        desk.customer_message(ticket_id, "any news?", at=iso(when))
    elif action == 2:
        desk.set_fields(ticket_id, priority=rng.choice(["urgent", "low"]), at=iso(when))
    elif action == 3:
        due = rng.choice(["none", iso(when + timedelta(hours=rng.randrange(1, 30)))])
        desk.set_fields(ticket_id, due_resolution=due, author="ana", at=iso(when))
    elif action == 4:
        desk.note(ticket_id, "looking", author="ana", at=iso(when))
    else:
        status = rng.choice(["on_hold", "closed", "spam", "new"])
        desk.set_fields(ticket_id, status=status, author="ana", at=iso(when))


@pytest.fixture
def filled(desk: HelpDesk, clock) -> list[int]:  # noqa: ANN001
    clock.at = NOW
    return fill(desk)


def expected_figures(desk: HelpDesk, ids: list[int]) -> dict[int, dict[str, Any]]:
    histories = desk.histories(ids)
    return {
        ticket_id: sla_cache_values(compute_sla(desk.policy, histories[ticket_id], NOW))
        for ticket_id in ids
    }


def stored_figures(desk: HelpDesk) -> dict[int, dict[str, Any]]:
    table = Ticket.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in SLA_CACHE_COLUMNS]
    with read_session(desk.engine) as session:
        rows = session.execute(sa.select(table.c.id, *columns)).all()
    return {row[0]: dict(zip(SLA_CACHE_COLUMNS, row[1:], strict=True)) for row in rows}


def clear_figures(desk: HelpDesk) -> None:
    with write_session(desk.engine) as session:
        session.execute(sa.update(Ticket.__table__).values(dict.fromkeys(SLA_CACHE_COLUMNS)))  # type: ignore[attr-defined]


@pytest.fixture
def with_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes for any job, in small batches, whatever the CPUs here."""
    monkeypatch.setattr(recompute, "PARALLEL_MIN_TICKETS", 1)
    monkeypatch.setattr(recompute, "BATCH", 3)
    monkeypatch.setattr(recompute, "_worker_count", lambda: 2)


@pytest.fixture
def without_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recompute, "PARALLEL_MIN_TICKETS", 10**9)
    monkeypatch.setattr(recompute, "BATCH", 3)


def test_the_lean_reading_gives_the_clocks_what_the_full_history_does(
    desk: HelpDesk, filled: list[int]
) -> None:
    with write_session(desk.engine) as session:
        driver = session.connection().connection.driver_connection
        lean = recompute.read_clock_logs(driver, filled)
        full = _load_events(session, filled)
    assert sorted(lean) == sorted(filled)
    for ticket_id in filled:
        log = lean[ticket_id]
        reference = clock_log(history_from_events(full[ticket_id]))
        assert log[:4] == reference[:4]
        assert [step[:3] for step in log.steps] == [step[:3] for step in reference.steps]
        for step, wanted in zip(log.steps, reference.steps, strict=True):
            if step[2] in CLOCK_PAYLOAD_KINDS:
                assert step[3] == wanted[3]


@pytest.mark.usefixtures("without_workers")
def test_recompute_stores_the_figures_compute_sla_gives(desk: HelpDesk, filled: list[int]) -> None:
    clear_figures(desk)
    assert desk.recompute_tickets(filled) == len(filled)
    stored = stored_figures(desk)
    wanted = expected_figures(desk, filled)
    assert {i: stored[i] for i in filled} == wanted
    assert any(figures["next_deadline"] for figures in wanted.values())


@pytest.mark.usefixtures("with_workers")
def test_recompute_with_worker_processes_stores_the_same_figures(
    desk: HelpDesk, filled: list[int]
) -> None:
    clear_figures(desk)
    assert desk.recompute_tickets(filled) == len(filled)
    assert {i: stored_figures(desk)[i] for i in filled} == expected_figures(desk, filled)
    assert desk.recompute_all() > 0
    assert {i: stored_figures(desk)[i] for i in filled} == expected_figures(desk, filled)


@pytest.mark.usefixtures("with_workers")
def test_recompute_with_worker_processes_works_from_a_thread(
    desk: HelpDesk, filled: list[int]
) -> None:
    clear_figures(desk)
    counts: list[int] = []
    worker = threading.Thread(target=lambda: counts.append(desk.recompute_tickets(filled)))
    worker.start()
    worker.join(timeout=120)
    assert counts == [len(filled)]
    assert {i: stored_figures(desk)[i] for i in filled} == expected_figures(desk, filled)


def test_a_worker_process_computes_what_this_process_computes(
    desk: HelpDesk, filled: list[int], db_path: Path
) -> None:
    now_us = to_epoch_us(NOW)
    worker = recompute._Worker.start(str(db_path), desk.policy, now_us)
    assert worker is not None
    try:
        from_worker = worker._compute(filled)
    finally:
        worker.stop(wait=True)
        worker.close()
    with sqlite3.connect(db_path) as conn:
        here = recompute._compute_batch(conn, desk.policy, filled, now_us)
    assert from_worker == here
    assert worker.process.returncode == 0


@pytest.mark.usefixtures("with_workers")
def test_a_batch_failing_in_a_worker_fails_here_and_nothing_is_written(
    desk: HelpDesk, filled: list[int], db_path: Path
) -> None:
    desk.recompute_tickets(filled)
    before = stored_figures(desk)
    with sqlite3.connect(db_path) as conn:  # an opening event without its priority
        conn.execute(
            "UPDATE event SET data = '{}' WHERE id = (SELECT min(id) FROM event WHERE ticket_id = ?)",
            (filled[0],),
        )
    clear_figures(desk)
    cleared = stored_figures(desk)
    with pytest.raises(KeyError):
        desk.recompute_tickets(filled)
    assert stored_figures(desk) == cleared != before


def test_figures_that_did_not_change_are_not_written_again(
    desk: HelpDesk, filled: list[int], db_path: Path
) -> None:
    clear_figures(desk)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        recompute.recompute_sqlite(conn, desk.policy, filled, NOW)
        written = conn.total_changes
        recompute.recompute_sqlite(conn, desk.policy, filled, NOW)
        assert conn.total_changes == written > 0
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_workers_only_read_stores_in_wal_mode_from_a_file(tmp_path: Path) -> None:
    memory = sqlite3.connect(":memory:")
    assert recompute._database_path(memory) is None
    rollback = sqlite3.connect(tmp_path / "rollback.sqlite3")
    rollback.execute("PRAGMA journal_mode = DELETE")
    assert recompute._database_path(rollback) is None
    wal = sqlite3.connect(tmp_path / "wal.sqlite3")
    wal.execute("PRAGMA journal_mode = WAL")
    assert recompute._database_path(wal) == str(tmp_path / "wal.sqlite3")
    for conn in (memory, rollback, wal):
        conn.close()


@pytest.mark.usefixtures("with_workers")
def test_batches_of_a_worker_process_that_dies_are_done_here(
    desk: HelpDesk, filled: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying(cls, path, policy, now_us):  # noqa: ANN001, ANN202
        command = [sys.executable, "-c", "import sys; sys.stdin.buffer.read(1); sys.exit(3)"]
        return cls(subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    monkeypatch.setattr(recompute._Worker, "start", classmethod(dying))
    clear_figures(desk)
    assert desk.recompute_tickets(filled) == len(filled)
    assert {i: stored_figures(desk)[i] for i in filled} == expected_figures(desk, filled)
