"""Working-time arithmetic on a policy calendar: deadlines and durations in working time (SPEC §3.4).

How it works: the working intervals of each local date are turned into UTC instants (integer
microseconds since the epoch), one calendar year at a time, lazily, and kept in one sorted
table with the *cumulative* working time before each interval. The working time between two
instants is then the difference of their "working positions" (one bisect each), and a
deadline is found by bisecting the cumulative table: no stepping by minutes, days or weeks,
whatever the distance.

Interpretations (documented in docs/sla.md as well):

- Intervals are wall-clock times in the calendar's zone and cover real elapsed time. An
  interval that contains a DST jump is an hour longer (clocks go back) or shorter (clocks go
  forward); 09:00-18:00 on a DST day whose jump is at night is still 9 h.
- A wall time that does not exist (inside a spring-forward gap) is the instant the clocks
  jump: a 02:30 start on the night 02:00 becomes 03:00 starts at that 03:00. An interval lying
  wholly inside the gap is empty.
- A wall time that happens twice (fall-back) is its *first* occurrence as an interval start
  and its *last* occurrence as an interval end, so the interval is continuous and includes
  the repeated hour once per occurrence.
- Intervals are half-open [start, end): an instant exactly at an end is not working time, but
  a deadline that lands exactly on an end *is* that end (18:00, not the next morning).
- Holidays (one-off dates, yearly MM-DD, `holiday_country` public holidays) are whole local
  dates without working time. `holiday_country` is an ISO code ("DE") optionally with a
  subdivision ("DE-BY", "US-CA"), resolved by the `holidays` package one year at a time.
- `always = true` is plain elapsed time; one `d` there is 24 h unless `day_length` says
  otherwise. Elsewhere `d` is `day_length`, by default the most common working length among
  the weekdays that have hours (ties go to the longer length).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tui_desk.core.durations import Duration
from tui_desk.core.policy import CalendarSpec

US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * US_PER_SECOND
_US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
# Bounds that make every operation finish after laying out a bounded number of days, whatever
# the calendar (SPEC §2: "arithmetic on any valid policy must finish in bounded time"):
# - instants are handled from FIRST_YEAR to LAST_YEAR (local years of the calendar);
# - a search for a deadline (or for the instant before a working position) lays out at most
#   HORIZON_YEARS years past the table it started from; the policy check keeps every target
#   and escalation offset within 10 years of calendar time, so only holidays that take away
#   most of a calendar's hours can reach that horizon;
# - three years in a row without any working time end a search at once.
FIRST_YEAR = 1900
LAST_YEAR = 2199
HORIZON_YEARS = 100
_MAX_EMPTY_YEARS = 3


class CalendarRangeError(ValueError):
    """Working-time arithmetic outside its bounds: an instant outside FIRST_YEAR..LAST_YEAR,
    or a deadline that the calendar's working time does not reach within HORIZON_YEARS."""

    exit_code = 2  # the policy or the instant asked for is at fault (SPEC §7)


# --------------------------------------------------------------------------------------------
# Instants as integer microseconds


def to_epoch_us(moment: datetime) -> int:
    """Exact microseconds since the Unix epoch of a timezone-aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(
            f"{moment!r} has no time zone; working-time arithmetic needs aware datetimes"
        )
    if moment.microsecond == 0:
        # A whole-second timestamp is an exactly representable float.
        return int(moment.timestamp()) * US_PER_SECOND
    return (moment - _EPOCH) // _ONE_US


def from_epoch_us(epoch_us: int) -> datetime:
    """The UTC-aware datetime of an epoch-microsecond instant.

    The float division is exact to the microsecond for instants before the year 2242 (its
    rounding error stays below half a microsecond, and `fromtimestamp` rounds to nearest).
    """
    return datetime.fromtimestamp(epoch_us / US_PER_SECOND, UTC)


def us_to_seconds(amount_us: int) -> int | float:
    """Microseconds as seconds: an int when whole, else a float."""
    seconds, micro = divmod(amount_us, US_PER_SECOND)
    return seconds if micro == 0 else amount_us / US_PER_SECOND


# --------------------------------------------------------------------------------------------
# Wall-clock times of the calendar's zone to instants


def _offset_us(zone: ZoneInfo, naive: datetime, fold: int) -> int:
    offset = zone.utcoffset(naive.replace(fold=fold))
    return (offset // _ONE_US) if offset else 0


def _local_us(naive: datetime) -> int:
    """Microseconds of a naive wall time counted as if it were UTC."""
    return (naive.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY + (
        (naive.hour * 3600 + naive.minute * 60 + naive.second) * US_PER_SECOND
    )


def _transition_in(zone: ZoneInfo, low_us: int, high_us: int) -> int:
    """The first instant in (low, high] having high's UTC offset (a DST jump lies between)."""
    target = datetime.fromtimestamp(high_us // US_PER_SECOND, zone).utcoffset()
    low, high = low_us // US_PER_SECOND, high_us // US_PER_SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high * US_PER_SECOND


def wall_to_epoch_us(zone: ZoneInfo, naive: datetime, *, as_end: bool) -> int:
    """The instant of a wall time in `zone`, resolving DST edge cases as the module explains.

    Ambiguous (repeated) wall times: the first occurrence for a start, the last for an end.
    Nonexistent wall times (in a gap): the instant the clocks jump, for starts and ends alike.
    """
    local = _local_us(naive)
    first = local - _offset_us(zone, naive, 0)
    second = local - _offset_us(zone, naive, 1)
    if first == second:
        return first
    if first < second:  # fold=0 earlier: the wall time happens twice
        return second if as_end else first
    # In a gap zoneinfo maps fold=0 with the offset before the jump (a later instant) and
    # fold=1 with the offset after it (an earlier instant); the jump lies between.
    return _transition_in(zone, second, first)


# --------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class _Table:
    """An immutable snapshot of the covered years (replaced whole, so readers need no lock).

    Interval i is [starts[i], ends[i]); cum[i] is the working time before it, cum_end[i]
    the working time at its end; lo/hi bound the covered instants, pos_lo/pos_hi are the
    working positions there.
    """

    starts: list[int]
    ends: list[int]
    cum: list[int]
    cum_end: list[int]
    first_year: int
    last_year: int
    lo: int
    hi: int
    pos_lo: int
    pos_hi: int


class WorkingCalendar:
    """Working-time arithmetic for one `CalendarSpec`. Get instances with `for_spec` (cached).

    All public methods take timezone-aware datetimes (any zone) and return UTC-aware ones.
    Amounts of working time are seconds (int when whole, float otherwise).
    """

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.name = spec.name
        try:
            self.zone = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"calendar {spec.name!r}: unknown time zone {spec.timezone!r}"
            ) from error
        self.always = spec.always
        self._week_us = tuple(
            tuple(
                (start * _US_PER_MINUTE, end * _US_PER_MINUTE) for start, end in day if end > start
            )
            for day in spec.week
        )
        if len(self._week_us) != 7:
            raise ValueError(f"calendar {spec.name!r}: a week has 7 days, got {len(self._week_us)}")
        if not self.always and not any(self._week_us):
            raise ValueError(f"calendar {spec.name!r} has no working hours on any weekday")
        self._country = spec.holiday_country if not self.always else None
        self._country_source = _country_source
        if self._country:
            self._country_source.check(self._country)
        self.day_seconds: int = spec.day_seconds()
        self._holiday_years: dict[int, frozenset[date]] = {}
        self._lock = threading.Lock()
        self._table: _Table | None = None
        # How many calendar years have been laid out (each a walk over its days): the
        # measure of work that the bounds above keep finite.
        self.years_built = 0

    @classmethod
    def for_spec(cls, spec: CalendarSpec) -> WorkingCalendar:
        """The shared calendar of a spec: equal specs give the same (lazily filled) instance."""
        return _calendar_for(spec)

    def __repr__(self) -> str:
        return f"WorkingCalendar({self.name!r}, {self.spec.timezone!r}, always={self.always})"

    # ---- public API on datetimes ---------------------------------------------------------

    def to_seconds(self, duration: Duration) -> int:
        """A policy duration in working seconds of this calendar (`d` is `day_seconds`)."""
        return duration.to_seconds(self.day_seconds)

    def add_working(self, start: datetime, seconds: int | float) -> datetime:
        """The instant `seconds` of working time after `start` (UTC-aware).

        It is the earliest instant whose working time since `start` equals `seconds`, so a
        start outside hours begins at the next working instant and a deadline landing on an
        interval end is that end. Zero returns `start` unchanged (in UTC). Negative amounts
        go back: the latest instant `u <= start` with `working_seconds(u, start) == -seconds`.
        """
        # The hot path of every deadline: `position` and `instant_at` inlined on purpose.
        start_us = to_epoch_us(start)
        amount_us = (
            seconds * US_PER_SECOND if type(seconds) is int else round(seconds * US_PER_SECOND)
        )
        if amount_us <= 0 or self.always:
            return from_epoch_us(self.add_working_us(start_us, amount_us))
        table = self._table
        if table is None or not table.lo <= start_us < table.hi:
            table = self._covering(start_us)
        index = bisect_right(table.starts, start_us) - 1
        if index < 0:
            target = table.pos_lo + amount_us
        else:
            end = table.ends[index]
            target = (
                table.cum[index]
                + (start_us if start_us < end else end)
                - table.starts[index]
                + amount_us
            )
        if target > table.pos_hi:
            table = self._covering_position(target)
        index = bisect_left(table.cum_end, target)
        return datetime.fromtimestamp(
            (table.starts[index] + target - table.cum[index]) / US_PER_SECOND, UTC
        )

    def working_seconds(self, start: datetime, end: datetime) -> int | float:
        """Working time from `start` to `end`; negative when `end` is before `start`."""
        return us_to_seconds(self.position(to_epoch_us(end)) - self.position(to_epoch_us(start)))

    def is_working(self, moment: datetime) -> bool:
        """Whether `moment` is inside a working interval (an interval's end is not)."""
        if self.always:
            return True
        epoch_us = to_epoch_us(moment)
        table = self._covering(epoch_us)
        index = bisect_right(table.starts, epoch_us) - 1
        return index >= 0 and epoch_us < table.ends[index]

    def next_working_instant(self, moment: datetime) -> datetime:
        """`moment` itself when it is working time, else the start of the next interval."""
        epoch_us = to_epoch_us(moment)
        if self.always:
            return from_epoch_us(epoch_us)
        table = self._covering(epoch_us)
        index = bisect_right(table.starts, epoch_us) - 1
        if index >= 0 and epoch_us < table.ends[index]:
            return from_epoch_us(epoch_us)
        # The earliest instant one µs of work later, minus that µs: the next interval's start.
        return from_epoch_us(self.instant_at(self.position(epoch_us) + 1) - 1)

    # ---- integer API (microseconds) used by the SLA engine --------------------------------

    def position(self, epoch_us: int) -> int:
        """Working position of an instant: working µs since an arbitrary fixed origin.

        Non-decreasing in time and constant outside working hours, so the working time
        between two instants is the difference of their positions.
        """
        if self.always:
            return epoch_us
        table = self._table
        if table is None or not table.lo <= epoch_us < table.hi:
            table = self._covering(epoch_us)
        index = bisect_right(table.starts, epoch_us) - 1
        if index < 0:
            return table.pos_lo
        start = table.starts[index]
        end = table.ends[index]
        return table.cum[index] + ((epoch_us if epoch_us < end else end) - start)

    def instant_at(self, position: int) -> int:
        """The earliest instant (epoch µs) whose working position is at least `position`."""
        if self.always:
            return position
        table = self._table
        if table is None or not table.pos_lo < position <= table.pos_hi:
            table = self._covering_position(position)
        index = bisect_left(table.cum_end, position)
        return table.starts[index] + (position - table.cum[index])

    def latest_instant_at(self, position: int) -> int:
        """The latest instant whose working position is at most `position`, inside hours."""
        if self.always:
            return position
        table = self._table
        if table is None or not table.pos_lo < position < table.pos_hi:
            table = self._covering_position(position)
        index = bisect_right(table.cum, position) - 1
        return table.starts[index] + (position - table.cum[index])

    def add_working_us(self, start_us: int, amount_us: int) -> int:
        """`add_working` on epoch microseconds."""
        if amount_us == 0 or self.always:
            return start_us + amount_us
        if amount_us > 0:
            return self.instant_at(self.position(start_us) + amount_us)
        return min(start_us, self.latest_instant_at(self.position(start_us) + amount_us))

    # ---- the lazily built table -----------------------------------------------------------

    def _current(self) -> _Table:
        table = self._table
        if table is None:
            raise ValueError("working positions come from WorkingCalendar.position()")
        return table

    def _covering(self, epoch_us: int) -> _Table:
        """The table, extended (in one step) until it covers the instant."""
        table = self._table
        if table is not None and table.lo <= epoch_us < table.hi:
            return table
        year = _local_year(self.zone, epoch_us)
        if table is None:
            self._extend(year, year)
        elif epoch_us < table.lo:
            self._extend(year, table.first_year - 1)
        else:
            self._extend(table.last_year + 1, year)
        table = self._current()
        # A local year can start a little before the UTC instant that `_local_year` saw.
        while not table.lo <= epoch_us < table.hi:
            if epoch_us < table.lo:
                self._extend(table.first_year - 1, table.first_year - 1)
            else:
                self._extend(table.last_year + 1, table.last_year + 1)
            table = self._current()
        return table

    def _covering_position(self, position: int) -> _Table:
        """The table, extended until `pos_lo < position < pos_hi`, within HORIZON_YEARS.

        Years are added in growing steps (1, 1, 2, 4 … years), so a far deadline costs a few
        table rebuilds rather than one per year.
        """
        table = self._current()
        searched = empty_years = 0
        while not table.pos_lo < position < table.pos_hi:
            if searched >= HORIZON_YEARS:
                raise CalendarRangeError(
                    f"calendar {self.name!r} has too little working time: a deadline lies more "
                    f"than {HORIZON_YEARS} years away; give it more working hours or fewer "
                    "holidays, or shorten the targets"
                )
            step = max(1, min(searched, HORIZON_YEARS - searched))
            before = table.pos_hi - table.pos_lo
            if position >= table.pos_hi:
                step = max(1, min(step, LAST_YEAR - table.last_year))
                self._extend(table.last_year + 1, table.last_year + step)
            else:
                step = max(1, min(step, table.first_year - FIRST_YEAR))
                self._extend(table.first_year - step, table.first_year - 1)
            table = self._current()
            searched += step
            empty_years = empty_years + step if table.pos_hi - table.pos_lo == before else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise CalendarRangeError(
                    f"calendar {self.name!r} has no working time for {empty_years} years in a row"
                )
        return table

    def _extend(self, first: int, last: int) -> None:
        """Add the years first..last to the table, adjacent to the covered years (or as the
        first ones), with one rebuild."""
        if first < FIRST_YEAR or last > LAST_YEAR:
            raise CalendarRangeError(
                f"calendar {self.name!r}: working time is computed for the years "
                f"{FIRST_YEAR}-{LAST_YEAR}, not {first if first < FIRST_YEAR else last}"
            )
        with self._lock:
            table = self._table
            if table is not None and table.first_year <= first and last <= table.last_year:
                return  # another thread got there first
            if table is not None and first <= table.last_year and last >= table.first_year:
                # Another thread covered part of the range: keep only the missing side.
                if last > table.last_year:
                    first = table.last_year + 1
                else:
                    last = table.first_year - 1
            spans = [span for year in range(first, last + 1) for span in self._year_spans(year)]
            lo = wall_to_epoch_us(self.zone, datetime(first, 1, 1), as_end=False)
            hi = wall_to_epoch_us(self.zone, datetime(last + 1, 1, 1), as_end=False)
            spans = _merge(spans)
            if table is None:
                self._table = _build_table(spans, 0, first, last, lo, hi)
            elif first == table.last_year + 1:
                spans = _clamp_after(spans, table.ends[-1] if table.ends else table.lo)
                merged = list(zip(table.starts, table.ends, strict=True)) + spans
                self._table = _build_table(
                    merged, table.pos_lo, table.first_year, last, table.lo, hi
                )
            elif last == table.first_year - 1:
                first_start = table.starts[0] if table.starts else table.hi
                spans = _clamp_before(spans, first_start)
                total = sum(end - start for start, end in spans)
                merged = spans + list(zip(table.starts, table.ends, strict=True))
                self._table = _build_table(
                    merged, table.pos_lo - total, first, table.last_year, lo, table.hi
                )
            else:
                raise AssertionError(f"years {first}-{last} are not adjacent to the covered years")

    def _year_spans(self, year: int) -> list[tuple[int, int]]:
        """The working intervals of one local calendar year, in epoch µs, sorted and merged."""
        self.years_built += 1
        holidays = self._holidays(year)
        week = self._week_us
        zone = self.zone
        spans: list[tuple[int, int]] = []
        day = date(year, 1, 1)
        midnight = datetime(year, 1, 1)
        offsets_today = (_offset_us(zone, midnight, 0), _offset_us(zone, midnight, 1))
        for _ in range(366 if _is_leap(year) else 365):
            next_midnight = midnight + timedelta(days=1)
            offsets_tomorrow = (
                _offset_us(zone, next_midnight, 0),
                _offset_us(zone, next_midnight, 1),
            )
            day_spans = week[day.weekday()]
            if day_spans and day not in holidays:
                if (
                    offsets_today[0]
                    == offsets_today[1]
                    == offsets_tomorrow[0]
                    == offsets_tomorrow[1]
                ):
                    base = (day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY - offsets_today[0]
                    spans.extend((base + start, base + end) for start, end in day_spans)
                else:
                    spans.extend(self._dst_day_spans(midnight, day_spans))
            day += timedelta(days=1)
            midnight = next_midnight
            offsets_today = offsets_tomorrow
        return _merge(spans)

    def _dst_day_spans(
        self, midnight: datetime, day_spans: tuple[tuple[int, int], ...]
    ) -> list[tuple[int, int]]:
        """Intervals of a day with a UTC-offset change, each boundary resolved on its own."""
        out = []
        for start, end in day_spans:
            start_us = wall_to_epoch_us(
                self.zone, midnight + timedelta(microseconds=start), as_end=False
            )
            end_us = wall_to_epoch_us(
                self.zone, midnight + timedelta(microseconds=end), as_end=True
            )
            if end_us > start_us:
                out.append((start_us, end_us))
        return out

    def _holidays(self, year: int) -> frozenset[date]:
        cached = self._holiday_years.get(year)
        if cached is None:
            days = {day for day in self.spec.holidays if day.year == year}
            for month, day_of_month in self.spec.yearly_holidays:
                if month != 2 or day_of_month != 29 or _is_leap(year):
                    days.add(date(year, month, day_of_month))
            if self._country:
                days.update(self._country_source.dates(self._country, year))
            cached = self._holiday_years[year] = frozenset(days)
        return cached


@lru_cache(maxsize=256)
def _calendar_for(spec: CalendarSpec) -> WorkingCalendar:
    return WorkingCalendar(spec)


# --------------------------------------------------------------------------------------------
# Where `holiday_country` dates come from


class CountryHolidays(Protocol):
    """Public holidays of "CC" or "CC-SUBDIV" codes."""

    def check(self, code: str) -> None:
        """Raise ValueError for a code without public-holiday data."""

    def dates(self, code: str, year: int) -> Iterable[date]:
        """The public holidays of that year."""


class PackageHolidays:
    """Public holidays from the `holidays` package, imported on first use: importing it
    costs ~0.2 s and most calendars never need it."""

    def check(self, code: str) -> None:
        import holidays

        country, _, subdivision = code.partition("-")
        try:
            holidays.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError as error:
            raise ValueError(
                f"holiday_country {code!r} is not known to the holidays package"
            ) from error

    def dates(self, code: str, year: int) -> set[date]:
        import holidays

        country, _, subdivision = code.partition("-")
        return set(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


_country_source: CountryHolidays = PackageHolidays()


def use_country_holidays(source: CountryHolidays | None) -> None:
    """Take `holiday_country` dates from `source` (None: the holidays package) in the
    calendars built from now on; an application may put a persistent cache in front."""
    global _country_source
    _country_source = source or PackageHolidays()
    _calendar_for.cache_clear()


# --------------------------------------------------------------------------------------------
# Helpers


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _local_year(zone: ZoneInfo, epoch_us: int) -> int:
    return datetime.fromtimestamp(epoch_us // US_PER_SECOND, zone).year


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort intervals and merge overlapping ones (DST resolution can make them overlap)."""
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _clamp_after(spans: list[tuple[int, int]], boundary: int) -> list[tuple[int, int]]:
    """Drop the parts of `spans` before `boundary` (a year joining after another)."""
    return [(max(start, boundary), end) for start, end in spans if end > boundary]


def _clamp_before(spans: list[tuple[int, int]], boundary: int) -> list[tuple[int, int]]:
    """Drop the parts of `spans` after `boundary` (a year joining before another)."""
    return [(start, min(end, boundary)) for start, end in spans if start < boundary]


def _build_table(
    spans: list[tuple[int, int]], pos_lo: int, first_year: int, last_year: int, lo: int, hi: int
) -> _Table:
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]
    cum: list[int] = []
    cum_end: list[int] = []
    running = pos_lo
    for start, end in spans:
        cum.append(running)
        running += end - start
        cum_end.append(running)
    return _Table(starts, ends, cum, cum_end, first_year, last_year, lo, hi, pos_lo, running)


__all__ = [
    "FIRST_YEAR",
    "HORIZON_YEARS",
    "LAST_YEAR",
    "UTC",
    "CalendarRangeError",
    "WorkingCalendar",
    "from_epoch_us",
    "to_epoch_us",
    "us_to_seconds",
    "wall_to_epoch_us",
]
