"""Running `tui-desk ARGS` in-process for a test: (exit code, stdout, stderr)."""

from __future__ import annotations

import pytest

from tui_desk.cli import main


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own --help and --version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
