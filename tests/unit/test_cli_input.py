"""What the command line accepts (SPEC §7; issues #10.12, #10.14, #11.7, #11.9, #11.11):
options after the command, bounded numbers and instants, UTF-8 only, operator roles,
`--if-version` on every ticket write, and no TUI without a terminal."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.cli_runner import create_store, invoke
from tui_desk.core.policy_load import default_policy_text
from tui_desk.core.roles import ROLES
from tui_desk.services import BadInput

OPENED = "2026-11-16T10:00:00+01:00"
NOW = ("--now", "2026-11-16T10:05:00+01:00")  # before any escalation: versions stay put


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`tui-desk ARGS` in-process on a private store with operator ana and ticket #1."""
    create_store(tmp_path / "desk.sqlite3")  # as tui-desk init leaves it
    monkeypatch.setenv("TUI_DESK_DB", str(tmp_path / "desk.sqlite3"))

    def _run(*args: str) -> tuple[int, str, str]:
        return invoke(capsys, *args)

    assert _run("operator", "add", "ana", "--role", "lead")[0] == 0
    new = ("ticket", "new", "--from", "bo@acme.io", "--subject", "Login fails", "--at", OPENED)
    assert _run(*new)[0] == 0
    _run.db = tmp_path / "desk.sqlite3"  # type: ignore[attr-defined]
    return _run


def _counts(db: Path) -> tuple[int, ...]:
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("event", "ticket", "operator", "customer", "contract")
        )


def _cli(*args: str, stdin: bytes | None = None, **kw) -> subprocess.CompletedProcess[bytes]:  # noqa: ANN003
    """`tui-desk ARGS` as its own process (bytes in, bytes out)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "tui-desk"), *args],
        input=stdin,
        capture_output=stdin is not None or "stdout" not in kw,
        timeout=120,
        env=os.environ.copy(),
        check=False,
        **kw,
    )


# ----------------------------------------------------------------------------------------
# Options after the command (#11.7)


def test_every_global_option_may_follow_the_command(run, tmp_path: Path) -> None:  # noqa: ANN001
    code, out, _ = run("queue", "--json")
    assert code == 0 and json.loads(out)[0]["subject"] == "Login fails"
    policy = tmp_path / "policy.toml"
    policy.write_text(default_policy_text(), encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    create_store(other)
    args = ("--db", str(other), "--policy", str(policy), "--now", OPENED, "--json")
    assert run("ticket", "new", "--from", "x@y.example", "--subject", "Elsewhere", *args)[0] == 0
    code, out, _ = run("ticket", "show", "1", *args, "--as", "ana", "--debug")
    assert code == 0 and json.loads(out)["subject"] == "Elsewhere"
    code, out, _ = run("escalations", "--json")
    assert code == 0 and json.loads(out)[0]["ticket"] == 1


def test_a_global_option_after_the_command_wins_over_one_before(run, tmp_path: Path) -> None:  # noqa: ANN001
    code, out, _ = run("--db", str(tmp_path / "missing.sqlite3"), "queue", "--db", str(run.db))
    assert code == 0 and "Login fails" in out


# ----------------------------------------------------------------------------------------
# Bounded input (#10.12)


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "show", str(2**63)),
        ("ticket", "show", "0"),
        ("ticket", "show", "-1"),
        ("ticket", "reply", str(2**63), "--body", "x"),
        ("escalation", "ack", "99999999999999999999"),
        ("queue", "--limit", "99999999999999999999"),
        ("queue", "--limit", "-1"),
        ("queue", "--limit", "0"),
        ("ticket", "csat", "1", "6"),
        ("demo", "--tickets", "99999999999999999999", "--no-open"),
        ("ticket", "note", "1", "--body", "x", "--at", "0001-01-01T00:00"),
        ("ticket", "note", "1", "--body", "x", "--at", "9999-12-31T23:59"),
        ("ticket", "set", "1", "--due-resolution", "9999-12-31T23:59"),
        ("--now", "0001-01-01T00:00", "queue"),
        ("queue", "--now", "9999-12-31T23:59"),
        ("ticket", "new", "--from", "a@b.example", "--subject", "s", "--at", "0001-01-01T00:00"),
        ("customer", "add", "Acme"),  # (setup for the next line: written before the count)
        ("ticket", "note", "1", "--body", "x", "--if-version", "0"),
    ],
)
def test_out_of_range_numbers_and_instants_exit_2_with_one_line_and_write_nothing(
    run, args: tuple[str, ...]
) -> None:  # noqa: ANN001
    if args == ("customer", "add", "Acme"):
        args = ("contract", "add", "Acme", "--plan", "premium", "--start", "0001-01-01")
        assert run("customer", "add", "Acme")[0] == 0
    before = _counts(run.db)
    code, out, err = run(*NOW, *args)
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert _counts(run.db) == before


def test_a_customer_number_beyond_any_row_id_is_not_found(run) -> None:  # noqa: ANN001
    args = ("contract", "add", str(2**64), "--plan", "premium", "--start", "2026-01-01")
    code, _, err = run(*NOW, *args)
    assert code == 3 and err.count("\n") == 1 and f"no customer '{2**64}'" in err


def test_instants_at_the_edges_of_the_supported_range_are_accepted(run) -> None:  # noqa: ANN001
    late = ("ticket", "note", "1", "--body", "x", "--as", "ana", "--at", "2199-12-31T23:59Z")
    assert run(*late)[0] == 0
    code, _, err = run("--now", "1970-01-01T00:00Z", "queue")
    assert code == 0, err


def test_arguments_that_are_not_utf8_exit_2_with_one_line(run) -> None:  # noqa: ANN001
    proc = _cli("ticket", "new", "--from", "a@b.example", "--subject", b"caf\xe9")  # type: ignore[arg-type]
    assert proc.returncode == 2
    assert proc.stderr.count(b"\n") == 1 and b"not valid UTF-8" in proc.stderr
    assert proc.stdout == b""


def test_a_body_on_standard_input_that_is_not_utf8_exits_2_and_writes_nothing(run) -> None:  # noqa: ANN001
    before = _counts(run.db)
    note = ("ticket", "note", "1", "--body", "-", "--as", "ana")
    proc = _cli(*NOW, *note, stdin=b"caf\xe9 au lait\n")
    assert proc.returncode == 2, proc.stderr
    assert b"standard input is not valid UTF-8" in proc.stderr
    assert proc.stderr.count(b"\n") == 1
    assert _counts(run.db) == before


# ----------------------------------------------------------------------------------------
# --if-version on every ticket write (#10.14)

WRITES = {
    "reply": ("ticket", "reply", "1", "--body", "On it", "--as", "ana"),
    "note": ("ticket", "note", "1", "--body", "Hm", "--as", "ana"),
    "message": ("ticket", "message", "1", "--body", "Any news?"),
    "set": ("ticket", "set", "1", "--priority", "high", "--as", "ana"),
    "csat": ("ticket", "csat", "1", "4"),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_ticket_write_with_if_version_happens_only_at_that_version(run, write: str) -> None:  # noqa: ANN001
    shown = json.loads(run("--json", *NOW, "ticket", "show", "1")[1])
    seen = shown["version"]
    assert seen == 1
    assert run(*NOW, "ticket", "note", "1", "--body", "meanwhile", "--as", "ana")[0] == 0
    before = _counts(run.db)
    code, out, err = run(*NOW, *WRITES[write], "--if-version", str(seen))
    assert code == 4 and out == "" and "changed by someone else" in err
    assert _counts(run.db) == before
    code, out, _ = run("--json", *NOW, *WRITES[write], "--if-version", str(seen + 1))
    assert code == 0 and json.loads(out)["version"] == seen + 2
    assert json.loads(run("--json", *NOW, "ticket", "show", "1")[1])["version"] == seen + 2


# ----------------------------------------------------------------------------------------
# Roles and --help (#11.9)


def test_an_unknown_role_is_refused_by_the_cli_and_the_service(run) -> None:  # noqa: ANN001
    before = _counts(run.db)
    code, _, err = run("operator", "add", "zed", "--role", "superhero")
    assert code == 2 and "superhero" in err and all(role in err for role in ROLES)
    assert _counts(run.db) == before
    from tui_desk.cli import Context, build_parser

    desk = Context(build_parser().parse_args(["queue"])).desk
    with pytest.raises(BadInput, match="no role 'superhero'"):
        desk.add_operator("zed", "superhero")
    assert desk.add_operator("zed", "manager").role == "manager"


def test_the_roles_the_default_policy_notifies_are_roles() -> None:
    levels = tomllib.loads(default_policy_text())["escalation"]["levels"]
    named = {who for level in levels for who in level.get("notify", [])}
    assert named and named <= set(ROLES)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("operator", "add"), ["agent", "lead", "manager", "cto"]),
        (("contract", "add"), ["basic", "premium", "YYYY-MM-DD"]),
        (("ticket", "new"), ["urgent", "low", "email", "ISO 8601", "offset"]),
        (("ticket", "set"), ["pending", "urgent", "auto", "ISO 8601"]),
        (("ticket", "reply"), ["pending", "--if-version", "ISO 8601"]),
        (("queue",), ["open", "--json", "--db"]),
    ],
)
def test_help_names_the_choices_and_formats(
    run, command: tuple[str, ...], expected: list[str]
) -> None:  # noqa: ANN001
    code, out, _ = run(*command, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert all(word in text for word in expected), text


# ----------------------------------------------------------------------------------------
# The TUI needs a terminal (#11.11)


@pytest.mark.parametrize("args", [(), ("demo",)])
def test_the_tui_without_a_terminal_exits_2_at_once_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    db = tmp_path / "never.sqlite3"
    with open(tmp_path / "out.txt", "wb") as out:
        proc = _cli("--db", str(db), *args, stdin=None, stdout=out, stderr=subprocess.PIPE)
    assert proc.returncode == 2
    assert proc.stderr.count(b"\n") == 1 and b"needs a terminal" in proc.stderr
    assert not db.exists() and (tmp_path / "out.txt").read_bytes() == b""


def test_body_from_a_terminal_says_what_it_waits_for(
    run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    class Keyboard(io.BytesIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(Keyboard(b"Typed in\n")))
    code, _, err = run("ticket", "note", "1", "--body", "-", "--as", "ana")
    assert code == 0
    assert "reading the body from standard input; end with Ctrl-D" in err
    shown = json.loads(run("--json", "ticket", "show", "1")[1])
    assert shown["events"][-1]["body"] == "Typed in\n"


LATER = ("--now", "2026-11-18T12:00:00+01:00")  # ticket #1 is long past every escalation


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "reply", "1", "--body", "x", "--as", "ana", "--status", "bogus"),
        ("ticket", "set", "1", "--priority", "nope", "--as", "ana"),
        ("ticket", "note", "1", "--body", "x", "--as", "nobody"),
        ("ticket", "note", "1", "--body", "x", "--as", "ana", "--if-version", "99"),
        ("operator", "add", "zed", "--role", "superhero"),
    ],
)
def test_a_refused_write_records_no_escalation_either(run, args: tuple[str, ...]) -> None:  # noqa: ANN001
    before = _counts(run.db)
    code, _, err = run(*LATER, *args)
    assert code in (2, 3, 4), err
    assert _counts(run.db) == before


def test_a_write_that_succeeds_catches_up_on_escalations_afterwards(run) -> None:  # noqa: ANN001
    code, _, err = run(*LATER, "ticket", "note", "1", "--body", "looking", "--as", "ana")
    assert code == 0, err
    with sqlite3.connect(run.db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM event WHERE ticket_id = 1")]
    assert "note" in kinds and "escalation" in kinds
