"""Fixtures shared by the unit tests of the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import cli_runner, create_store


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `tui-desk ARGS` in-process on a private store (as `tui-desk init` leaves it);
    returns (code, stdout, stderr)."""
    db = tmp_path / "desk.sqlite3"
    create_store(db)
    monkeypatch.setenv("TUI_DESK_DB", str(db))
    _run = cli_runner(capsys, monkeypatch)
    _run.db = db  # type: ignore[attr-defined]
    return _run
