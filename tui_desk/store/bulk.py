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
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converter(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    if isinstance(column.type, UtcDateTime):
        return _instant
    if isinstance(column.type, sa.Boolean):
        return _flag
    return None


def insert_rows(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]] | Sequence[Sequence[Any]],
    columns: Sequence[str] | None = None,
) -> None:
    """Insert many rows into `table` inside the caller's transaction: dicts with the same
    keys, or sequences of values in the order of `columns`."""
    if not rows:
        return
    if columns is None:
        columns = list(rows[0])  # type: ignore[arg-type]
        values = [[row[c] for c in columns] for row in rows]  # type: ignore[call-overload]
    else:
        values = [list(row) for row in rows]
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in values])
        return
    conversions = [
        (index, convert)
        for index, name in enumerate(columns)
        if (convert := _converter(table.c[name])) is not None
    ]
    for row in values:
        for index, convert in conversions:
            row[index] = convert(row[index])
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(sql, [tuple(row) for row in values])
