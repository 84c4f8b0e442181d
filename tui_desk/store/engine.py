"""Opening the store: URL resolution, file permissions, SQLite pragmas, schema migrations.

Only `tui-desk init` and `tui-desk demo` create a store (`open_store(create=True)`); every
other command opens an existing one. A SQLite file is inspected read-only first
(`lite.inspect_store`): another program's database, a damaged store or a broken
schema_version is refused before anything (WAL mode, a backup) touches it. Fresh stores
are created 0600 in a 0700 directory from the current models and stamped with the latest
schema version; older stores are backed up next to themselves and upgraded step by step
(`MIGRATIONS`); newer stores are refused. Every driver error but a constraint violation
comes out as a one-line `StoreError` (no SQL, no parameters).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

from tui_desk.files import create_private, private_dir, publish, staged
from tui_desk.store import models  # noqa: F401  (registers the tables)
from tui_desk.store.lite import (
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    StoreError,
    damaged,
    inspect_store,
    no_store,
    schema_version,
    sqlite_file,
    sqlite_uri,
    store_error,
)

__all__ = ["BUSY_TIMEOUT_MS", "SCHEMA_VERSION", "StoreError", "StoreExists", "open_store"]

# The package extra that installs a dialect's driver (pyproject.toml).
DRIVER_EXTRAS = {"postgresql": "postgres"}


class StoreExists(StoreError):
    """A new store was asked for where a store already is."""


def _add_queue_index(conn: Connection) -> None:
    """2: the queue-order index (models.Ticket, ix_ticket_queue). Its expression key is
    parenthesised, as standard SQL wants; stores upgraded before that have the same keys."""
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_ticket_queue ON ticket"
        " (status_category, (next_deadline IS NULL), next_deadline, priority_rank, created_at)"
    )


# version reached -> step from the version before it. Steps are frozen once released.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _add_queue_index}


def _prepare_sqlite_file(path: Path, *, create: bool, new: bool) -> None:
    """Refuse anything but a tui-desk store (or no store yet, when creating) before SQLite
    opens the file; create a new one 0600 in a 0700 directory."""
    version = inspect_store(path)
    if version is not None:
        if new:
            raise StoreExists(f"{path} already holds a desk")
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise StoreError(
                f"the store {path} cannot be written (read-only file or folder); make both "
                "writable for you, or copy the store somewhere writable"
            )
        return
    if not create:
        raise no_store(str(path))
    try:
        private_dir(path.parent)
        os.close(create_private(path))
    except FileExistsError:
        pass  # a concurrent init got there first: the schema is created under the lock
    except OSError as exc:
        raise StoreError(
            f"cannot create the store {path}: {exc.strerror}; choose a folder you can write to"
        ) from exc


def _install_sqlite_pragmas(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock up front so two writers never deadlock on upgrade.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _one_line_errors(engine: Engine, where: str) -> None:
    """Driver errors become one-line StoreErrors, except constraint violations (callers
    turn those into conflicts) and the pool's own liveness probe."""

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> None:
        if context.is_pre_ping or isinstance(context.sqlalchemy_exception, sa.exc.IntegrityError):
            return
        original = context.original_exception
        raise store_error(original, where) from original


def _driver_missing(url: sa.URL, exc: Exception) -> StoreError:
    dialect = url.get_backend_name()
    extra = DRIVER_EXTRAS.get(dialect)
    fix = (
        f"install it with: pip install 'tui-desk[{extra}]'"
        if extra
        else "install its driver, or use a SQLite file path"
    )
    return StoreError(f"no database driver for {url.drivername} ({exc}); {fix}")


def create_store_engine(db: str, *, create: bool = False, new: bool = False) -> Engine:
    path = sqlite_file(db)
    if path is not None:
        _prepare_sqlite_file(path, create=create, new=new)
        engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(path)),
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
        _install_sqlite_pragmas(engine)
        _one_line_errors(engine, str(path))
        return engine
    try:
        url = sa.make_url(db)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"{db!r} is neither a file path nor a database URL") from exc
    try:
        engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise _driver_missing(url, exc) from exc
    _one_line_errors(engine, url.render_as_string(hide_password=True))
    return engine


def _read_version(conn: Connection, where: str) -> int | None:
    """The store's schema version; None when the database holds no tables yet."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("meta"):
        if inspector.get_table_names():
            raise StoreError(f"{where} is not a tui-desk store (it holds other tables)")
        return None
    value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return schema_version(value, where)


def _stamp(conn: Connection, version: int) -> None:
    conn.execute(sa.text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(
        sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)}
    )


def _where(engine: Engine) -> str:
    if engine.url.get_backend_name() == "sqlite":
        return engine.url.database or ""
    return engine.url.render_as_string(hide_password=True)


def migrate(engine: Engine, *, create: bool = False, new: bool = False) -> int | None:
    """Bring the schema to SCHEMA_VERSION; return the version found before (None: the
    store was created). Without `create`, an empty database is refused; with `new`, one
    that already holds a store is."""
    where = _where(engine)
    # An up-to-date store (the usual case) is only read: opening it never waits for a
    # writer. Creating or upgrading takes the write lock and looks again under it.
    with engine.connect() as conn, conn.begin():
        found = _read_version(conn, where)
    if found is not None and new:
        raise StoreExists(f"{where} already holds a desk")
    if found == SCHEMA_VERSION:
        return found
    if found is None and not create:
        raise no_store(where)
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        found = _read_version(conn, where)
        if found is None:
            SQLModel.metadata.create_all(conn)
            _stamp(conn, SCHEMA_VERSION)
            return None
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"the store has schema version {found}, newer than this tui-desk understands "
                f"({SCHEMA_VERSION}); upgrade tui-desk to open it"
            )
        if found == SCHEMA_VERSION:
            return found
    backup = _backup_before_upgrade(engine, found)
    try:
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
            for version in range(found + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                _stamp(conn, version)
    except BaseException:
        # The store is as it was: the copy of it has no purpose, and the next attempt
        # makes its own (one backup per upgrade that happened, not one per try).
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()
        raise
    return found


def _backup_before_upgrade(engine: Engine, version: int) -> Path | None:
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(f"{path}.v{version}-{stamp}.bak")
    backup_sqlite(Path(path), target, overwrite=False)
    return target


def open_store(db: str, *, create: bool = False, new: bool = False) -> Engine:
    """An engine on the tui-desk store at `db`, upgraded if older. `create`: make the store
    when there is none (only `init` and `demo` do); `new`: make it, refusing an existing
    store (StoreExists). Nothing at `db` is created or changed when this fails."""
    engine = create_store_engine(db, create=create or new, new=new)
    try:
        migrate(engine, create=create or new, new=new)
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise store_error(getattr(exc, "orig", None) or exc, _where(engine)) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short read-only session (deferred transaction)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: takes the write lock at once, commits or rolls back whole."""
    with (
        engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn,
        Session(bind=conn, expire_on_commit=False) as session,
    ):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def backup_sqlite(source: Path, dest: Path, *, overwrite: bool) -> int:
    """A consistent copy of the SQLite store `source` as the single file `dest`, 0600; the
    copy must pass `PRAGMA integrity_check` before it takes its name. Returns its size.

    The copy is written in a private folder beside `dest` (files.staged) and renamed at
    the end; without `overwrite` an existing `dest` is refused. A
    damaged store raises StoreError and leaves nothing behind.
    """
    if not overwrite and os.path.lexists(dest):
        raise FileExistsError(f"{dest} exists")
    try:
        with staged(dest) as tmp:
            os.close(create_private(tmp))  # 0600 before SQLite fills it
            origin = sqlite3.connect(sqlite_uri(source, mode="rw"), uri=True)
            try:
                copy = sqlite3.connect(sqlite_uri(tmp, nofollow="1"), uri=True)
                try:
                    origin.backup(copy)
                    copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                    problems = [row[0] for row in copy.execute("PRAGMA integrity_check(5)")]
                finally:
                    copy.close()
            finally:
                origin.close()
            if problems != ["ok"]:
                raise damaged(f"integrity check: {problems[0]}", source)
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            publish(tmp, dest, overwrite=overwrite)
    except sqlite3.Error as exc:
        raise store_error(exc, source) from exc
    return os.path.getsize(dest)
