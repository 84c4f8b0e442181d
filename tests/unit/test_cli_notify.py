"""Notifications never hold a command (SPEC §5, issue #10.11): the notifier runs detached,
each level is still notified once, and a notifier that fails later is still recorded."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.cli_runner import create_store, invoke
from tests.policies import ESCALATION_POLICY
from tests.waiting import eventually
from tui_desk.paths import log_dir
from tui_desk.services import escalation

# A notifier that waits until the test opens its gate, then records its arguments: while the
# gate is closed it cannot finish, so a command that waited for it could never return.
# It also notes what it inherited: its session, standard input and open descriptors.
GATED = """
import json, os, sys, time
gate, marks, test_session = sys.argv[1], sys.argv[2], int(sys.argv[3])
inherited = {
    "own_session": os.getsid(0) != test_session,
    "stdin": os.readlink("/proc/self/fd/0") if os.path.exists("/proc/self/fd") else "/dev/null",
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")) if os.path.exists("/proc/self/fd") else [],
}
while not os.path.exists(gate):
    time.sleep(0.01)
with open(os.path.join(marks, str(os.getpid())), "w", encoding="utf-8") as out:
    json.dump({"args": sys.argv[4:], **inherited}, out)
"""


@pytest.fixture
def desk_with(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`desk_with(notify_command)` -> run(*args): the CLI on a store with four tickets
    opened at 09:00 that reach their first level (warning) at 10:30."""
    # Long enough for the test to open the gate; a command that waited for its notifiers
    # would stop them after this and never see them finish.
    monkeypatch.setattr(escalation, "NOTIFY_TIMEOUT_SECONDS", 60.0)

    def _setup(command: list[str]):  # noqa: ANN202
        policy = tmp_path / "policy.toml"
        policy.write_text(
            ESCALATION_POLICY.replace("NOTIFY_COMMAND", f"notify_command = {json.dumps(command)}"),
            encoding="utf-8",
        )
        create_store(tmp_path / "desk.sqlite3")  # as tui-desk init leaves it
        monkeypatch.setenv("TUI_DESK_DB", str(tmp_path / "desk.sqlite3"))
        monkeypatch.setenv("TUI_DESK_POLICY", str(policy))

        def run(*args: str) -> tuple[int, str, str]:
            return invoke(capsys, *args)

        for n in range(4):
            opened = "2026-11-16T09:00:00+01:00"
            args = ("ticket", "new", "--from", "bo@acme.io", "--subject", f"T{n}", "--at", opened)
            assert run(*args)[0] == 0
        return run

    return _setup


def _failed_notifications(db: str) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT ticket_id, data FROM event WHERE kind = 'escalation'")
        return [(t, json.loads(d)["name"]) for t, d in rows if "notification" in json.loads(d)]


def test_a_slow_notifier_does_not_hold_the_command_and_each_level_is_notified_once(
    desk_with, tmp_path: Path
) -> None:  # noqa: ANN001
    gate, marks = tmp_path / "gate", tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "gated.py"
    script.write_text(GATED, encoding="utf-8")
    session = str(os.getsid(0))
    command = [sys.executable, str(script), str(gate), str(marks), session, "{ticket}", "{level}"]
    run = desk_with(command)

    code, out, err = run("--now", "2026-11-16T10:31:00+01:00", "queue")
    assert code == 0 and err == ""
    assert "T0" in out
    assert list(marks.iterdir()) == []  # returned while every notifier was still waiting
    # The next command finds the levels recorded: nothing is notified twice.
    assert run("--now", "2026-11-16T10:32:00+01:00", "queue")[0] == 0

    gate.touch()
    done = eventually(lambda: len(list(marks.iterdir())) >= 4 and list(marks.iterdir()), "marks")
    calls = [json.loads(p.read_text(encoding="utf-8")) for p in done]
    assert sorted(c["args"] for c in calls) == [[str(t), "lead"] for t in (1, 2, 3, 4)]
    for call in calls:  # detached: nothing of the command's terminal or files
        assert call["own_session"] and call["stdin"] == "/dev/null"
        assert set(call["fds"]) <= {0, 1, 2, 3}  # 3: the listing's own descriptor


def test_a_notifier_that_fails_later_is_logged_and_recorded_on_its_ticket(
    desk_with, tmp_path: Path
) -> None:  # noqa: ANN001
    script = tmp_path / "failing.py"
    script.write_text("import sys\nsys.stderr.write('no \\x1b[2Jdisplay\\n')\nsys.exit(3)\n")
    run = desk_with([sys.executable, str(script), "{ticket}"])
    code, _, err = run("--now", "2026-11-16T10:31:00+01:00", "queue")
    assert code == 0 and err == ""  # the exit status is not known yet
    db = os.environ["TUI_DESK_DB"]
    failed = eventually(
        lambda: len(_failed_notifications(db)) == 4 and _failed_notifications(db),
        "four failure events",
    )
    assert sorted(failed) == [(t, "lead") for t in (1, 2, 3, 4)]
    logged = (log_dir() / "tui-desk.log").read_text(encoding="utf-8")
    assert logged.count("exited with 3: no \ufffd[2Jdisplay") == 4  # quoted, never an escape
    assert "\x1b" not in logged


def test_a_notifier_that_cannot_start_is_reported_at_once(desk_with, tmp_path: Path) -> None:  # noqa: ANN001
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o600)
    run = desk_with([str(script), "{ticket}"])
    code, _, err = run("--now", "2026-11-16T10:31:00+01:00", "queue")
    assert code == 0
    assert err.count("warning: notify_command failed") == 4 and "could not run" in err
    assert sorted(_failed_notifications(os.environ["TUI_DESK_DB"])) == [
        (t, "lead") for t in (1, 2, 3, 4)
    ]


def test_a_notifier_that_outlives_its_time_is_stopped_and_recorded(
    desk_with, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    script = tmp_path / "forever.py"
    script.write_text("import time\nwhile True:\n    time.sleep(1)\n")
    run = desk_with([sys.executable, str(script)])
    monkeypatch.setattr(escalation, "NOTIFY_TIMEOUT_SECONDS", 0.2)
    assert run("--now", "2026-11-16T10:31:00+01:00", "queue")[0] == 0
    db = os.environ["TUI_DESK_DB"]
    eventually(lambda: len(_failed_notifications(db)) == 4, "four failure events")
    logged = (log_dir() / "tui-desk.log").read_text(encoding="utf-8")
    assert logged.count("did not finish in time and was stopped") == 4
