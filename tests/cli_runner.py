"""Running `tui-desk ARGS` in-process for a test: (exit code, stdout, stderr)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from tui_desk.cli import main

Run = Callable[..., tuple[int, str, str]]


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own --help and --version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def cli_runner(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """`invoke` as one function of ARGS, with an optional standard input."""

    def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return invoke(capsys, *args)

    return _run


def create_store(db: object) -> None:
    """A new, empty store at `db`, as `tui-desk init` leaves it."""
    from tui_desk.store.engine import open_store

    open_store(str(db), create=True).dispose()
