"""Fixtures shared by the unit tests of the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui_desk.cli import main


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `tui-desk ARGS` in-process on a private store; returns (code, stdout, stderr)."""
    db = tmp_path / "desk.sqlite3"
    monkeypatch.setenv("TUI_DESK_DB", str(db))

    def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            import io

            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    _run.db = db  # type: ignore[attr-defined]
    return _run
