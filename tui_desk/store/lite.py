"""Reading the store with the standard library alone.

Importing SQLAlchemy and SQLModel costs more than half a second on a slow machine: more
than a read-only command such as `tui-desk quota` may take in all, and most of the TUI's
budget for its first queue page. Reads that must be quick therefore go through plain DB-API
connections with hand-written, portable SQL (`Reader`), which the full store hands out too
(`HelpDesk.reading()`), so both faces run the same statements.

`LiteStore.open` only succeeds on an existing SQLite store at the current schema version:
creating, upgrading or writing a store always goes through `store.engine`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000

# How SQLAlchemy's SQLite DateTime type writes an instant (naive UTC, always microseconds);
# text in this form sorts in time order.
_DB_INSTANT = "%Y-%m-%d %H:%M:%S.%f"

# DB-API paramstyle -> the placeholder for parameter n (1-based).
_PLACEHOLDERS = {
    "qmark": lambda _n: "?",
    "format": lambda _n: "%s",
    "pyformat": lambda _n: "%s",
    "numeric": lambda n: f":{n}",
    "numeric_dollar": lambda n: f"${n}",
}


def sqlite_file(db: str) -> Path | None:
    """The file of `--db PATH|URL` when it names a SQLite store, else None."""
    if "://" not in db:
        return Path(db).expanduser().resolve()
    prefix = "sqlite:///"
    if db.startswith(prefix) and db != prefix + ":memory:":
        return Path(db[len(prefix) :]).expanduser().resolve()
    return None


def to_db(value: datetime) -> str:
    """An aware instant as the store keeps it."""
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the store; every instant must be aware")
    return value.astimezone(UTC).strftime(_DB_INSTANT)


def from_db(value: str | datetime | None) -> datetime | None:
    """An instant read back from the store, aware in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):  # drivers with a native timestamp type
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class StoreError(Exception):
    """The store cannot be opened or read (newer schema, unreadable file, locked…)."""


class Reader:
    """One read transaction on a DB-API connection. Statements use `?` placeholders and
    are rewritten once for drivers with another paramstyle; the driver's errors come out
    as `StoreError`."""

    __slots__ = ("_cursor", "_error", "_placeholder", "_sql")

    def __init__(self, connection: Any, paramstyle: str = "qmark") -> None:
        placeholder = _PLACEHOLDERS.get(paramstyle)
        if placeholder is None:
            raise ValueError(f"unsupported DB-API paramstyle {paramstyle!r}")
        self._cursor = connection.cursor()
        # PEP 249's optional Connection.Error names the driver's base error class.
        self._error: type[Exception] = getattr(connection, "Error", Exception)
        self._placeholder = None if paramstyle == "qmark" else placeholder
        self._sql: dict[str, str] = {}

    def _native(self, sql: str) -> str:
        if self._placeholder is None:
            return sql
        native = self._sql.get(sql)
        if native is None:
            parts = sql.split("?")
            native = parts[0] + "".join(
                self._placeholder(n) + part for n, part in enumerate(parts[1:], 1)
            )
            self._sql[sql] = native
        return native

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            self._cursor.execute(self._native(sql), tuple(params))
            return self._cursor.fetchall()
        except self._error as exc:
            raise StoreError(f"reading the store failed: {exc}") from exc

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


class LiteStore:
    """An existing SQLite store at the current schema version, read through `sqlite3`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, db: str) -> LiteStore | None:
        """The store at `db`, or None when it must go through the full store: not SQLite,
        not created yet, at another schema version, or unreadable."""
        path = sqlite_file(db)
        if path is None or not path.is_file():
            return None
        store = cls(path)
        try:
            version = store.meta("schema_version")
        except StoreError:
            return None
        if version is None or int(version) != SCHEMA_VERSION:
            return None
        return store

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            f"file:{self.path}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
        )
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA query_only=ON")
        return connection

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read transaction: every statement in it sees the same snapshot."""
        try:
            connection = self.connect()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        try:
            connection.execute("BEGIN DEFERRED")
            yield Reader(connection)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"reading the store failed: {exc}") from exc
        finally:
            connection.close()

    def meta(self, key: str) -> str | None:
        with self.reading() as reader:
            value = reader.value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)
