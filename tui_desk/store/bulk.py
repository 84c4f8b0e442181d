"""Fast bulk inserts for generated or imported data: on SQLite the rows go straight to the
driver's executemany, in exactly the storage format SQLAlchemy would have written."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui_desk.store.models import UtcDateTime


def _instant(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text for naive UTC (see models.UtcDateTime)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # Without the "+00:00". isoformat's `timespec` argument alone costs more than this.
    if value.microsecond:
        return value.isoformat(" ")[:26]
    return value.isoformat(" ")[:19] + ".000000"


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _unchanged(value: Any) -> Any:
    return value


def driver_converters(
    dialect_name: str,
) -> tuple[Callable[[datetime | None], Any], Callable[[bool | None], Any]]:
    """(instant, flag) converters to the values `insert_rows(..., converted=True)` takes for
    a dialect: SQLite's stored text and 0/1, the Python values elsewhere. Rows can so be
    prepared away from the connection (in another process)."""
    if dialect_name == "sqlite":
        return _instant, _flag
    return _unchanged, _unchanged


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
    *,
    converted: bool = False,
) -> None:
    """Insert many rows into `table` inside the caller's transaction: dicts with the same
    keys, or sequences of values in the order of `columns`. `converted`: the instants and
    flags are already the dialect's driver values (see `driver_converters`)."""
    if not rows:
        return
    values: Sequence[Sequence[Any]]
    if columns is None:
        dicts = cast("Sequence[dict[str, Any]]", rows)
        columns = list(dicts[0])
        values = [[row[c] for c in columns] for row in dicts]
    else:
        values = cast("Sequence[Sequence[Any]]", rows)
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in values])
        return
    conversions = [
        (index, convert)
        for index, name in enumerate(columns)
        if (convert := _converter(table.c[name])) is not None
    ]
    if conversions and not converted:
        changed = []
        for row in values:
            row = list(row)
            for index, convert in conversions:
                row[index] = convert(row[index])
            changed.append(tuple(row))
        values = changed
    elif not isinstance(values[0], tuple):
        values = [tuple(row) for row in values]  # what SQLAlchemy takes for executemany
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(sql, cast("list[tuple[Any, ...]]", values))


@contextmanager
def indexes_deferred(conn: Connection, tables: Sequence[sa.Table]) -> Iterator[None]:
    """Inside the caller's transaction, drop the secondary indexes of `tables` for the
    duration and create them again at the end: building an index from all its keys at
    once costs less than updating it row by row. On SQLite only (elsewhere a no-op);
    nothing is left changed if the block fails and the transaction rolls back. Meant for
    filling empty tables: other connections see nothing before the commit anyway."""
    if conn.dialect.name != "sqlite":
        yield
        return
    names = ", ".join("?" for _ in tables)
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names})",
        tuple(table.name for table in tables),
    ).all()
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)
