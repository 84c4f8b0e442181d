"""Fast bulk inserts for generated or imported data: on SQLite the rows go straight to the
driver's executemany, in exactly the storage format SQLAlchemy would have written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui_desk.store.models import UtcDateTime


def _instant(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text for naive UTC (see models.UtcDateTime)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converter(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    if isinstance(column.type, UtcDateTime):
        return _instant
    if isinstance(column.type, sa.Boolean):
        return _flag
    return None


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows with the same keys into `table` inside the caller's transaction."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), list(rows))
        return
    columns = list(rows[0])
    converters = [_converter(table.c[name]) for name in columns]
    plan = list(zip(columns, converters, strict=True))
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    values = [
        tuple(row[name] if convert is None else convert(row[name]) for name, convert in plan)
        for row in rows
    ]
    conn.exec_driver_sql(sql, values)
