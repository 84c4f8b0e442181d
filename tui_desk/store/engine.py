"""Opening the store: URL resolution, file permissions, SQLite pragmas, schema migrations.

Fresh stores are created from the current models and stamped with the latest schema
version; older stores are backed up next to themselves and upgraded step by step
(`MIGRATIONS`); newer stores are refused.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

from tui_desk.store import models  # noqa: F401  (registers the tables)
from tui_desk.store.lite import BUSY_TIMEOUT_MS, SCHEMA_VERSION, StoreError

__all__ = ["BUSY_TIMEOUT_MS", "SCHEMA_VERSION", "StoreError", "open_store"]


def _add_queue_index(conn: Connection) -> None:
    """2: the queue-order index (models.Ticket, ix_ticket_queue)."""
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_ticket_queue ON ticket"
        " (status_category, next_deadline IS NULL, next_deadline, priority_rank, created_at)"
    )


# version reached -> step from the version before it. Steps are frozen once released.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _add_queue_index}


def database_url(db: str) -> str:
    """A SQLAlchemy URL for `--db PATH|URL`."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _prepare_sqlite_file(url: sa.URL) -> Path | None:
    """Create the store's directory 0700 and file 0600 before SQLite opens it."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    return path


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


def create_store_engine(db: str) -> Engine:
    url = sa.make_url(database_url(db))
    _prepare_sqlite_file(url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _install_sqlite_pragmas(engine)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    return engine


def _read_version(conn: Connection) -> int | None:
    inspector = sa.inspect(conn)
    if not inspector.has_table("meta"):
        return 0 if inspector.get_table_names() else None
    value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return int(value) if value is not None else 0


def _stamp(conn: Connection, version: int) -> None:
    conn.execute(sa.text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(
        sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)}
    )


def _backup_before_upgrade(engine: Engine, version: int) -> Path | None:
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(f"{path}.v{version}-{stamp}.bak")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    os.chmod(target, 0o600)
    return target


def migrate(engine: Engine) -> int:
    """Bring the schema to SCHEMA_VERSION; return the version found before."""
    # An up-to-date store (the usual case) is only read: opening it never waits for a
    # writer. Creating or upgrading takes the write lock and looks again under it.
    with engine.connect() as conn, conn.begin():
        found = _read_version(conn)
    if found == SCHEMA_VERSION:
        return found
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        found = _read_version(conn)
        if found is None:
            SQLModel.metadata.create_all(conn)
            _stamp(conn, SCHEMA_VERSION)
            return 0
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"the store has schema version {found}, newer than this tui-desk understands "
                f"({SCHEMA_VERSION}); upgrade tui-desk to open it"
            )
        if found == SCHEMA_VERSION:
            return found
    _backup_before_upgrade(engine, found)
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
            _stamp(conn, version)
    return found


def open_store(db: str) -> Engine:
    """Create (if needed), upgrade (if older) and return an engine on the store."""
    engine = create_store_engine(db)
    try:
        migrate(engine)
    except sa.exc.DatabaseError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store {db}: {exc.orig}") from exc
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


def copy_store(engine: Engine, dest: Path) -> None:
    """An online, consistent copy of a SQLite store (for `tui-desk backup`)."""
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path:
        raise StoreError("backup copies SQLite stores only; use pg_dump for PostgreSQL")
    tmp = dest.with_name(dest.name + ".part")
    source = sqlite3.connect(path)
    try:
        target = sqlite3.connect(tmp)
        with target:
            source.backup(target)
        target.close()
    finally:
        source.close()
    os.chmod(tmp, 0o600)
    shutil.move(tmp, dest)
