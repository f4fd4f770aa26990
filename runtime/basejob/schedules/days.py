"""Which days of a month a schedule fires on: cron's two day fields and Quartz's L, W and #.

Every rule answers one question, `days_in(year, month)`, with the matching days in order. That
keeps fire-time iteration month by month (never day by day through a year of misses) and
makes Quartz's specials exact:

* day-of-month `L` (last day), `L-n` (n days before it), `nW` (the weekday nearest day n),
  `LW` and `L-nW` (the weekday nearest the last day, or n days before it). W never crosses a
  month boundary: 1W on a Saturday is Monday the 3rd, 31W on a Sunday is Friday the 29th. A
  month without day n (31W in April) or with fewer than n+1 days (L-30 in February) does not
  fire, as a plain 31 does not.
* day-of-week `nL` (the last such weekday of the month), `n#k` (its k-th, k 1-5; a month
  without a fifth does not fire) and `L` alone (Saturday).

Like Quartz, a special stands alone in its field: no lists or ranges around it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Protocol

from basejob.schedules import fields

SUNDAY = 0
SATURDAY = 6
ALL_DAYS = frozenset(range(1, 32))
ALL_WEEKDAYS = frozenset(range(7))
_LAST_DAY = re.compile(r"L(?:-(\d+))?(W?)")
_NEAREST = re.compile(r"(\d+)W")
_LAST_WEEKDAY = re.compile(r"(\w+)L")
_NTH_WEEKDAY = re.compile(r"(\w+)#(\d*)")
_LAST_OFFSET_MAX = 30
_NTH_MAX = 5


class DayRule(Protocol):
    """The days of one month a schedule fires on."""

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The matching days of `month` in `year`, ascending."""
        ...


def weekday(year: int, month: int, day: int) -> int:
    """The day of the week, 0 for Sunday to 6 for Saturday (cron's numbering)."""
    return (calendar.weekday(year, month, day) + 1) % 7


def month_length(year: int, month: int) -> int:
    """How many days `month` has in `year`."""
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class CronDays:
    """Plain day lists; with both fields restricted (standard cron only) either may match."""

    month_days: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday
    either: bool = False

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """Days in the day-of-month list and (or, with `either`) in the day-of-week list."""
        first = weekday(year, month, 1)
        return tuple(
            day
            for day in range(1, month_length(year, month) + 1)
            if self._matches(day, (first + day - 1) % 7)
        )

    def _matches(self, day: int, day_of_week: int) -> bool:
        in_month = day in self.month_days
        in_week = day_of_week in self.weekdays
        return (in_month or in_week) if self.either else (in_month and in_week)


@dataclass(frozen=True)
class LastDay:
    """`L` or `L-n`: the last day of the month or `offset` days before it; with W, the
    weekday nearest that day."""

    offset: int
    nearest_weekday: bool

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The one matching day, or none when the month is too short for the offset."""
        day = month_length(year, month) - self.offset
        if day < 1:
            return ()
        return (nearest_weekday(year, month, day) if self.nearest_weekday else day,)


@dataclass(frozen=True)
class NearestWeekday:
    """`nW`: the weekday (Monday to Friday) nearest day `day`, within the same month."""

    day: int

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The one matching day, or none in a month without day `day`."""
        if self.day > month_length(year, month):
            return ()
        return (nearest_weekday(year, month, self.day),)


@dataclass(frozen=True)
class LastWeekday:
    """`nL`: the last `weekday` (0 is Sunday) of the month."""

    weekday: int

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The one matching day."""
        last = month_length(year, month)
        return (last - (weekday(year, month, last) - self.weekday) % 7,)


@dataclass(frozen=True)
class NthWeekday:
    """`n#k`: the `nth` `weekday` (0 is Sunday) of the month."""

    weekday: int
    nth: int

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The one matching day, or none when the month has no such occurrence."""
        day = 1 + (self.weekday - weekday(year, month, 1)) % 7 + 7 * (self.nth - 1)
        return (day,) if day <= month_length(year, month) else ()


def nearest_weekday(year: int, month: int, day: int) -> int:
    """Quartz's W: Saturday moves to Friday, Sunday to Monday, never out of the month."""
    day_of_week = weekday(year, month, day)
    if day_of_week == SATURDAY:
        return day + 2 if day == 1 else day - 1
    if day_of_week == SUNDAY:
        return day - 2 if day == month_length(year, month) else day + 1
    return day


def parse_day_of_month(text: str) -> DayRule | None:
    """A Quartz day-of-month field; None for `?`."""
    field = fields.DAYS_OF_MONTH
    with fields.reported(text, field):
        fields.check_question_mark(text, field)
        if text == "?":
            return None
        special = text.upper()
        if "L" in special or "W" in special:
            return _month_special(special)
        month_days = fields.values(fields.parse_field(text, field, quartz=True), field)
        return CronDays(month_days, ALL_WEEKDAYS)


def parse_day_of_week(text: str) -> DayRule | None:
    """A Quartz day-of-week field (1 is Sunday); None for `?`."""
    field = fields.QUARTZ_DAY_OF_WEEK
    with fields.reported(text, field):
        fields.check_question_mark(text, field)
        if text == "?":
            return None
        special = text.upper()
        if special == "L":
            return CronDays(ALL_DAYS, frozenset({SATURDAY}))
        if "#" in special or "L" in special:
            return _week_special(special)
        numbers = fields.values(fields.parse_field(text, field, quartz=True), field)
        return CronDays(ALL_DAYS, frozenset(number - 1 for number in numbers))


def _month_special(text: str) -> DayRule:
    """L, L-n, LW, L-nW or nW; FieldError explains any other use of L or W."""
    _stands_alone(text, "L or W")
    last = _LAST_DAY.fullmatch(text)
    if last is not None:
        offset = int(last.group(1) or 0)
        if offset > _LAST_OFFSET_MAX:
            message = f"the offset in L-{offset} is too large; write L-0 to L-{_LAST_OFFSET_MAX}"
            raise fields.FieldError(message)
        return LastDay(offset, nearest_weekday=bool(last.group(2)))
    nearest = _NEAREST.fullmatch(text)
    if nearest is not None:
        return NearestWeekday(fields.parse_value(nearest.group(1), fields.DAYS_OF_MONTH))
    message = (
        f'"{text}" is not a day-of-month Quartz understands; W takes one day (15W, not a '
        "range or step), L stands for the last day: write L, L-3, LW, L-3W or 15W"
    )
    raise fields.FieldError(message)


def _week_special(text: str) -> DayRule:
    """nL or n#k, n a day 1-7 or SUN-SAT; FieldError explains any other use of L or #."""
    _stands_alone(text, "L or #")
    nth = _NTH_WEEKDAY.fullmatch(text)
    if nth is not None:
        day = fields.parse_value(nth.group(1), fields.QUARTZ_DAY_OF_WEEK)
        occurrence = int(nth.group(2)) if nth.group(2).isdigit() else 0
        if not 1 <= occurrence <= _NTH_MAX:
            message = (
                f'"#{nth.group(2)}" must be followed by 1 to {_NTH_MAX} (a month has at most '
                f"five of each weekday), e.g. {nth.group(1)}#3 for the third"
            )
            raise fields.FieldError(message)
        return NthWeekday(day - 1, occurrence)
    last = _LAST_WEEKDAY.fullmatch(text)
    if last is not None:
        return LastWeekday(fields.parse_value(last.group(1), fields.QUARTZ_DAY_OF_WEEK) - 1)
    message = (
        f'"{text}" is not a day-of-week Quartz understands; write L alone (Saturday), '
        "6L (the last Friday) or 6#3 (the third Friday)"
    )
    raise fields.FieldError(message)


def _stands_alone(text: str, specials: str) -> None:
    """Quartz refuses lists around L, W and #: their meaning would be unclear."""
    if "," in text:
        message = (
            f"{specials} must stand alone in the field, without a list; Quartz does not "
            "support combining them with other days"
        )
        raise fields.FieldError(message)
