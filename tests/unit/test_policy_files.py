"""Where the policy is read from (SPEC §2, §7; issue #10): a policy path that names a FIFO, a
device or a directory is "not a regular file" (exit 2, one line), and opening it never
blocks, whether it came from --policy, `policy check PATH` or the default location."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from tests.cli_runner import invoke
from tui_desk.paths import APP


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO with no writer. Should a reader block on it, a writer comes by after a while and
    closes at once, so a wrong reader sees an empty file and fails instead of hanging."""
    path = tmp_path / "policy.toml"
    os.mkfifo(path)
    stop = threading.Event()

    def unblock_readers() -> None:
        while not stop.wait(2):
            with contextlib.suppress(OSError):  # ENXIO: nobody is reading, all is well
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    guard = threading.Thread(target=unblock_readers, daemon=True)
    guard.start()
    yield path
    stop.set()
    guard.join()


def _refused_as_not_regular(result: tuple[int, str, str], path: Path) -> None:
    code, out, err = result
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert str(path) in err and "not a regular file" in err


def test_a_fifo_given_with_policy_is_not_a_regular_file(
    fifo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused_as_not_regular(invoke(capsys, "--policy", str(fifo), "policy", "show"), fifo)


def test_policy_check_of_a_fifo_is_not_a_regular_file(
    fifo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused_as_not_regular(invoke(capsys, "policy", "check", str(fifo)), fifo)


def test_a_fifo_at_the_default_policy_path_is_not_a_regular_file(
    capsys: pytest.CaptureFixture[str], isolated_environment: Path
) -> None:
    default = Path(platformdirs.user_config_dir(APP)) / "policy.toml"
    default.parent.mkdir(parents=True)
    os.mkfifo(default)
    _refused_as_not_regular(invoke(capsys, "policy", "show"), default)


def test_a_directory_given_with_policy_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused_as_not_regular(invoke(capsys, "--policy", str(tmp_path), "policy", "check"), tmp_path)
    _refused_as_not_regular(invoke(capsys, "policy", "check", str(tmp_path)), tmp_path)


def test_a_device_given_with_policy_is_not_a_regular_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _refused_as_not_regular(
        invoke(capsys, "--policy", os.devnull, "policy", "show"), Path(os.devnull)
    )


def test_a_missing_policy_given_with_policy_still_says_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "--policy", str(tmp_path / "nope.toml"), "policy", "show")
    assert code == 2 and "no policy file" in err and "not a regular file" not in err
