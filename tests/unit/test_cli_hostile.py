"""Hostile text on the command line (issue #10, SPEC §7, §9): nothing a terminal would obey
reaches stdout or stderr, in plain or JSON output; subjects, names and tags are stored as
one line of visible text; a body over desk.max_body_size is refused with exit 2."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import create_store
from tests.hostile import BODIES, EMAILS, NAMES, SUBJECTS, TAGS, forbidden_in, plant

NOW = "2026-11-18T10:30:00Z"
REPORTS = (
    ("queue",),
    ("ticket", "show", "1"),
    ("ticket", "show", "2"),
    ("escalations",),
    ("quota",),
)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_DESK_NOW", NOW)


def _tickets(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM ticket").fetchone()[0]


def _hostile_desk(run) -> None:  # noqa: ANN001
    """A demo desk whose every text is then overwritten with the hostile corpus."""
    run.db.unlink()  # demo fills only a new store
    assert run("--db", str(run.db), "demo", "--no-open", "--tickets", "30", "--seed", "3")[0] == 0
    plant(run.db)


def test_hostile_store_shows_nothing_a_terminal_would_obey_in_plain_output(run) -> None:  # noqa: ANN001
    _hostile_desk(run)
    for args in REPORTS:
        code, out, err = run(*args)
        assert code == 0, (args, err)
        assert forbidden_in(out) == [] and forbidden_in(err) == [], args


def test_a_subject_with_line_breaks_never_forges_a_queue_row(run) -> None:  # noqa: ANN001
    _hostile_desk(run)
    code, out, _ = run("queue")
    header, *rows = out.splitlines()
    assert header.startswith("ID")
    assert code == 0 and len(rows) == _tickets(run.db) - _closed(run.db)
    assert all(row.startswith("#") for row in rows)


def _closed(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT count(*) FROM ticket WHERE status_category IN ('solved', 'void')"
        ).fetchone()[0]


def test_json_output_escapes_c1_and_bidi_and_keeps_the_data(run) -> None:  # noqa: ANN001
    _hostile_desk(run)
    for args in REPORTS:
        code, out, err = run("--json", *args)
        assert code == 0, (args, err)
        assert forbidden_in(out) == [], args
        json.loads(out)
    shown = json.loads(run("--json", "ticket", "show", "1")[1])
    with sqlite3.connect(run.db) as conn:
        subject = conn.execute("SELECT subject FROM ticket WHERE id = 1").fetchone()[0]
    assert shown["subject"] == subject  # the exact stored text, only escaped


def test_subjects_names_and_tags_are_stored_as_one_line_of_visible_text(run) -> None:  # noqa: ANN001
    assert run("operator", "add", NAMES[1])[0] == 0
    assert run("customer", "add", NAMES[0], "--domain", "acme.io")[0] == 0
    code, out, err = run(
        "--json", "ticket", "new", "--from", "bo@acme.io", "--subject", SUBJECTS[1]
    )
    assert code == 0, err
    ticket = json.loads(out)
    assert ticket["subject"] == "Login fails #999 open urgent 1h forged row"
    assert ticket["customer"] == "Cust]2;TITLE\\"
    code, out, _ = run("--json", "ticket", "set", "1", *(f"--tag={tag}" for tag in TAGS))
    assert code == 0 and json.loads(out)["tags"] == sorted(["vip", "bill[8ming", "0m"])
    with sqlite3.connect(run.db) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM operator")]
    assert names == ["Ana"]


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "new", "--from", "bo@acme.io", "--subject", "\x1b\x07\u202e \t\n"),
        ("customer", "add", "\x1b\x1b"),
        ("operator", "add", "\u2066\u2069"),
        ("ticket", "new", "--from", EMAILS[0], "--subject", "Hello"),
    ],
)
def test_text_with_nothing_visible_or_a_control_in_an_address_is_refused(run, args) -> None:  # noqa: ANN001
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and forbidden_in(err) == []


def test_a_body_over_the_default_limit_is_refused_and_nothing_is_written(run) -> None:  # noqa: ANN001
    assert (
        run("ticket", "new", "--from", "bo@acme.io", "--subject", "small", "--body", "ok")[0] == 0
    )
    before = run("--json", "ticket", "show", "1")[1]
    huge = "x" * 1_000_001
    code, out, err = run(
        "ticket", "new", "--from", "bo@acme.io", "--subject", "big", "--body", "-", stdin=huge
    )
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "1 MB" in err and "max_body_size" in err
    for verb in ("reply", "note", "message"):
        code, _, err = run("ticket", verb, "1", "--body", "-", stdin=huge)
        assert code == 2 and err.count("\n") == 1, verb
    assert run("ticket", "csat", "1", "5", "--comment", huge)[0] == 2
    assert _tickets(run.db) == 1 and run("--json", "ticket", "show", "1")[1] == before


def _policy_with_body_limit(value: str) -> str:
    from tui_desk.core.policy_load import default_policy_text

    text = default_policy_text()
    assert 'max_body_size = "1MB"' in text
    return text.replace('max_body_size = "1MB"', f"max_body_size = {value}", 1)


def test_the_body_limit_comes_from_the_policy(run, tmp_path: Path) -> None:  # noqa: ANN001
    policy = tmp_path / "policy.toml"
    policy.write_text(_policy_with_body_limit('"2KB"'))
    base = ("--policy", str(policy), "ticket", "new", "--from", "bo@acme.io", "--subject", "s")
    assert run(*base, "--body", "é" * 1000)[0] == 0  # 2,000 bytes
    code, _, err = run(*base, "--body", "é" * 1001)
    assert code == 2 and "2 KB" in err


@pytest.mark.parametrize("value", ['"0"', '"lots"', "1000000", '"1GB"'])
def test_policy_check_refuses_a_body_limit_out_of_range(run, tmp_path: Path, value: str) -> None:  # noqa: ANN001
    policy = tmp_path / "policy.toml"
    policy.write_text(_policy_with_body_limit(value))
    code, _, err = run("policy", "check", str(policy))
    assert code == 2 and "max_body_size" in err and "1KB and 100MB" in err


def test_console_script_prints_no_control_character_from_hostile_text(tmp_path: Path) -> None:
    exe = shutil.which("tui-desk", path=str(Path(sys.executable).parent))
    assert exe, "the tui-desk console script is not installed: pip install -e ."
    env = {**os.environ, "TUI_DESK_DB": str(tmp_path / "d.sqlite3"), "TUI_DESK_NOW": NOW}
    create_store(tmp_path / "d.sqlite3")

    def tui_desk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [exe, *args], input=stdin.encode(), capture_output=True, env=env, timeout=120
        )

    made = tui_desk("ticket", "new", "--from", "bo@acme.io", "--subject", SUBJECTS[0])
    assert made.returncode == 0, made.stderr
    for body in BODIES:
        assert tui_desk("ticket", "message", "1", "--body", "-", stdin=body).returncode == 0
    for args in (("ticket", "show", "1"), ("queue",), ("--json", "ticket", "show", "1")):
        proc = tui_desk(*args)
        assert proc.returncode == 0, proc.stderr
        assert forbidden_in(proc.stdout.decode() + proc.stderr.decode()) == [], args
    missing = tui_desk("ticket", "reply", "1", "--body", "x", "--as", NAMES[0])
    assert missing.returncode != 0 and forbidden_in(missing.stderr.decode()) == []
