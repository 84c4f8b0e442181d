"""Reading the store with the standard library alone.

Importing SQLAlchemy and SQLModel costs more than half a second on a slow machine: more
than a read-only command such as `tui-desk quota` may take in all, and most of the TUI's
budget for its first queue page. Reads that must be quick therefore go through plain DB-API
connections with hand-written, portable SQL (`Reader`), which the full store hands out too
(`HelpDesk.reading()`), so both faces run the same statements.

`LiteStore.open` only succeeds on an existing SQLite store at the current schema version:
creating, upgrading or writing a store always goes through `store.engine`.

`inspect_store` tells what a SQLite file is without changing a byte of it, so that another
program's database is recognised before anything (WAL mode, a backup) touches it, and
`store_error` turns any driver error into one line that says what to do.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote

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
    """The file of `--db PATH|URL` when it names a SQLite store, else None (another
    database). Refuses what would silently become a surprising file name or no file at all:
    an empty name, `:memory:` and SQLite `file:` URIs."""
    if not db.strip():
        raise StoreError("the store name is empty; give a file path or a database URL")
    if "://" not in db:
        if db == ":memory:" or db.startswith("file:"):
            raise StoreError(
                f"{db!r} is not a store tui-desk can keep: give a file path "
                "(e.g. --db desk.sqlite3) or sqlite:///PATH"
            )
        return Path(db).expanduser().resolve()
    scheme, _, rest = db.partition("://")
    if scheme.split("+")[0] != "sqlite":
        return None
    name = rest[1:] if rest.startswith("/") else rest
    if not name or name == ":memory:" or name.startswith("file:") or "?" in name:
        raise StoreError(
            f"{db!r} is not a store tui-desk can keep: give sqlite:///PATH with a file path"
        )
    return Path(name).expanduser().resolve()


def to_db(value: datetime) -> str:
    """An aware instant as the store keeps it."""
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the store; every instant must be aware")
    return value.astimezone(UTC).strftime(_DB_INSTANT)


@overload
def from_db(value: str | datetime) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
@overload
def from_db(value: str | datetime | None) -> datetime | None: ...
def from_db(value: str | datetime | None) -> datetime | None:
    """An instant read back from the store, aware in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):  # drivers with a native timestamp type
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class StoreError(Exception):
    """The store cannot be opened, read or written (missing, not a tui-desk store, damaged,
    read-only, newer schema…): the message says what to do. Exit 2: nothing was written."""

    exit_code = 2


class StoreBusy(StoreError):
    """Another process held the store longer than the busy timeout: retrying may work."""

    exit_code = 1


_HEADER = b"SQLite format 3\x00"


def damaged(detail: str, where: Path | str | None = None) -> StoreError:
    """The error for a store that cannot be trusted any more."""
    store = f"the store {where}" if where else "the store"
    return StoreError(f"{store} is damaged: {detail}; restore it from a backup")


def store_error(exc: BaseException, where: Path | str | None = None) -> StoreError:
    """The one-line `StoreError` for a database driver's error (no SQL, no parameters)."""
    if isinstance(exc, StoreError):
        return exc
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    store = f"the store {where}" if where else "the store"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return damaged(text, where)
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return StoreError(
            f"{store} cannot be written ({text}); make the file and its folder writable "
            "for you, or copy the store somewhere writable"
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(
            f"cannot open {store} ({text}); check that its folder exists and is writable for you"
        )
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"{store} cannot grow: the disk is full; free some space and retry")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(f"{store} stayed locked by another process ({text}); retry")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"{store} cannot be read or written: {text}; check the disk")
    return StoreError(f"{store} failed: {text}")


def sqlite_uri(path: Path, **params: str) -> str:
    """A `file:` URI for sqlite3.connect(uri=True), the path quoted."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"file:{quote(str(path))}?{query}"


def _header_problem(path: Path) -> str | None:
    """Why the SQLite header of `path` cannot be a whole database, or None."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_HEADER):
        return "not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header holds when the change counters agree (sqlite.org/fileformat).
    if pages and header[24:28] == header[92:96] and os.path.getsize(path) < pages * page_size:
        return "the file is shorter than its header says (truncated)"
    return None


def inspect_store(path: Path) -> int | None:
    """The schema version of the tui-desk store in `path`; None when there is no store yet
    (no file, an empty file, or a SQLite database without tables). Writes nothing, creates
    nothing; raises StoreError for a file that is not a tui-desk store or is damaged."""
    try:
        if path.stat().st_size == 0:
            return None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror}") from exc
    wal = Path(f"{path}-wal")
    try:
        in_use = wal.exists()
        problem = _header_problem(path)
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror}") from exc
    if problem == "not a SQLite database":
        raise StoreError(f"{path} is not a tui-desk store ({problem})")
    if problem and not in_use:
        raise damaged(problem, path)
    # With no write-ahead log beside it, the whole database is in the file: read it as
    # immutable, which creates no -wal/-shm file. Otherwise a read-only connection sees the
    # log too.
    uri = sqlite_uri(path, mode="ro") if in_use else sqlite_uri(path, immutable="1")
    try:
        connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise store_error(exc, path) from exc
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        }
        if not tables:
            return None
        if "meta" not in tables:
            raise StoreError(f"{path} is not a tui-desk store (it holds other tables)")
        try:
            rows = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{path} is not a tui-desk store (its meta table differs)") from exc
    except sqlite3.Error as exc:
        raise store_error(exc, path) from exc
    finally:
        connection.close()
    return schema_version(rows[0][0] if rows else None, path)


def no_store(db: str | Path) -> StoreError:
    return StoreError(f"no store at {db}; run tui-desk init to create one")


def schema_version(value: object, where: Path | str) -> int:
    """The stored schema version as a number, or a StoreError naming what is wrong."""
    if value is None:
        raise StoreError(
            f"the store {where} has no schema_version; it is damaged or not a tui-desk "
            "store: restore it from a backup"
        )
    try:
        version = int(str(value))
    except ValueError:
        version = -1
    if version < 1:
        raise StoreError(
            f"the store {where} has a broken schema_version ({str(value)[:40]!r}); "
            "restore it from a backup"
        )
    return version


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
            raise store_error(exc) from exc

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
        not created yet, at another schema version, unreadable or not a store at all (the
        full store says why)."""
        try:
            path = sqlite_file(db)
            if path is None or inspect_store(path) != SCHEMA_VERSION:
                return None
        except StoreError:
            return None
        return cls(path)

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
            raise store_error(exc, self.path) from exc
        try:
            connection.execute("BEGIN DEFERRED")
            yield Reader(connection)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc
        finally:
            connection.close()

    def meta(self, key: str) -> str | None:
        with self.reading() as reader:
            value = reader.value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)
