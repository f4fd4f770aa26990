"""Quartz expressions, checked and made evaluable with Quartz's full semantics.

Six or seven fields: seconds, minutes, hours, day-of-month, month, day-of-week (1 is Sunday)
and an optional year (1970-2099). Exactly one day field is `?`; the other may use L, W or #
(see `days`). Whether a CronJob can run the result is `cronjob`'s question, not this one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from basejob.schedules import days, fields, standard
from basejob.schedules.model import ScheduleError
from basejob.schedules.timetable import CYCLE, Timetable

LENGTHS = frozenset({6, 7})
WITH_YEAR = 7


def parse(texts: Sequence[str]) -> Timetable:
    """The timetable of six or seven Quartz fields; ScheduleError names what is invalid."""
    seconds = _sorted(texts[0], fields.SECONDS)
    minutes = _sorted(texts[1], fields.MINUTES)
    hours = _sorted(texts[2], fields.HOURS)
    month_days = days.parse_day_of_month(texts[3])
    months = _sorted(texts[4], fields.MONTH)
    weekdays = days.parse_day_of_week(texts[5])
    years = _years(texts[6]) if len(texts) == WITH_YEAR else None
    check_day_pair(texts[3], texts[5])
    rule = weekdays if month_days is None else month_days
    assert rule is not None  # check_day_pair: exactly one day field is "?"
    table = Timetable(seconds, minutes, hours, months, rule, years)
    _check_fires(table, texts)
    return table


def check_day_pair(day_of_month: str, day_of_week: str) -> None:
    """Quartz wants exactly one day field to be `?` ("no specific value")."""
    if (day_of_month == "?") != (day_of_week == "?"):
        return
    if day_of_month == "?":
        problem = "are both ?"
        advice = "put * in one of them to run every day"
    else:
        problem = "are both set"
        advice = (
            f'put ? in day-of-week to follow day-of-month "{day_of_month}" alone, '
            f'or ? in day-of-month to follow day-of-week "{day_of_week}" alone'
        )
    message = (
        f'day-of-month "{day_of_month}" and day-of-week "{day_of_week}" {problem}: Quartz needs '
        f'exactly one of them to be "?" (no specific value); {advice}'
    )
    raise ScheduleError(message, part="day-of-week")


def _sorted(text: str, field: fields.Field) -> tuple[int, ...]:
    """The values a plain Quartz field selects, ascending."""
    return tuple(sorted(fields.values(fields.parse_field(text, field, quartz=True), field)))


def _years(text: str) -> tuple[int, ...] | None:
    """The year field's values; None for `*`, which sets no limit."""
    return None if text == "*" else _sorted(text, fields.YEAR)


def _check_fires(table: Timetable, texts: Sequence[str]) -> None:
    """Refuse a schedule that can never fire: 30 February, 31W in April, a year without one."""
    if not table.fires_in(CYCLE):
        if texts[3] != "?":
            raise standard.never_fires(texts[3], texts[4])
        message = (
            f'day-of-week field "{texts[5]}": no month in month field "{texts[4]}" has such a '
            "day, so the schedule would never fire"
        )
        raise ScheduleError(message, part="day-of-week")
    if table.years is not None and not table.fires_in(table.years):
        day_text = texts[5] if texts[3] == "?" else texts[3]
        message = (
            f'year field "{texts[6]}": the day fields ("{day_text}" in month field '
            f'"{texts[4]}") match no day in these years, so the schedule would never fire; '
            "pick other years"
        )
        raise ScheduleError(message, part="year")
