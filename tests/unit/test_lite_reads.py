"""Reads without SQLAlchemy (store.lite, services.base.ReadOnlyDesk): same answers as the
full store, refused whenever the store would need writes first, and really import-free."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FrozenClock
from tui_desk.core.policy import Policy, policy_digest
from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.services import HelpDesk, ReadOnlyDesk, quota_overview, run_escalation_pass
from tui_desk.services.escalation import policy_fingerprint as escalation_fingerprint
from tui_desk.store.engine import SCHEMA_VERSION
from tui_desk.store.lite import LiteStore, Reader, StoreError, from_db, sqlite_file, to_db


def _populated(desk: HelpDesk, clock: FrozenClock) -> None:
    desk.add_operator("ana", "lead")
    desk.add_customer("Acme", domains=["acme.io"])
    desk.add_customer("Globex", domains=["globex.com"])
    desk.add_contract("Acme", "standard", "2026-10-31")
    desk.add_contract("Globex", "basic", "2026-01-01", end="2026-11-10")
    for day in range(1, 15):
        at = f"2026-11-{day:02d}T10:00:00Z"
        desk.create_ticket("bo@acme.io", f"Acme {day}", at=at)
        created = desk.create_ticket("al@globex.com", f"Globex {day}", at=at)
        if day % 4 == 0:
            desk.set_fields(created.ticket.id, status="spam", at=f"2026-11-{day:02d}T11:00:00Z")
    desk.ensure_policy_applied()
    run_escalation_pass(desk, notify=False)


def _lite(db_path: Path, policy: Policy, clock: FrozenClock) -> ReadOnlyDesk:
    store = LiteStore.open(str(db_path))
    assert store is not None
    return ReadOnlyDesk(store, policy, now=clock)


def test_quota_overview_is_the_same_through_sqlite3_alone(
    desk: HelpDesk, db_path: Path, default_policy: Policy, clock: FrozenClock
) -> None:
    _populated(desk, clock)
    lite = _lite(db_path, default_policy, clock)
    for now in (clock(), clock() - timedelta(days=5), clock() - timedelta(days=40)):
        full = quota_overview(desk, now)
        assert full, "the fixture has contracts"
        assert quota_overview(lite, now) == full


def test_instants_are_written_the_way_the_full_store_writes_them(
    desk: HelpDesk, db_path: Path
) -> None:
    desk.add_customer("Acme", domains=["acme.io"])
    at = datetime(2026, 11, 3, 9, 15, 7, 123456, tzinfo=UTC)
    created = desk.create_ticket("bo@acme.io", "Q", at=at.isoformat())
    with sqlite3.connect(db_path) as raw:
        (stored,) = raw.execute(
            "SELECT created_at FROM ticket WHERE id = ?", (created.ticket.id,)
        ).fetchone()
    assert stored == to_db(created.ticket.created_at)
    assert from_db(stored) == created.ticket.created_at
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 1, 1))


def test_the_store_opens_light_only_when_it_exists_at_the_current_version(
    desk: HelpDesk, db_path: Path, tmp_path: Path
) -> None:
    assert LiteStore.open(str(tmp_path / "missing.sqlite3")) is None
    assert LiteStore.open("postgresql://desk@localhost/desk") is None
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    assert LiteStore.open(str(junk)) is None
    assert LiteStore.open(str(db_path)) is not None
    assert LiteStore.open(f"sqlite:///{db_path}") is not None
    with sqlite3.connect(db_path) as raw:
        raw.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),)
        )
    assert LiteStore.open(str(db_path)) is None  # an upgrade is due: the full store opens


def test_reads_cannot_write(desk: HelpDesk, db_path: Path) -> None:
    store = LiteStore.open(str(db_path))
    assert store is not None
    with pytest.raises(StoreError, match="readonly"), store.reading() as reader:
        reader.rows("DELETE FROM meta")
    assert store.meta("schema_version") == str(SCHEMA_VERSION)


def test_a_changed_policy_or_a_due_escalation_needs_the_full_desk(
    desk: HelpDesk, db_path: Path, default_policy: Policy, clock: FrozenClock
) -> None:
    _populated(desk, clock)
    assert _lite(db_path, default_policy, clock).is_current()

    other = parse_policy_text(
        default_policy_text().replace(
            'urgent = { first_response = "2h" }', 'urgent = { first_response = "3h" }', 1
        ),
        "edited.toml",
    )
    assert policy_digest(other) != policy_digest(default_policy)
    assert not _lite(db_path, other, clock).is_current()

    clock.at += timedelta(days=3)  # open tickets breach: the escalation pass has work
    assert not _lite(db_path, default_policy, clock).is_current()
    run_escalation_pass(desk, notify=False)
    assert _lite(db_path, default_policy, clock).is_current()


def test_escalation_checks_and_cached_clocks_name_the_policy_the_same_way(
    default_policy: Policy,
) -> None:
    assert escalation_fingerprint(default_policy) == policy_digest(default_policy)[:16]


def test_placeholders_follow_the_driver() -> None:
    class Cursor:
        def __init__(self) -> None:
            self.seen: list[tuple[str, tuple[object, ...]]] = []

        def execute(self, sql: str, params: tuple[object, ...]) -> None:
            self.seen.append((sql, params))

        def fetchall(self) -> list[tuple[object, ...]]:
            return []

    class Connection:
        def __init__(self) -> None:
            self.cursor_ = Cursor()

        def cursor(self) -> Cursor:
            return self.cursor_

    conn = Connection()
    Reader(conn, "numeric").rows("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", (1, 2, 3))
    Reader(conn, "format").rows("SELECT a FROM t WHERE b = ?", (1,))
    assert [sql for sql, _ in conn.cursor_.seen] == [
        "SELECT a FROM t WHERE b = :1 AND c IN (:2, :3)",
        "SELECT a FROM t WHERE b = %s",
    ]
    with pytest.raises(ValueError, match="paramstyle"):
        Reader(conn, "named")


def test_sqlite_file_reads_paths_and_urls(tmp_path: Path) -> None:
    assert sqlite_file(str(tmp_path / "a.db")) == tmp_path / "a.db"
    assert sqlite_file(f"sqlite:///{tmp_path}/b.db") == tmp_path / "b.db"
    assert sqlite_file("postgresql://x/y") is None
    for vanishing in ("sqlite:///:memory:", ":memory:", "file:x.db?mode=memory", ""):
        with pytest.raises(StoreError):
            sqlite_file(vanishing)


def test_quota_command_reads_without_sqlalchemy_and_agrees_with_the_full_desk(
    desk: HelpDesk, db_path: Path, clock: FrozenClock
) -> None:
    _populated(desk, clock)
    now = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    script = (
        "import sys\n"
        "from tui_desk.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "sys.stderr.write('sqlalchemy loaded: %s\\n' % ('sqlalchemy' in sys.modules))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db_path), "--now", now, "--json", "quota"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        check=True,
    )
    assert "sqlalchemy loaded: False" in done.stderr
    expected = [q.to_json() for q in quota_overview(desk)]
    assert json.loads(done.stdout) == expected


def test_queue_pages_and_counts_are_the_same_through_sqlite3_alone(
    desk: HelpDesk, db_path: Path, default_policy: Policy, clock: FrozenClock
) -> None:
    from tui_desk.services import QUEUE_ORDERS, QueueFilter, listing

    _populated(desk, clock)
    desk.set_fields(1, assignee="ana", tags=["billing", "vip"])
    lite = _lite(db_path, default_policy, clock)
    filters = {
        "open": QueueFilter(),
        "everything": QueueFilter(categories=()),
        "acme billing": QueueFilter(customers=("acm",), tags=("billing",)),
        "not ana, not globex": QueueFilter(exclude_assignees=("ana",), exclude_customers=("glob",)),
        "unassigned words": QueueFilter(assignees=(None,), words=("ACME 1",)),
        "due soon": QueueFilter(deadline_before=clock() + timedelta(days=2)),
    }
    for flt in filters.values():
        for order in QUEUE_ORDERS:
            assert listing.queue(lite, flt, limit=7, offset=2, order=order) == desk.queue(
                flt, limit=7, offset=2, order=order
            )
    counts = listing.queue_counts(lite, filters)
    assert counts == {name: desk.queue_count(flt) for name, flt in filters.items()}
    assert counts["acme billing"] == 1 and counts["everything"] == 28
    assert listing.data_version(lite) == desk.data_version()


def test_read_failures_are_store_errors_on_either_desk(
    desk: HelpDesk, db_path: Path, default_policy: Policy, clock: FrozenClock
) -> None:
    for reading in (desk.reading, _lite(db_path, default_policy, clock).reading):
        with pytest.raises(StoreError, match="no such table"), reading() as reader:
            reader.rows("SELECT * FROM no_such_table")
