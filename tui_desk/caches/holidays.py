"""A persistent cache of `holiday_country` dates, so that starting tui-desk does not import
the `holidays` package (~0.3 s on a slow machine) just to learn this year's public holidays.

One small JSON file in the user cache dir, per installed `holidays` package (its location,
size and modification time name the file), maps codes to years to dates. Misses fall
through to the package and are written back (atomically: concurrent processes at worst
redo a lookup). The file is read only when it is this user's own and written 0600 (see
`cache_files`); any problem with it means: ask the package.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from tui_desk.cache_files import cache_dir, read_private, write_private
from tui_desk.core.calendar import CountryHolidays, PackageHolidays, use_country_holidays


class CachedHolidays:
    """`CountryHolidays` answered from a file when possible."""

    def __init__(self, path: Path, fallback: CountryHolidays) -> None:
        self.path = path
        self.fallback = fallback
        self._data: dict[str, dict[str, list[str]]] | None = None

    def _load(self) -> dict[str, dict[str, list[str]]]:
        if self._data is None:
            data = read_private(self.path)
            try:
                loaded: Any = json.loads(data) if data is not None else {}
            except ValueError:
                loaded = {}
            valid = isinstance(loaded, dict) and all(
                isinstance(years, dict) for years in loaded.values()
            )
            self._data = loaded if valid else {}
        return self._data

    def check(self, code: str) -> None:
        if code not in self._load():  # a code with cached dates was checked before
            self.fallback.check(code)

    def dates(self, code: str, year: int) -> Iterable[date]:
        years = self._load().setdefault(code, {})
        cached = years.get(str(year))
        if cached is not None:
            try:
                return [date.fromisoformat(text) for text in cached]
            except (TypeError, ValueError):
                pass  # damaged: look it up again
        found = sorted(self.fallback.dates(code, year))
        years[str(year)] = [day.isoformat() for day in found]
        self._save()
        return found

    def _save(self) -> None:
        write_private(self.path, json.dumps(self._data, sort_keys=True).encode("utf-8"))


def install_holiday_cache() -> None:
    """Serve `holiday_country` dates from the user cache dir (no-op without the package)."""
    spec = find_spec("holidays")
    if spec is None or not spec.origin:
        return
    try:
        stat = os.stat(spec.origin)
    except OSError:
        return
    key = f"{spec.origin}\0{stat.st_size}\0{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = cache_dir() / f"holidays-{digest}.json"
    use_country_holidays(CachedHolidays(path, PackageHolidays()))
