"""Files and stores (SPEC §9, docs/security.md): private modes whatever the umask, foreign and
damaged files refused before anything touches them, safe backups, and a failing command
that creates or changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import Run, cli_runner
from tui_desk.store.engine import SCHEMA_VERSION, StoreError, open_store


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    # Stand in for a host that brings its own driver, so the TUI's store checks run.
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.headless_driver:HeadlessDriver")
    return cli_runner(capsys, monkeypatch)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: every mode below comes from tui-desk itself."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "SELECT" not in err and "INSERT" not in err and "Traceback" not in err, err
    return err


def _store_with_a_ticket(run: Run, db: Path, subject: str = "Printer on fire") -> None:
    assert run("--db", str(db), "init")[0] == 0
    code, _, err = run(
        "--db", str(db), "ticket", "new", "--from", "bo@acme.io", "--subject", subject
    )
    assert code == 0, err


def _events(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM event").fetchone()[0]


# -- file modes (#10.5) -------------------------------------------------------------------


def test_every_file_tui_desk_writes_is_0600_in_0700_directories_under_umask_000(
    run: Run, tmp_path: Path, isolated_environment: Path, open_umask: None
) -> None:
    from tui_desk.tui import state

    db = tmp_path / "new" / "deeper" / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    engine = open_store(str(db))  # keeps the -wal and -shm files in place
    try:
        assert run("--db", str(db), "backup", str(tmp_path / "backups" / "b.sqlite3"))[0] == 0
        assert run("policy", "init", str(tmp_path / "policies" / "p.toml"))[0] == 0
        state.save({"operator": "ana"})
        written = [
            db,
            Path(f"{db}-wal"),
            Path(f"{db}-shm"),
            tmp_path / "backups" / "b.sqlite3",
            tmp_path / "policies" / "p.toml",
            state.state_path(),
            *isolated_environment.rglob("policy.toml"),
        ]
        for path in written:
            assert path.exists(), path
            assert _mode(path) == 0o600, (path, oct(_mode(path)))
        folders = {db.parent, db.parent.parent, tmp_path / "backups", tmp_path / "policies"}
        folders |= {path.parent for path in written if isolated_environment in path.parents}
        for folder in folders:
            assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))
    finally:
        engine.dispose()


def test_the_log_is_0600_and_holds_no_ticket_text_without_debug(
    run: Run,
    tmp_path: Path,
    isolated_environment: Path,
    open_umask: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tui_desk.services as services

    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db, subject="Salary list of Jane Roe")

    def leak(self: object, *_a: object, **_k: object) -> None:
        raise RuntimeError("while reading 'Salary list of Jane Roe'")

    monkeypatch.setattr(services.HelpDesk, "ticket", leak)
    code, _, err = run("--db", str(db), "ticket", "show", "1")
    assert code == 1 and _one_line(err)
    (log,) = isolated_environment.rglob("tui-desk.log")
    text = log.read_text()
    assert "RuntimeError" in text and "leak" in text
    assert "Jane Roe" not in text
    assert _mode(log) == 0o600 and _mode(log.parent) == 0o700


def test_sql_parameters_never_reach_an_error_message(tmp_path: Path) -> None:
    import sqlalchemy as sa

    engine = open_store(str(tmp_path / "d.sqlite3"), create=True)
    try:
        with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO operator (id, name, role) VALUES (:i, :n, 'agent')"),
                [{"i": 1, "n": "Jane Roe secret"}, {"i": 1, "n": "Jane Roe secret"}],
            )
        assert "Jane Roe" not in str(caught.value)
    finally:
        engine.dispose()


# -- backup (#10.3, #11.8) ----------------------------------------------------------------


def test_backup_never_follows_a_planted_part_link_or_overwrites_a_link_target(
    run: Run, tmp_path: Path
) -> None:
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "out" / "b.sqlite3"
    dest.parent.mkdir()
    Path(f"{dest}.part").symlink_to(victim)  # the old temporary name, planted
    assert run("--db", str(db), "backup", str(dest))[0] == 0
    assert victim.read_text() == "precious"
    # A link at DEST itself: refused; with --force the link is replaced, never its target.
    linked = tmp_path / "out" / "linked.sqlite3"
    linked.symlink_to(victim)
    code, _, err = run("--db", str(db), "backup", str(linked))
    assert code == 2 and "--force" in _one_line(err)
    assert run("--db", str(db), "backup", "--force", str(linked))[0] == 0
    assert victim.read_text() == "precious"
    assert not linked.is_symlink() and linked.read_bytes().startswith(b"SQLite format 3")
    leftovers = sorted(p.name for p in dest.parent.iterdir())
    assert leftovers == ["b.sqlite3", "b.sqlite3.part", "linked.sqlite3"]


def test_backup_refuses_an_existing_destination_unless_forced(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    dest = tmp_path / "b.sqlite3"
    dest.write_text("an older backup")
    code, out, err = run("--db", str(db), "backup", str(dest))
    assert code == 2 and out == "" and "exists" in _one_line(err)
    assert dest.read_text() == "an older backup"
    code, out, _ = run("--db", str(db), "--json", "backup", "--force", str(dest))
    assert code == 0
    info = json.loads(out)
    assert info == {"path": str(dest), "size": dest.stat().st_size, "verified": True}
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT subject FROM ticket").fetchone() == ("Printer on fire",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_backup_says_in_words_what_it_wrote(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    code, out, _ = run("--db", str(db), "backup", str(tmp_path / "b.sqlite3"))
    assert code == 0 and out.startswith(f"backup written to {tmp_path / 'b.sqlite3'} (")
    assert "integrity verified" in out


def test_backup_of_a_missing_store_creates_nothing(run: Run, tmp_path: Path) -> None:
    code, _, err = run("--db", str(tmp_path / "typo.sqlite3"), "backup", str(tmp_path / "b"))
    assert code == 2 and "no store at" in _one_line(err)
    assert list(tmp_path.iterdir()) == []


# -- foreign files and broken versions (#10.4) ----------------------------------------------


def _foreign(path: Path, *, wal: bool = False) -> str:
    with sqlite3.connect(path) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE bookmarks (url TEXT)")
        conn.execute("INSERT INTO bookmarks VALUES ('https://example.org')")
    conn.close()
    return _digest(path)


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
@pytest.mark.parametrize(
    "command",
    [
        ("queue",),
        ("quota",),
        ("ticket", "new", "--from", "a@b.example", "--subject", "s"),
        ("init",),
        ("demo", "--no-open", "--tickets", "5"),
        ("backup", "BACKUP"),
        (),
    ],
    ids=lambda c: " ".join(c) or "tui",
)
def test_another_programs_sqlite_file_is_refused_and_left_byte_for_byte(
    run: Run, tmp_path: Path, command: tuple[str, ...], wal: bool
) -> None:
    other = tmp_path / "other.sqlite3"
    before = _foreign(other, wal=wal)
    args = [str(tmp_path / "b.sqlite3") if a == "BACKUP" else a for a in command]
    code, out, err = run("--db", str(other), *args)
    assert code == 2 and "is not a tui-desk store" in _one_line(err)
    assert _digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite3"]


def test_a_file_that_is_not_sqlite_is_refused_untouched(run: Run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 50)
    code, _, err = run("--db", str(notes), "queue")
    assert code == 2 and "not a tui-desk store" in _one_line(err)
    assert notes.read_text() == "shopping list\n" * 50


@pytest.mark.parametrize("value", ["abc", "", "-3", "2.5"])
def test_a_broken_schema_version_is_named_clearly(run: Run, tmp_path: Path, value: str) -> None:
    db = tmp_path / "desk.sqlite3"
    open_store(str(db), create=True).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    conn.close()
    before = _digest(db)
    code, _, err = run("--db", str(db), "ticket", "new", "--from", "a@b.example", "--subject", "s")
    assert code == 2 and "broken schema_version" in _one_line(err)
    assert _digest(db) == before
    assert not list(tmp_path.glob("*.bak"))


def test_a_failed_upgrade_leaves_no_backup_and_a_real_one_leaves_exactly_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    import sqlalchemy as sa

    import tui_desk.store.engine as engine_module

    db = tmp_path / "desk.sqlite3"
    open_store(str(db), create=True).dispose()
    attempts: list[int] = []

    def flaky(conn: sa.Connection) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("step failed")
        conn.exec_driver_sql("ALTER TABLE operator ADD COLUMN shift VARCHAR")

    monkeypatch.setattr(engine_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(engine_module.MIGRATIONS, SCHEMA_VERSION + 1, flaky)
    for _run in range(2):
        with pytest.raises(RuntimeError):
            open_store(str(db))
    assert not list(tmp_path.glob("*.bak"))
    open_store(str(db)).dispose()
    open_store(str(db)).dispose()
    (backup,) = tmp_path.glob("*.bak")
    assert _mode(backup) == 0o600


# -- nothing created by a failing command (#10.7, #11.10) -------------------------------------


@pytest.mark.parametrize(
    "command",
    [("queue",), ("quota",), ("escalations",), ("ticket", "show", "1"), ("locate",), ()],
    ids=lambda c: " ".join(c) or "tui",
)
def test_a_mistyped_store_path_creates_nothing(
    run: Run, tmp_path: Path, command: tuple[str, ...]
) -> None:
    typo = tmp_path / "dsk.sqlite3"
    code, out, err = run("--db", str(typo), *command)
    if command == ("locate",):
        assert code == 0 and "(missing: run tui-desk init)" in out  # it only says where
    else:
        assert code == 2 and f"no store at {typo}; run tui-desk init" in _one_line(err)
    assert not typo.exists()


def test_only_init_creates_a_store(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    code, out, _ = run("--db", str(db), "--json", "init")
    assert code == 0 and json.loads(out)["db_created"] is True
    code, out, _ = run("--db", str(db), "--json", "init")
    assert code == 0 and json.loads(out)["db_created"] is False
    assert run("--db", str(db), "queue")[0] == 0


@pytest.mark.parametrize(
    "command", [("init",), ("queue",), ("ticket", "new", "--from", "a@b.example", "--subject", "s")]
)
@pytest.mark.parametrize("policy", ["missing", "broken"])
def test_a_bad_or_missing_policy_creates_no_store(
    run: Run, tmp_path: Path, isolated_environment: Path, command: tuple[str, ...], policy: str
) -> None:
    policy_path = tmp_path / "policy.toml"
    if policy == "broken":
        policy_path.write_text('[desk]\ntimezone = "Mars/Olympus"\n')
    db = tmp_path / "store" / "desk.sqlite3"
    if command != ("init",):
        open_store(str(db), create=True).dispose()
    before = {p: _digest(p) for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = run("--db", str(db), "--policy", str(policy_path), *command)
    if command == ("init",) and policy == "missing":
        # init writes the default policy where --policy points: that is its job.
        assert code == 0 and policy_path.is_file()
        return
    assert code == 2, err
    assert {p: _digest(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_that_cannot_create_the_store_removes_the_policy_it_wrote(
    run: Run, tmp_path: Path, isolated_environment: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    _foreign(other)
    code, _, err = run("--db", str(other), "init")
    assert code == 2 and _one_line(err)
    assert not list(isolated_environment.rglob("policy.toml"))


# -- options that name no usable store (#10.13) ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (("--db", ""), {}, "--db is empty"),
        (("--policy", ""), {}, "--policy is empty"),
        ((), {"TUI_DESK_DB": ""}, "$TUI_DESK_DB is set but empty"),
        ((), {"TUI_DESK_POLICY": ""}, "$TUI_DESK_POLICY is set but empty"),
        (("--db", ":memory:"), {}, "':memory:' is not a store"),
        (("--db", "sqlite:///:memory:"), {}, "is not a store"),
        (("--db", "sqlite://"), {}, "is not a store"),
        (("--db", "file:desk.db?mode=rwc"), {}, "is not a store"),
    ],
)
def test_empty_and_vanishing_store_names_are_refused(
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for command in (("init",), ("queue",), ("locate",)):
        code, _, err = run(*args, *command)
        assert code == 2 and words in _one_line(err)
    assert list(tmp_path.iterdir()) == []


# -- demo on an existing store (#11.6) ------------------------------------------------------


def test_demo_refuses_a_store_that_already_holds_a_desk(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    before = _events(db)
    code, out, err = run("--db", str(db), "demo", "--no-open", "--tickets", "5")
    assert code == 2 and out == ""
    assert "already holds a desk; demo fills only a new store" in _one_line(err)
    assert _events(db) == before  # no demo ticket, no demo event


# -- damaged stores (#10.8) -----------------------------------------------------------------


def _damage(db: Path, how: str) -> None:
    if how == "truncated":
        os.truncate(db, db.stat().st_size // 2)
    elif how == "garbage pages":
        with open(db, "r+b") as handle:
            handle.seek(4096 * 2)
            handle.write(bytes(range(256)) * 16 * 8)
    elif how == "bad JSON":
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE event SET data = '{broken' WHERE ticket_id = 1")
        conn.close()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tui_desk.core.policy_load import default_policy_text, parse_policy_text
    from tui_desk.demo import generate_demo

    db = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    engine = open_store(str(db), create=True)
    generate_demo(engine, parse_policy_text(default_policy_text(), "p.toml"), tickets=60, seed=5)
    engine.dispose()
    return db


@pytest.mark.parametrize("how", ["truncated", "garbage pages", "bad JSON"])
@pytest.mark.parametrize(
    "command",
    [
        ("ticket", "show", "1"),
        ("ticket", "note", "1", "--body", "checked", "--as", "ana"),
        ("ticket", "new", "--from", "a@b.example", "--subject", "s"),
        ("backup", "BACKUP"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_damaged_store_is_named_and_nothing_is_written_into_it(
    run: Run, tmp_path: Path, demo_store: Path, how: str, command: tuple[str, ...]
) -> None:
    db = tmp_path / "desk.sqlite3"
    db.write_bytes(demo_store.read_bytes())
    _damage(db, how)
    if how == "bad JSON" and command[:2] == ("ticket", "new"):
        command = ("ticket", "note", "1", "--body", "x", "--as", "ana")
    before = _digest(db)
    backup = tmp_path / "backup.sqlite3"
    args = [str(backup) if a == "BACKUP" else a for a in command]
    code, out, err = run("--db", str(db), *args)
    if how == "bad JSON" and command[0] == "backup":
        # The file itself is sound; the bad value is in the copy, as it is in the store.
        assert code == 0
        return
    assert code == 2, err
    assert "is damaged" in _one_line(err) and "restore it from a backup" in err
    assert not backup.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "desk.sqlite3"
    ]
    if how != "bad JSON":
        assert _digest(db) == before


# -- read-only stores, missing drivers (#10.12) -----------------------------------------------


def test_a_store_that_cannot_be_written_is_one_line_exit_2(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.store.engine as engine_module

    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    real = engine_module.sa.create_engine

    def read_only(url: object, **kwargs: object) -> object:
        # The driver sees the store as the OS shows a read-only file (root ignores modes).
        return real(f"sqlite:///file:{db}?mode=ro&uri=true", **kwargs)

    monkeypatch.setattr(engine_module.sa, "create_engine", read_only)
    code, _, err = run("--db", str(db), "ticket", "new", "--from", "a@b.example", "--subject", "s")
    assert code == 2 and "cannot be written" in _one_line(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_store_file_is_refused_before_writing(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    db.chmod(0o400)
    code, _, err = run("--db", str(db), "ticket", "new", "--from", "a@b.example", "--subject", "s")
    assert code == 2 and "cannot be written" in _one_line(err)


def test_a_missing_database_driver_names_the_extra_to_install(run: Run) -> None:
    pytest.importorskip("sqlalchemy")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("psycopg is installed here")
    code, _, err = run("--db", "postgresql+psycopg://desk@localhost/desk", "queue")
    assert code == 2 and "pip install 'tui-desk[postgres]'" in _one_line(err)


def test_an_unknown_database_url_is_one_line(run: Run) -> None:
    code, _, err = run("--db", "nosuchdb://x/y", "queue")
    assert code == 2 and "no database driver for nosuchdb" in _one_line(err)


def test_driver_errors_become_one_line_store_errors(tmp_path: Path) -> None:
    from tui_desk.store.lite import StoreBusy, store_error

    def error(name: str, text: str) -> sqlite3.Error:
        exc = sqlite3.OperationalError(text + "\n[SQL: SELECT secret]")
        exc.sqlite_errorname = name  # type: ignore[attr-defined]
        return exc

    cases = {
        "SQLITE_CORRUPT": "is damaged",
        "SQLITE_NOTADB": "is damaged",
        "SQLITE_READONLY": "cannot be written",
        "SQLITE_CANTOPEN": "cannot open",
        "SQLITE_FULL": "disk is full",
        "SQLITE_IOERR_READ": "check the disk",
    }
    for name, words in cases.items():
        mapped = store_error(error(name, "boom"), tmp_path)
        assert isinstance(mapped, StoreError) and words in str(mapped)
        assert "\n" not in str(mapped) and "secret" not in str(mapped)
    assert isinstance(store_error(error("SQLITE_BUSY", "database is locked")), StoreBusy)
    with pytest.raises(StoreError, match="no store at"):
        open_store(str(tmp_path / "absent.sqlite3"))
    assert not (tmp_path / "absent.sqlite3").exists()


def test_a_store_in_a_folder_that_cannot_be_written_is_refused_in_one_line(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.store.engine as engine_module

    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)
    before = _events(db)
    real_access = os.access

    def folder_read_only(path: object, mode: int) -> bool:  # what a non-root user sees
        return False if Path(str(path)) == tmp_path and mode == os.W_OK else real_access(path, mode)

    monkeypatch.setattr(engine_module.os, "access", folder_read_only)
    code, _, err = run("--db", str(db), "ticket", "new", "--from", "a@b.example", "--subject", "s")
    assert code == 2 and "cannot be written" in _one_line(err)
    assert _events(db) == before


def test_planted_links_at_the_state_and_log_paths_are_never_written_through(
    run: Run, tmp_path: Path, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.services as services
    from tui_desk.paths import log_dir
    from tui_desk.tui import state

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    state.state_path().parent.mkdir(parents=True)
    state.state_path().with_suffix(".tmp").symlink_to(victim)  # the old temporary name
    state.save({"operator": "ana"})
    assert state.load() == {"operator": "ana"}
    log_dir().mkdir(parents=True)
    (log_dir() / "tui-desk.log").symlink_to(victim)
    db = tmp_path / "desk.sqlite3"
    _store_with_a_ticket(run, db)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.HelpDesk, "ticket", boom)
    code, _, err = run("--db", str(db), "ticket", "show", "1")
    assert code == 1 and _one_line(err)
    assert victim.read_text() == "precious"


def test_a_demo_that_fails_half_way_leaves_no_store(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui_desk.demo as demo

    def broken(engine: object, *_a: object, **_k: object) -> None:
        raise RuntimeError("generator failed")

    monkeypatch.setattr(demo, "generate_demo", broken)
    db = tmp_path / "demo.sqlite3"
    code, _, err = run("--db", str(db), "demo", "--no-open")
    assert code == 1 and _one_line(err)
    assert list(tmp_path.iterdir()) == []
