"""What the command line prints (SPEC §7; issues #11.8, #11.12): JSON under --json, words
otherwise, for every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_runner import create_store, invoke

AT = "2026-11-16T10:00:00+01:00"


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    create_store(tmp_path / "desk.sqlite3")  # as tui-desk init leaves it
    monkeypatch.setenv("TUI_DESK_DB", str(tmp_path / "desk.sqlite3"))

    def _run(*args: str) -> tuple[int, str, str]:
        return invoke(capsys, *args)

    return _run


def test_policy_show_under_json_prints_the_effective_policy_as_json(run) -> None:  # noqa: ANN001
    code, out, _ = run("--json", "policy", "show")
    assert code == 0
    shown = json.loads(out)
    assert shown["statuses"]["initial"] == "new" and "premium" in shown["plans"]
    assert json.loads(run("policy", "show", "--json")[1]) == shown


def test_adding_operators_customers_and_contracts_prints_words_or_json(run) -> None:  # noqa: ANN001
    assert run("operator", "add", "ana", "--role", "lead")[1] == "added operator ana (lead) as #1\n"
    code, out, _ = run("--json", "operator", "add", "ben")
    assert code == 0 and json.loads(out) == {"id": 2, "name": "ben", "role": "agent"}
    code, out, _ = run("customer", "add", "Acme", "--domain", "Acme.io")
    assert out == "added customer Acme as #1 (domains: acme.io)\n"
    code, out, _ = run("contract", "add", "Acme", "--plan", "premium", "--start", "2026-01-01")
    assert out == "added contract #1: Acme on plan premium, from 2026-01-01 open-ended\n"
    code, out, _ = run("--json", "customer", "add", "Initech")
    assert json.loads(out)["name"] == "Initech"
    args = ("contract", "add", "Initech", "--plan", "basic", "--start", "2026-01-01")
    code, out, _ = run(*args, "--end", "2026-12-31", "--json")
    assert json.loads(out)["end"] == "2026-12-31"


def test_queue_has_column_headers_and_says_when_nothing_matches(run) -> None:  # noqa: ANN001
    assert run("queue")[1] == "no tickets in the queue\n"
    args = ("ticket", "new", "--from", "bo@acme.io", "--subject", "Login fails", "--at", AT)
    assert run(*args)[0] == 0
    code, out, _ = run("--now", AT, "queue")
    header, row = out.splitlines()
    assert header.split() == ["ID", "STATUS", "PRIORITY", "NEXT", "DUE", "SUBJECT"]
    assert row.startswith("#1") and row.endswith("Login fails")
    assert row.index("Login fails") == header.index("SUBJECT")
    assert run("--now", AT, "queue", "--status", "pending")[1] == "no tickets with status pending\n"


def test_ticket_writes_say_what_was_done(run) -> None:  # noqa: ANN001
    run("operator", "add", "ana")
    run("ticket", "new", "--from", "bo@acme.io", "--subject", "Login fails", "--at", AT)
    code, out, _ = run(
        "--now", AT, "ticket", "reply", "1", "--body", "On it", "--status", "pending"
    )
    assert out == "#1 reply sent; status pending, version 2\n"


def test_ticket_show_prints_every_event_in_words_with_the_csat_score(run) -> None:  # noqa: ANN001
    run("operator", "add", "ana", "--role", "lead")
    run("customer", "add", "Acme", "--domain", "acme.io")
    run("contract", "add", "Acme", "--plan", "premium", "--start", "2026-01-01")
    run("ticket", "new", "--from", "bo@acme.io", "--subject", "Login fails", "--at", AT,
        "--body", "It broke.\nTwice.")  # fmt: skip
    later = "2026-11-16T10:10:00+01:00"
    steps = [
        ("ticket", "set", "1", "--tag", "billing", "--assignee", "ana", "--priority", "high"),
        ("ticket", "set", "1", "--due-resolution", "2026-11-20T12:00:00Z"),
        ("ticket", "reply", "1", "--body", "Fixed", "--status", "solved"),
        ("ticket", "csat", "1", "4", "--comment", "quick fix"),
    ]
    for step in steps:
        code, _, err = run(*step, "--at", later)
        assert code == 0, err
    code, out, _ = run("--now", "2026-11-18T12:00:00+01:00", "ticket", "show", "1")
    assert code == 0
    assert not re.search(r"[{}\[\]]", out), out  # no raw JSON anywhere
    for words in (
        "message (bo@acme.io)",
        "      It broke.",
        "      Twice.",
        "quota: plan premium, within quota, SLA premium",
        "tags +billing",
        "assignee — → ana",
        "priority normal → high",
        "resolution due set to 2026-11-20T12:00:00Z",
        "reply (ana)",
        "status new → solved",
        "CSAT 4/5: quick fix (bo@acme.io)",
        "version 5",
    ):
        assert words in out, words


def test_ticket_show_prints_escalations_and_acknowledgements_in_words(run) -> None:  # noqa: ANN001
    run("operator", "add", "ana", "--role", "lead")
    run("ticket", "new", "--from", "bo@acme.io", "--subject", "Login fails", "--at", AT)
    now = ("--now", "2026-11-18T12:00:00+01:00")
    assert run(*now, "escalation", "ack", "1", "--as", "ana")[0] == 0
    code, out, _ = run(*now, "ticket", "show", "1")
    assert code == 0 and not re.search(r"[{}\[\]]", out), out
    assert "escalated to lead (first response) (escalation)" in out
    assert "escalation executive acknowledged (ana)" in out
