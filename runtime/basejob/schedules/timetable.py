"""The evaluable form of any schedule, and the wall-clock times it selects, in order.

Both dialects parse into a `Timetable`. Iteration walks years, then the schedule's months,
then the days its day rule picks in each, then hours, minutes and seconds, starting each
level at the start time only while all levels above equal it. So the next fire of
`0 15 10 ? * 6#3 2099` costs one month, not a scan through seventy years of seconds.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime, time

from basejob.schedules import days

HORIZON_YEARS = 400
"""How far the search looks without a year field: the Gregorian calendar repeats after it."""
CYCLE = range(2000, 2000 + HORIZON_YEARS)
"""One full Gregorian cycle, to decide whether a schedule without years ever fires."""


@dataclass(frozen=True)
class Timetable:
    """The values each position selects; day selection is left to the day rule."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    days: days.DayRule
    years: tuple[int, ...] | None = None  # None: every year

    def fires_in(self, years: Iterable[int]) -> bool:
        """Whether any of `years` has a day the schedule fires on."""
        return any(self.days.days_in(year, month) for year in years for month in self.months)


def wall_times(
    table: Timetable, start: datetime, *, excluded: Set[date] = frozenset()
) -> Iterator[datetime]:
    """Naive local times `table` selects, from `start` (naive) on, skipping `excluded` days.

    Ends after the schedule's last year, or `HORIZON_YEARS` after `start` without a year field.
    """
    for day in _dates(table, start.date()):
        if day in excluded:
            continue
        first = start.time() if day == start.date() else time()
        for clock in _clock(table, first):
            yield datetime.combine(day, clock)


def _years(table: Timetable, first: int) -> Sequence[int]:
    """The years to search from `first` on."""
    if table.years is None:
        return range(first, min(first + HORIZON_YEARS, MAXYEAR) + 1)
    return _from(table.years, first)


def _dates(table: Timetable, first: date) -> Iterator[date]:
    """Days `table` fires on, from `first` on, a month at a time."""
    for year in _years(table, first.year):
        later_year = year > first.year
        for month in _from(table.months, 1 if later_year else first.month):
            lowest = 1 if later_year or month > first.month else first.day
            for day in _from(table.days.days_in(year, month), lowest):
                yield date(year, month, day)


def _clock(table: Timetable, first: time) -> Iterator[time]:
    """Times of day `table` fires at, from `first` on."""
    for hour in _from(table.hours, first.hour):
        in_first_hour = hour == first.hour
        for minute in _from(table.minutes, first.minute if in_first_hour else 0):
            in_first_minute = in_first_hour and minute == first.minute
            for second in _from(table.seconds, first.second if in_first_minute else 0):
                yield time(hour, minute, second)


def _from(ordered: Sequence[int], lowest: int) -> Sequence[int]:
    """The values of an ascending sequence from `lowest` on."""
    return ordered[bisect.bisect_left(ordered, lowest) :]
