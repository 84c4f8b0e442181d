"""Bulk inserts (store.bulk) write what SQLAlchemy would have written, and deferred indexes
come back exactly as they were."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from tui_desk.store.bulk import driver_converters, indexes_deferred, insert_rows
from tui_desk.store.engine import open_store
from tui_desk.store.models import Contact

CONTACT = Contact.__table__  # type: ignore[attr-defined]
INSTANTS = [
    datetime(2026, 11, 18, 10, 30, tzinfo=UTC),
    datetime(2026, 11, 18, 10, 30, 0, 5, tzinfo=UTC),
    datetime(2026, 3, 29, 3, 15, 7, 250000, tzinfo=timezone(timedelta(hours=2))),
]


def stored_text(path: Path, email: str) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        query = "SELECT created_at FROM contact WHERE email = ?"
        (text,) = conn.execute(query, (email,)).fetchone()
    return str(text)


def test_bulk_instants_are_stored_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    engine = open_store(str(path), create=True)
    instant, _flag = driver_converters("sqlite")
    with engine.begin() as conn:
        for index, at in enumerate(INSTANTS):
            conn.execute(sa.insert(CONTACT), {"email": f"orm{index}@x.example", "created_at": at})
            insert_rows(conn, CONTACT, [{"email": f"bulk{index}@x.example", "created_at": at}])
            rows = [(f"converted{index}@x.example", instant(at))]
            insert_rows(conn, CONTACT, rows, ("email", "created_at"), converted=True)
    engine.dispose()
    for index, at in enumerate(INSTANTS):
        expected = stored_text(path, f"orm{index}@x.example")
        assert stored_text(path, f"bulk{index}@x.example") == expected
        assert stored_text(path, f"converted{index}@x.example") == expected
        assert datetime.fromisoformat(expected).replace(tzinfo=UTC) == at


def test_deferred_indexes_come_back_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    engine = open_store(str(path), create=True)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    with engine.begin() as conn:
        before = conn.exec_driver_sql(schema).all()
        with indexes_deferred(conn, [CONTACT]):
            assert conn.exec_driver_sql(schema).all() != before
            insert_rows(conn, CONTACT, [{"email": "ana@x.example", "created_at": INSTANTS[0]}])
        assert conn.exec_driver_sql(schema).all() == before
    engine.dispose()
