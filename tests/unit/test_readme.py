"""The README's commands work as written (issue #11.13): after the quick start, "Using it"
first puts the venv's `tui-desk` on PATH, then every line runs."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.cli_runner import invoke

README = Path(__file__).resolve().parents[2] / "README.md"


def _block_after(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, f"no sh block under {heading}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_quick_start_installs_into_the_venv_that_using_it_activates() -> None:
    quick = _block_after("Quick start")
    assert quick == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/tui-desk demo"
    ]
    first = shlex.split(_block_after("Using it")[0], comments=True)
    assert first == [".", ".venv/bin/activate"]


def test_every_using_it_command_runs_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    lines = [shlex.split(line, comments=True) for line in _block_after("Using it")[1:]]
    assert all(words[0] == "tui-desk" for words in lines)
    for words in lines:
        args = words[1:]
        if not args:
            continue  # the TUI itself: needs a terminal
        if "-" in args:
            monkeypatch.setattr(sys, "stdin", io.StringIO("I cannot log in.\n"))
        code, _, err = invoke(capsys, *args)
        assert code == 0, f"{' '.join(words)}: {err}"
