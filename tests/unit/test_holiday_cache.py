"""`holiday_country` dates served from the user cache dir (tui_desk.caches.holidays)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.unit.sla_factories import at, calendar_spec
from tui_desk.caches.holidays import CachedHolidays
from tui_desk.core.calendar import PackageHolidays, WorkingCalendar, use_country_holidays

HOUR = 3600


class CountingHolidays(PackageHolidays):
    def __init__(self) -> None:
        self.checks: list[str] = []
        self.lookups: list[tuple[str, int]] = []

    def check(self, code: str) -> None:
        self.checks.append(code)
        super().check(code)

    def dates(self, code: str, year: int) -> set[date]:
        self.lookups.append((code, year))
        return super().dates(code, year)


@pytest.fixture
def restore_source() -> Iterator[None]:
    yield
    use_country_holidays(None)


def test_dates_are_looked_up_once_then_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "holidays.json"
    first = CountingHolidays()
    cached = CachedHolidays(path, first)
    cached.check("DE")
    assert date(2026, 10, 3) in set(cached.dates("DE", 2026))  # German Unity Day
    assert first.checks == ["DE"] and first.lookups == [("DE", 2026)]

    later = CountingHolidays()
    again = CachedHolidays(path, later)  # another process, same file
    again.check("DE")
    assert set(again.dates("DE", 2026)) == PackageHolidays().dates("DE", 2026)
    assert later.checks == [] and later.lookups == []
    again.dates("DE", 2027)
    assert later.lookups == [("DE", 2027)]


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text("{not json")
    source = CountingHolidays()
    assert date(2026, 12, 25) in set(CachedHolidays(path, source).dates("DE", 2026))
    path.write_text('{"DE": {"2026": ["Christmas"]}}')
    assert date(2026, 12, 25) in set(CachedHolidays(path, source).dates("DE", 2026))
    assert source.lookups == [("DE", 2026), ("DE", 2026)]


def test_unknown_countries_are_still_refused(tmp_path: Path, restore_source: None) -> None:
    use_country_holidays(CachedHolidays(tmp_path / "holidays.json", PackageHolidays()))
    with pytest.raises(ValueError, match="not known to the holidays package"):
        WorkingCalendar(calendar_spec(holiday_country="XX"))


def test_calendars_on_the_cache_skip_the_same_days(tmp_path: Path, restore_source: None) -> None:
    spec = calendar_spec(holiday_country="DE")
    expected = WorkingCalendar(spec).add_working(at("2026-04-30 17:30"), HOUR)
    use_country_holidays(CachedHolidays(tmp_path / "holidays.json", PackageHolidays()))
    assert WorkingCalendar(spec).add_working(at("2026-04-30 17:30"), HOUR) == expected
    assert expected == at("2026-05-04 09:30")  # Friday 1 May is Labour Day
    use_country_holidays(CachedHolidays(tmp_path / "holidays.json", PackageHolidays()))
    assert WorkingCalendar(spec).add_working(at("2026-04-30 17:30"), HOUR) == expected


def test_a_second_start_does_not_import_the_holidays_package(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from tests.unit.sla_factories import at, calendar_spec\n"
        "from tui_desk.core.calendar import WorkingCalendar\n"
        "from tui_desk.caches.holidays import install_holiday_cache\n"
        "install_holiday_cache()\n"
        "cal = WorkingCalendar(calendar_spec(holiday_country='DE'))\n"
        "cal.add_working(at('2026-12-23 17:30'), 3600)\n"
        "print('holidays' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout.strip()

    assert run() == "True"  # the first start fills the cache from the package
    assert run() == "False"
