"""The store: file safety, pragmas, schema versioning."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tui_desk.store.engine import SCHEMA_VERSION, StoreError, open_store


def test_new_store_is_0600_in_a_0700_directory(db_path: Path) -> None:
    engine = open_store(str(db_path), create=True)
    engine.dispose()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(db_path.parent).st_mode) == 0o700


def test_store_uses_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    engine = open_store(str(db_path), create=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


def test_new_store_is_stamped_with_the_current_schema_version(db_path: Path) -> None:
    open_store(str(db_path), create=True).dispose()
    with sqlite3.connect(db_path) as conn:
        (value,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert int(value) == SCHEMA_VERSION


def test_fresh_schema_has_every_model_column(db_path: Path) -> None:
    engine = open_store(str(db_path), create=True)
    inspector = sa.inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    engine.dispose()


def test_a_store_from_a_newer_version_is_refused_clearly(db_path: Path) -> None:
    open_store(str(db_path), create=True).dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    with pytest.raises(StoreError, match="newer than this tui-desk"):
        open_store(str(db_path), create=True)


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    engine = open_store(str(db_path), create=True)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO ticket_tag (ticket_id, tag) VALUES (999, 'x')"),
        )
    engine.dispose()


def test_not_a_database_gives_a_store_error_and_stays_untouched(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not sqlite\n" * 100)
    with pytest.raises(StoreError, match="is not a tui-desk store"):
        open_store(str(bogus), create=True)
    assert bogus.read_text() == "this is not sqlite\n" * 100


def test_an_older_store_is_backed_up_then_upgraded(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.store.engine as engine_module

    open_store(str(db_path), create=True).dispose()  # a store at the current version…
    steps: list[int] = []

    def add_column(conn: sa.Connection) -> None:
        steps.append(2)
        conn.exec_driver_sql("ALTER TABLE operator ADD COLUMN shift VARCHAR")

    # …which a newer tui-desk with one more migration step opens.
    monkeypatch.setattr(engine_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(engine_module.MIGRATIONS, SCHEMA_VERSION + 1, add_column)
    engine = open_store(str(db_path), create=True)
    engine.dispose()
    assert steps == [2]
    backups = list(db_path.parent.glob(f"{db_path.name}.v{SCHEMA_VERSION}-*.bak"))
    assert len(backups) == 1 and stat.S_IMODE(os.stat(backups[0]).st_mode) == 0o600
    with sqlite3.connect(backups[0]) as conn:  # the backup is the store as it was
        assert "shift" not in {row[1] for row in conn.execute("PRAGMA table_info(operator)")}
    with sqlite3.connect(db_path) as conn:
        assert "shift" in {row[1] for row in conn.execute("PRAGMA table_info(operator)")}
        (value,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert int(value) == SCHEMA_VERSION + 1
    open_store(str(db_path), create=True).dispose()  # already upgraded: nothing runs twice
    assert steps == [2]


def test_a_failing_upgrade_leaves_the_store_as_it_was(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.store.engine as engine_module

    open_store(str(db_path), create=True).dispose()

    def broken(conn: sa.Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE operator ADD COLUMN shift VARCHAR")
        raise RuntimeError("step failed half-way")

    monkeypatch.setattr(engine_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(engine_module.MIGRATIONS, SCHEMA_VERSION + 1, broken)
    with pytest.raises(RuntimeError):
        open_store(str(db_path), create=True)
    with sqlite3.connect(db_path) as conn:
        assert "shift" not in {row[1] for row in conn.execute("PRAGMA table_info(operator)")}
        (value,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert int(value) == SCHEMA_VERSION


def test_opening_an_up_to_date_store_does_not_wait_for_a_writer(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(str(db_path), create=True).dispose()
    import tui_desk.store.engine as engine_module

    # Were opening to take the write lock, it would wait the whole busy timeout and fail.
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 50)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        engine = open_store(str(db_path), create=True)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM ticket")).scalar() == 0
        engine.dispose()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def _schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return sorted(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'meta'"
            )
        )


def test_a_version_1_store_gains_the_queue_index_and_then_equals_a_fresh_one(
    tmp_path: Path,
) -> None:
    fresh, old = tmp_path / "fresh.sqlite3", tmp_path / "old.sqlite3"
    open_store(str(fresh), create=True).dispose()
    open_store(str(old), create=True).dispose()
    with sqlite3.connect(old) as conn:  # what version 1 created
        conn.execute("DROP INDEX ix_ticket_queue")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert _schema(old) != _schema(fresh)
    open_store(str(old), create=True).dispose()
    assert _schema(old) == _schema(fresh)
    assert list(tmp_path.glob("old.sqlite3.v1-*.bak"))
    with sqlite3.connect(old) as conn:
        plan = " ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM ticket WHERE status_category = 'solved'"
                " ORDER BY next_deadline IS NULL, next_deadline, priority_rank, created_at, id"
                " LIMIT 50"
            )
        )
    assert "ix_ticket_queue" in plan and "TEMP B-TREE" not in plan


def test_every_index_is_defined_in_standard_sql_that_postgresql_accepts() -> None:
    import tui_desk.store.models  # noqa: F401  (registers the tables)

    for table in SQLModel.metadata.tables.values():
        for index in table.indexes:
            for key in index.expressions:
                if isinstance(key, sa.TextClause):  # an expression key must be parenthesised
                    assert key.text.startswith("(") and key.text.endswith(")"), index.name
