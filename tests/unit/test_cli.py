"""The command line through its entry point (SPEC §7): shapes, exit codes, nothing half-written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-11-16T12:00:00+01:00"


def _events(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM event").fetchone()[0]


def _setup(run) -> int:  # noqa: ANN001
    assert run("operator", "add", "ana", "--role", "lead")[0] == 0
    assert run("customer", "add", "Acme", "--domain", "acme.io")[0] == 0
    assert run("contract", "add", "Acme", "--plan", "premium", "--start", "2026-01-01")[0] == 0
    code, out, _ = run(
        "ticket",
        "new",
        "--from",
        "bo@acme.io",
        "--subject",
        "[URGENT] [b]bold[/b]",
        "--body",
        "-",
        "--at",
        "2026-11-16T10:00:00+01:00",
        stdin="It broke.\n",
    )
    assert code == 0
    return int(out.strip())


def test_round_trip_customer_contract_ticket_reply_note_status(run) -> None:  # noqa: ANN001
    tid = _setup(run)
    assert (
        run(
            "ticket",
            "reply",
            str(tid),
            "--body",
            "Looking",
            "--as",
            "ana",
            "--at",
            "2026-11-16T10:20:00+01:00",
        )[0]
        == 0
    )
    assert (
        run(
            "ticket",
            "note",
            str(tid),
            "--body",
            "internal",
            "--as",
            "ana",
            "--at",
            "2026-11-16T10:21:00+01:00",
        )[0]
        == 0
    )
    assert (
        run(
            "ticket",
            "set",
            str(tid),
            "--status",
            "pending",
            "--tag",
            "billing",
            "--at",
            "2026-11-16T10:22:00+01:00",
        )[0]
        == 0
    )
    code, out, _ = run("--json", "--now", NOW, "ticket", "show", str(tid))
    assert code == 0
    shown = json.loads(out)
    for key in (
        "id",
        "subject",
        "status",
        "priority",
        "channel",
        "customer",
        "contact",
        "assignee",
        "tags",
        "product",
        "contract_id",
        "plan",
        "sla_policy",
        "over_quota",
        "billable",
        "created_at",
        "sla",
        "next_deadline",
        "escalation",
        "events",
    ):
        assert key in shown
    assert shown["subject"] == "[URGENT] [b]bold[/b]"
    assert shown["customer"] == "Acme" and shown["plan"] == "premium"
    assert shown["status"] == "pending" and shown["tags"] == ["billing"]
    assert shown["created_at"] == "2026-11-16T09:00:00Z"
    assert [e["kind"] for e in shown["events"]] == [
        "customer_message",
        "quota",
        "reply",
        "note",
        "tags",
        "status",
    ]
    assert shown["events"][0]["body"] == "It broke.\n"
    assert shown["sla"]["first_response"]["state"] == "met"
    assert shown["sla"]["resolution"]["state"] == "paused"
    assert shown["escalation"] == {"level": 0, "name": None, "since": None, "acknowledged": False}


def test_ticket_new_json_prints_the_ticket(run) -> None:  # noqa: ANN001
    code, out, _ = run("--json", "ticket", "new", "--from", "a@b.example", "--subject", "Hi")
    assert code == 0
    assert json.loads(out)["id"] == 1


def test_queue_json_is_a_list_in_queue_order(run) -> None:  # noqa: ANN001
    run(
        "ticket",
        "new",
        "--from",
        "a@b.example",
        "--subject",
        "low",
        "--priority",
        "low",
        "--at",
        "2026-11-16T09:00:00Z",
    )
    run(
        "ticket",
        "new",
        "--from",
        "a@b.example",
        "--subject",
        "urgent",
        "--priority",
        "urgent",
        "--at",
        "2026-11-16T09:00:00Z",
    )
    code, out, _ = run("--json", "--now", NOW, "queue")
    assert code == 0
    items = json.loads(out)
    assert [i["subject"] for i in items] == ["urgent", "low"]
    assert set(items[0]["sla"]) == {"first_response", "next_response", "resolution"}


def test_unknown_ticket_exits_3(run) -> None:  # noqa: ANN001
    code, out, err = run("ticket", "show", "987")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "no ticket #987" in err


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "new", "--from", "a@b.example", "--subject", "s", "--priority", "nope"),
        ("ticket", "new", "--from", "a@b.example", "--subject", "s", "--at", "yesterday-ish"),
        ("ticket", "new", "--from", "not-an-email", "--subject", "s"),
        ("ticket", "new", "--from", "a@b.example", "--subject", "   "),
        ("contract", "add", "Nobody", "--plan", "premium", "--start", "2026-01-01"),
        ("ticket", "frobnicate"),
        ("--bogus-flag",),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(run, args) -> None:  # noqa: ANN001
    run("ticket", "new", "--from", "a@b.example", "--subject", "seed")
    before = _events(run.db)
    code, _, err = run(*args)
    assert code in (2, 3)  # an unknown customer is "not found"
    assert err.strip().count("\n") == 0, err
    assert _events(run.db) == before


def test_policy_check_of_the_default_exits_0(run) -> None:  # noqa: ANN001
    code, out, _ = run("policy", "check", "config/policy.toml")
    assert code == 0 and "valid" in out


def test_policy_check_of_a_broken_file_exits_2_naming_the_place(run, tmp_path: Path) -> None:  # noqa: ANN001
    broken = tmp_path / "broken.toml"
    broken.write_text('[desk]\ntimezone = "Europe/Berlinn"\n')
    code, _, err = run("policy", "check", str(broken))
    assert code == 2
    assert "broken.toml" in err and "desk.timezone" in err


def test_policy_show_prints_the_effective_policy_as_toml(run) -> None:  # noqa: ANN001
    import tomllib

    code, out, _ = run("policy", "show")
    assert code == 0
    shown = tomllib.loads(out)
    assert shown["statuses"]["initial"] == "new"


def test_policy_init_never_overwrites(run, tmp_path: Path) -> None:  # noqa: ANN001
    target = tmp_path / "p.toml"
    assert run("policy", "init", str(target))[0] == 0
    target.write_text("# mine\n" + target.read_text())
    code, _, err = run("policy", "init", str(target))
    assert code == 2 and "already exists" in err
    assert target.read_text().startswith("# mine")


def test_init_writes_the_policy_and_creates_the_store(run, isolated_environment: Path) -> None:  # noqa: ANN001
    code, out, _ = run("--json", "init")
    assert code == 0
    info = json.loads(out)
    assert Path(info["policy"]).is_file() and info["policy_created"] is True
    assert Path(info["db"]).is_file()
    assert run("--json", "init")[0] == 0
    assert json.loads(run("--json", "locate")[1])["policy"] == info["policy"]


def test_missing_policy_named_explicitly_exits_2(run, tmp_path: Path) -> None:  # noqa: ANN001
    code, _, err = run("--policy", str(tmp_path / "nope.toml"), "queue")
    assert code == 2 and "nope.toml" in err


def test_now_flag_and_env_evaluate_at_that_instant(run, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    run("ticket", "new", "--from", "a@b.example", "--subject", "s", "--at", "2026-11-16T09:00:00Z")
    early = json.loads(run("--json", "--now", "2026-11-16T09:01:00Z", "ticket", "show", "1")[1])
    monkeypatch.setenv("TUI_DESK_NOW", "2026-11-30T09:00:00Z")
    late = json.loads(run("--json", "ticket", "show", "1")[1])
    assert early["sla"]["first_response"]["state"] == "running"
    assert late["sla"]["first_response"]["state"] == "breached"


def test_demo_no_open_fills_the_given_store(run, tmp_path: Path) -> None:  # noqa: ANN001
    db = str(tmp_path / "demo.sqlite3")
    code, out, _ = run("--db", db, "--json", "demo", "--tickets", "60", "--seed", "3", "--no-open")
    assert code == 0
    assert json.loads(out)["tickets"] == 60
    code, out, _ = run("--db", db, "--json", "queue")
    assert len(json.loads(out)) > 0


def test_console_script_is_installed_and_runs() -> None:
    beside = Path(sys.executable).parent / "tui-desk"  # the venv's scripts, activated or not
    exe = str(beside) if beside.exists() else shutil.which("tui-desk")
    assert exe, "the tui-desk console script is not installed: pip install -e ."
    proc = subprocess.run(
        [exe, "--help"], capture_output=True, text=True, timeout=60, env=os.environ.copy()
    )
    assert proc.returncode == 0 and "helpdesk" in proc.stdout


def test_unexpected_errors_are_one_line_and_logged(
    run, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path
) -> None:  # noqa: ANN001
    import tui_desk.services as services

    def boom(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.HelpDesk, "queue_with_clocks", boom)
    code, _, err = run("queue")
    assert code == 1
    assert err.count("\n") == 1 and "disk on fire" in err and "Traceback" not in err
    logs = list(isolated_environment.rglob("tui-desk.log"))
    # The log names the failure and where it happened; its message may quote a ticket, so
    # it stays out of the log unless --debug.
    assert logs and "RuntimeError" in logs[0].read_text() and "boom" in logs[0].read_text()


def test_control_characters_in_user_text_never_reach_the_terminal(run) -> None:  # noqa: ANN001
    evil = "Hi \x1b]0;pwned\x07 \x1b[2J there"
    assert run("ticket", "new", "--from", "a@b.example", "--subject", evil)[0] == 0
    code, out, _ = run("ticket", "show", "1")
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "pwned" in out
    code, out, _ = run("queue")
    assert "\x1b" not in out
    code, out, _ = run("--json", "ticket", "show", "1")
    assert json.loads(out)["subject"] == "Hi ]0;pwned [2J there"  # stored as one visible line
