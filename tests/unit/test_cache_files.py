"""Cache files are plain data, 0600 in a 0700 directory whatever the umask, and trusted only
when they are this user's own and nobody else may write them (SPEC §9; issue #10.5)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import tui_desk.core.policy_load as policy_load
from tui_desk.cache_files import cache_dir
from tui_desk.caches.holidays import CachedHolidays
from tui_desk.caches.policy import parse_policy_cached
from tui_desk.core.calendar import PackageHolidays
from tui_desk.core.policy import default_policy_text


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the policy validations that actually run (cache misses)."""
    seen: list[str] = []
    real = policy_load.parse_policy_text

    def counting(text: str, path: str = "<policy>") -> object:
        seen.append(path)
        return real(text, path)

    monkeypatch.setattr(policy_load, "parse_policy_text", counting)
    return seen


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _policy_entry() -> Path:
    (entry,) = cache_dir().glob("policy-*")
    return entry


def _plant_notifier(entry: Path, marker: Path) -> None:
    """Rewrite a cached policy so that it would run a command of someone else's choosing."""
    data = json.loads(entry.read_text())
    data["effective"]["escalation"]["notify_command"] = ["touch", str(marker)]
    entry.write_text(json.dumps(data))


def test_cache_files_are_0600_in_a_0700_directory_under_umask_0(
    isolated_environment: Path, open_umask: None
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    CachedHolidays(cache_dir() / "holidays-test.json", PackageHolidays()).dates("DE", 2026)
    assert _mode(cache_dir()) == _mode(cache_dir().parent) == 0o700
    files = sorted(cache_dir().iterdir())
    assert [path.name.split("-")[0] for path in files] == ["holidays", "policy"]
    assert all(_mode(path) == 0o600 for path in files)


def test_the_policy_cache_holds_plain_json(isolated_environment: Path) -> None:
    policy = parse_policy_cached(default_policy_text(), "default")
    entry = json.loads(_policy_entry().read_bytes())
    assert entry["effective"] == json.loads(json.dumps(policy.effective))


def test_a_cached_policy_is_the_validated_one(
    isolated_environment: Path, validations: list[str]
) -> None:
    first = parse_policy_cached(default_policy_text(), "default")
    again = parse_policy_cached(default_policy_text(), "default")
    assert again == first and again.effective == first.effective
    assert validations == ["default"]


@pytest.mark.parametrize("loosen", ["file", "directory"])
def test_a_cache_others_may_write_is_validated_again_not_trusted(
    isolated_environment: Path, validations: list[str], tmp_path: Path, loosen: str
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    entry = _policy_entry()
    _plant_notifier(entry, tmp_path / "ran")
    (entry if loosen == "file" else entry.parent).chmod(0o666 if loosen == "file" else 0o777)
    policy = parse_policy_cached(default_policy_text(), "default")
    assert policy.escalation.notify_command is None
    assert validations == ["default", "default"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_cache_file_of_another_user_is_not_trusted(
    isolated_environment: Path, validations: list[str], tmp_path: Path
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    entry = _policy_entry()
    _plant_notifier(entry, tmp_path / "ran")
    os.chown(entry, 65534, 65534)
    assert parse_policy_cached(default_policy_text(), "default").escalation.notify_command is None
    assert validations == ["default", "default"]


def test_a_cache_entry_that_is_a_link_is_not_followed(
    isolated_environment: Path, validations: list[str], tmp_path: Path
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    entry = _policy_entry()
    elsewhere = tmp_path / "planted.json"
    entry.rename(elsewhere)
    _plant_notifier(elsewhere, tmp_path / "ran")
    entry.symlink_to(elsewhere)
    assert parse_policy_cached(default_policy_text(), "default").escalation.notify_command is None
    assert validations == ["default", "default"]


def test_an_entry_made_from_another_text_is_a_miss(
    isolated_environment: Path, validations: list[str]
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    entry = _policy_entry()
    data = json.loads(entry.read_text())
    data["text"] = "0" * 64
    entry.write_text(json.dumps(data))
    parse_policy_cached(default_policy_text(), "default")
    assert validations == ["default", "default"]


def test_a_holiday_cache_others_may_write_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text('{"DE": {"2026": ["2026-03-03"]}}')
    path.chmod(0o666)
    dates = set(CachedHolidays(path, PackageHolidays()).dates("DE", 2026))
    assert dates == PackageHolidays().dates("DE", 2026)


def test_older_entries_lose_their_read_bits_and_pickles_are_removed(
    isolated_environment: Path,
) -> None:
    parse_policy_cached(default_policy_text(), "default")
    entry = _policy_entry()
    entry.chmod(0o644)
    legacy = cache_dir() / "policy-0123456789abcdef0123456789abcdef.pickle"
    legacy.write_bytes(b"\x80\x05N.")
    parse_policy_cached(default_policy_text(), "default")
    assert _mode(entry) == 0o600
    parse_policy_cached(default_policy_text().replace("Acme Support", "Acme"), "default")
    assert not legacy.exists()
