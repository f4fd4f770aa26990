"""Schedules of ScheduledJob resources: check them, translate Quartz ones, compute fire times.

Users arrive from two worlds: Kubernetes CronJobs (five-field cron) and Quartz.NET (seconds
first, `?`, `L`, `W`, `#`, an optional year). The operator runs every ScheduledJob as a
Kubernetes CronJob, whose controller parses schedules with robfig/cron v3's standard parser.
A schedule is therefore only safe to accept when that parser will run it exactly as its author
meant. This module is the one place that decides:

* `parse_schedule` accepts either dialect. It translates a Quartz expression when a CronJob can
  express it exactly and otherwise raises `ScheduleError`, naming the offending part and saying
  what to write instead, so that no job silently fires at times nobody asked for.
* `next_fire_times` computes when a schedule fires in an IANA time zone with the CronJob
  controller's semantics, for status fields, previews and tests.

It lives in the runtime because both sides need it: the operator validates and translates
schedules, the runtime tells a job its next fire time. It uses the standard library only.

Decisions:

* Macros (`@daily`, ...) stay in `CronSchedule.cron` as written: Kubernetes accepts them.
* Day-of-week 7 (Sunday) is accepted in standard expressions, but robfig/cron rejects it, so
  `CronSchedule.cron` says 0 instead.
* Fire times follow the wall clock: a local time that a DST change skips does not fire, and a
  local time that happens twice fires once, at its first occurrence.
"""

from __future__ import annotations

import itertools
from calendar import monthrange
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["CronSchedule", "ScheduleError", "next_fire_times", "parse_schedule"]


class ScheduleError(ValueError):
    """An expression we cannot run; .part names the offending field (e.g. "seconds",
    "day-of-week", "year", "expression", "timeZone")."""

    part: str

    def __init__(self, message: str, *, part: str) -> None:
        super().__init__(message)
        self.part = part


@dataclass(frozen=True)
class CronSchedule:
    """A schedule a Kubernetes CronJob runs exactly as its author meant.

    `cron` is what the CronJob gets: five fields, or a macro such as `@daily` kept as written.
    """

    source: str
    dialect: Literal["standard", "quartz"]
    cron: str


class _FieldError(Exception):
    """What is wrong inside one field; `_parse_field` adds which field and its text."""


@dataclass(frozen=True)
class _Field:
    """One position of an expression: its name, bounds and the names it understands."""

    part: str
    low: int
    high: int  # where `*` and `N/step` end
    top: int  # the largest value one may write (7 for Sunday in standard day-of-week)
    names: Mapping[str, int]
    accepted: str


@dataclass(frozen=True)
class _Term:
    """One comma-separated item of a field: `*`, `N`, `N-M`, each optionally `/step`."""

    first: str | None  # None for `*` or `?`
    last: str | None
    step: int | None
    start: int
    end: int  # below start for a Quartz range that wraps around, e.g. FRI-MON


@dataclass(frozen=True)
class _Spec:
    """A parsed five-field expression, ready to match against wall-clock times."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: tuple[int, ...]
    weekdays: frozenset[int]  # 0 is Sunday
    either_day: bool  # both day fields restricted: cron's OR rule applies

    def matches(self, day: date) -> bool:
        """Whether `day` is a day the schedule fires on."""
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        return (in_month or in_week) if self.either_day else (in_month and in_week)


_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_NONE: Mapping[str, int] = {}

_MINUTES = _Field("minutes", 0, 59, 59, _NONE, "0-59")
_HOURS = _Field("hours", 0, 23, 23, _NONE, "0-23")
_DAYS_OF_MONTH = _Field("day-of-month", 1, 31, 31, _NONE, "1-31")
_MONTH = _Field("month", 1, 12, 12, _MONTHS, "1-12 or JAN-DEC")
_STANDARD_FIELDS = (
    _MINUTES,
    _HOURS,
    _DAYS_OF_MONTH,
    _MONTH,
    _Field(
        "day-of-week",
        0,
        6,
        7,
        {name: number for number, name in enumerate(_DAY_NAMES)},
        "0-7 (0 and 7 are Sunday) or SUN-SAT",
    ),
)
_QUARTZ_SECONDS = _Field("seconds", 0, 59, 59, _NONE, "0-59")
_QUARTZ_FIELDS = (
    _MINUTES,
    _HOURS,
    _DAYS_OF_MONTH,
    _MONTH,
    _Field(
        "day-of-week",
        1,
        7,
        7,
        {name: number for number, name in enumerate(_DAY_NAMES, start=1)},
        "1-7 (1 is Sunday, 7 is Saturday) or SUN-SAT",
    ),
)
_STANDARD_LENGTH = len(_STANDARD_FIELDS)
_QUARTZ_LENGTH = 1 + len(_QUARTZ_FIELDS)  # seconds first
_QUARTZ_LENGTH_WITH_YEAR = _QUARTZ_LENGTH + 1
_SUNDAY_AGAIN = 7  # standard day-of-week: 7 is Sunday too
_DAY_PARTS = frozenset({"day-of-month", "day-of-week"})
_LONGEST_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MACROS: Mapping[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FORMATS = (
    "5 fields (minute hour day-of-month month day-of-week), a macro such as @daily, "
    "or Quartz's 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
)
_CANNOT = "cannot be expressed in a Kubernetes CronJob schedule"
_HORIZON_YEARS = 400  # the Gregorian calendar repeats after 400 years
_MINUTE = timedelta(minutes=1)


def parse_schedule(expression: str) -> CronSchedule:
    """Accept a standard or Quartz schedule and return what a Kubernetes CronJob should run.

    Raises ScheduleError when the expression is malformed or a CronJob cannot run it exactly.
    """
    source = expression.strip()
    _reject_time_zone_prefix(source)
    if source.startswith("@"):
        return CronSchedule(source, "standard", _check_macro(source))
    fields = source.split()
    if len(fields) == _STANDARD_LENGTH:
        return CronSchedule(source, "standard", _parse_standard(fields)[0])
    if len(fields) in {_QUARTZ_LENGTH, _QUARTZ_LENGTH_WITH_YEAR}:
        translated = _translate_quartz(fields)
        return CronSchedule(source, "quartz", _parse_standard(translated.split())[0])
    if not fields:
        message = f"the schedule is empty; write {_FORMATS}, e.g. 0 2 * * *"
        raise ScheduleError(message, part="expression")
    message = f'schedule "{source}" has {len(fields)} fields; write {_FORMATS}'
    raise ScheduleError(message, part="expression")


def next_fire_times(
    schedule: CronSchedule, *, after: datetime, time_zone: str = "UTC", count: int = 1
) -> list[datetime]:
    """The next `count` times `schedule` fires strictly after `after`, aware, in `time_zone`.

    Day fields follow cron: both restricted means either may match, otherwise both must.
    Local times a DST change skips do not fire; repeated local times fire at the first one.
    """
    if after.utcoffset() is None:
        message = "after must be a timezone-aware datetime, e.g. datetime.now(UTC)"
        raise ValueError(message)
    if count < 0:
        message = f"count must not be negative, got {count}"
        raise ValueError(message)
    zone = _load_zone(time_zone)
    spec = _spec_of(schedule)
    instant = after.astimezone(UTC)
    start = instant.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) + _MINUTE
    fires = (_in_zone(wall, zone) for wall in _wall_times(spec, start))
    upcoming = (fire for fire in fires if fire is not None and fire.astimezone(UTC) > instant)
    return list(itertools.islice(upcoming, count))


def _reject_time_zone_prefix(source: str) -> None:
    """Kubernetes refuses TZ= and CRON_TZ= in the schedule: the zone has its own field."""
    if "TZ=" not in source:
        return
    prefix = next(word for word in source.split() if "TZ=" in word)
    zone = prefix.partition("=")[2] or "<zone>"
    message = (
        f'schedule "{source}": Kubernetes does not accept a time zone inside the schedule; '
        f'remove "{prefix}" and set the timeZone field instead (timeZone: {zone})'
    )
    raise ScheduleError(message, part="expression")


def _check_macro(source: str) -> str:
    """Return a macro robfig/cron's standard parser accepts, or say which ones exist."""
    if source in _MACROS:
        return source
    word = source.split(maxsplit=1)[0]
    accepted = ", ".join(_MACROS)
    if word == "@every":
        advice = 'write the interval in 5 fields instead, e.g. "*/5 * * * *" for every 5 minutes'
        message = f'schedule "{source}": Kubernetes CronJobs do not accept @every; {advice}'
    elif word == "@reboot":
        message = (
            f'schedule "{source}": a CronJob cannot run "at reboot"; use a 5-field '
            f"schedule or one of {accepted}"
        )
    elif word.lower() in _MACROS and word != source:
        message = f'schedule "{source}": a macro stands alone; write just {word.lower()}'
    elif word.lower() in _MACROS:
        message = f'schedule "{source}": macros are lowercase in Kubernetes; write {word.lower()}'
    else:
        message = f'schedule "{source}": unknown macro {word}; use one of {accepted}'
    raise ScheduleError(message, part="expression")


def _parse_standard(fields: Sequence[str]) -> tuple[str, _Spec]:
    """Parse five standard fields as robfig/cron does; return the CronJob text and the spec."""
    terms = [
        _parse_field(text, field, quartz=False)
        for text, field in zip(fields, _STANDARD_FIELDS, strict=True)
    ]
    minutes, hours, days, months, weekdays = (
        _values(field_terms, field)
        for field_terms, field in zip(terms, _STANDARD_FIELDS, strict=True)
    )
    spec = _Spec(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=days,
        months=tuple(sorted(months)),
        weekdays=frozenset(day % 7 for day in weekdays),
        either_day=not (_unrestricted(terms[2]) or _unrestricted(terms[4])),
    )
    _check_dates_exist(spec, fields)
    return " ".join([*fields[:4], _weekday_text(fields[4], terms[4])]), spec


def _unrestricted(terms: Iterable[_Term]) -> bool:
    """robfig/cron's "star bit": some item is `*` or `?` without a step above 1."""
    return any(term.first is None and (term.step or 1) == 1 for term in terms)


def _weekday_text(text: str, terms: Sequence[_Term]) -> str:
    """The day-of-week field as robfig/cron accepts it: it knows Sunday only as 0."""

    def has_seven(term: _Term) -> bool:
        return term.first is not None and _SUNDAY_AGAIN in {term.start, term.end}

    if not any(has_seven(term) for term in terms):
        return text
    field = _STANDARD_FIELDS[4]
    items = text.split(",")
    return ",".join(
        _render(day % 7 for day in _term_values(term, field)) if has_seven(term) else item
        for item, term in zip(items, terms, strict=True)
    )


def _check_dates_exist(spec: _Spec, fields: Sequence[str]) -> None:
    """Refuse a schedule that can never fire, such as 30 February."""
    if spec.either_day or any(
        day <= _LONGEST_MONTH[month] for month in spec.months for day in spec.days
    ):
        return
    message = (
        f'day-of-month field "{fields[2]}": none of these days exists in month field '
        f'"{fields[3]}", so the schedule would never fire; pick days that exist in those '
        "months (February has at most 29)"
    )
    raise ScheduleError(message, part="day-of-month")


def _translate_quartz(fields: Sequence[str]) -> str:
    """The five-field equivalent of a Quartz expression, or ScheduleError saying why not."""
    seconds = _parse_field(fields[0], _QUARTZ_SECONDS, quartz=True)
    if _values(seconds, _QUARTZ_SECONDS) != {0}:
        message = (
            f'seconds field "{fields[0]}": a Kubernetes CronJob fires at most once a minute, '
            "at second 0; use 0 for seconds (sub-minute schedules are not supported yet)"
        )
        raise ScheduleError(message, part="seconds")
    cron = [
        ",".join(_quartz_term(term, field) for term in _parse_field(text, field, quartz=True))
        for text, field in zip(fields[1:6], _QUARTZ_FIELDS, strict=True)
    ]
    if len(fields) == _QUARTZ_LENGTH_WITH_YEAR and fields[6] != "*":
        message = (
            f'year field "{fields[6]}": a Kubernetes CronJob repeats every year and cannot be '
            "limited to particular years; use * or leave the year out, and suspend or delete "
            "the ScheduledJob when it is no longer needed"
        )
        raise ScheduleError(message, part="year")
    _check_day_pair(fields[3], fields[5])
    return " ".join(cron)


def _check_day_pair(day_of_month: str, day_of_week: str) -> None:
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


def _quartz_term(term: _Term, field: _Field) -> str:
    """One Quartz item in cron's words; day-of-week moves from 1-7 to 0-6 (Sunday first)."""
    offset = 1 if field.part == "day-of-week" else 0
    step = "" if term.step is None else f"/{term.step}"
    if term.end < term.start:  # Quartz wraps FRI-MON around; cron needs the values listed
        return _render(value - offset for value in _term_values(term, field))
    if term.first is None:
        return f"*{step}"
    first = _shift(term.first, offset)
    if term.last is not None:
        return f"{first}-{_shift(term.last, offset)}{step}"
    if offset and step:  # Quartz "N/step" runs to Saturday: spell the end out
        end = "SAT" if term.first.upper() in field.names else "6"
        return f"{first}-{end}{step}"
    return f"{first}{step}"


def _shift(token: str, offset: int) -> str:
    """A value moved down by `offset`; names mean the same day or month in both dialects."""
    return str(int(token) - offset) if token.isdigit() else token.upper()


def _parse_field(text: str, field: _Field, *, quartz: bool) -> tuple[_Term, ...]:
    """Split a field into items; errors name the field and quote what the user wrote."""
    try:
        if quartz:
            _check_quartz_specials(text, field)
        return tuple(_parse_term(item, field, quartz=quartz) for item in text.split(","))
    except _FieldError as problem:
        message = f'{field.part} field "{text}": {problem}'
        raise ScheduleError(message, part=field.part) from None


def _check_quartz_specials(text: str, field: _Field) -> None:
    """Refuse `?` out of place and the day specials (L, W, LW, #) no CronJob can express."""
    if "?" in text and field.part not in _DAY_PARTS:
        message = '"?" (no specific value) is only allowed in the day fields; use * here'
        raise _FieldError(message)
    if "?" in text and text != "?":
        message = '"?" (no specific value) must stand alone in its field'
        raise _FieldError(message)
    if field.part in _DAY_PARTS:
        for item in text.upper().split(","):
            _check_day_special(item, field)


def _check_day_special(item: str, field: _Field) -> None:
    """Explain why one Quartz day item with L, W or # cannot become cron."""
    on_weekday = "schedule that weekday every week and let the job check the date"
    if field.part == "day-of-week" and "#" in item:
        meaning = "a weekday's n-th occurrence in the month"
        advice = on_weekday
    elif field.part == "day-of-week" and item == "L":
        meaning = "on its own, Quartz's way of saying Saturday"
        advice = "write SAT (or 7) instead"
    elif field.part == "day-of-week" and "L" in item:
        meaning = "the last such weekday of the month"
        advice = on_weekday
    elif field.part == "day-of-month" and "LW" in item:
        meaning = "the last weekday of the month"
        advice = "run on weekdays (day-of-week MON-FRI) and let the job check the date"
    elif field.part == "day-of-month" and "L" in item:
        meaning = "counted back from the last day of the month"
        advice = "pick fixed days such as 28, or run daily and let the job check the date"
    elif field.part == "day-of-month" and "W" in item:
        meaning = "the weekday nearest a day of the month"
        advice = "use a fixed day such as 15, or run on MON-FRI and let the job check the date"
    else:
        return
    message = f'"{item}" ({meaning}) {_CANNOT}; {advice}'
    raise _FieldError(message)


def _parse_term(item: str, field: _Field, *, quartz: bool) -> _Term:
    """Parse `*`, `?`, `N`, `N-M`, each with an optional `/step` (Quartz also takes `/step`)."""
    if not item:
        message = "an empty list item; separate values with single commas, e.g. 1,15"
        raise _FieldError(message)
    body, slash, step_text = item.partition("/")
    step = _parse_step(step_text, field, quartz=quartz) if slash else None
    if body in {"*", "?"} or (quartz and slash and not body):
        return _Term(None, None, step, field.low, field.high)
    first, dash, last = body.partition("-")
    start = _parse_value(first, field)
    open_end = start if step is None else max(start, field.high)  # "N/step" runs to the top
    end = _parse_value(last, field) if dash else open_end
    term = _Term(first, last if dash else None, step, start, end)
    if end < start and not quartz:
        wrapped = _render(_term_values(term, field))
        message = (
            f'the range "{body}" runs backwards; put the smaller value first or, to wrap '
            f"around, list both parts: {wrapped}"
        )
        raise _FieldError(message)
    return term


def _parse_value(token: str, field: _Field) -> int:
    """A number within the field's bounds, or a month or day name (any case)."""
    named = field.names.get(token.upper())
    if named is not None:
        return named
    if not token:
        message = f"a value is missing; use {field.accepted}"
        raise _FieldError(message)
    if not (token.isascii() and token.isdigit()):
        message = f'"{token}" is not a valid value; use {field.accepted}'
        raise _FieldError(message)
    value = int(token)
    if not field.low <= value <= field.top:
        message = f"{value} is out of range; use {field.accepted}"
        raise _FieldError(message)
    return value


def _parse_step(text: str, field: _Field, *, quartz: bool) -> int:
    """A positive step; Quartz also refuses one beyond the field's largest value."""
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        message = f'the step "{text}" is not a positive whole number; write e.g. */5'
        raise _FieldError(message)
    step = int(text)
    if quartz and step > field.high:
        message = f"the step {step} is too large; Quartz allows at most {field.high} here"
        raise _FieldError(message)
    return step


def _values(terms: Iterable[_Term], field: _Field) -> frozenset[int]:
    """Every value the items of a field select, in that field's own numbering."""
    return frozenset(itertools.chain.from_iterable(_term_values(t, field) for t in terms))


def _term_values(term: _Term, field: _Field) -> frozenset[int]:
    """The values one item selects; a wrapping range continues at the field's low end."""
    step = term.step or 1
    if term.start <= term.end:
        return frozenset(range(term.start, term.end + 1, step))
    size = field.high - field.low + 1
    wrapped = range(term.start, term.end + size + 1, step)
    return frozenset((value - field.low) % size + field.low for value in wrapped)


def _render(values: Iterable[int]) -> str:
    """Values as a cron list, runs collapsed to ranges: 0,1,2,5 -> 0-2,5."""
    runs: list[list[int]] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in runs)


def _load_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or ScheduleError saying what a valid name looks like."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        message = (
            f'time zone "{name}" is not an IANA time zone name; use one from the tz database '
            'such as "UTC", "Europe/Berlin" or "America/New_York" (names are case-sensitive)'
        )
        raise ScheduleError(message, part="timeZone") from error


def _spec_of(schedule: CronSchedule) -> _Spec:
    """The parsed five-field form of a schedule's `cron`, macros expanded."""
    fields = _MACROS.get(schedule.cron, schedule.cron).split()
    if len(fields) != _STANDARD_LENGTH:
        message = f'cron "{schedule.cron}" is not 5 fields; build schedules with parse_schedule'
        raise ScheduleError(message, part="expression")
    return _parse_standard(fields)[1]


def _wall_times(spec: _Spec, start: datetime) -> Iterator[datetime]:
    """Naive local times matching `spec`, from `start` on, in order."""
    for day in _dates(spec, start.date()):
        for hour in spec.hours:
            for minute in spec.minutes:
                candidate = datetime(day.year, day.month, day.day, hour, minute)
                if candidate >= start:
                    yield candidate


def _dates(spec: _Spec, first: date) -> Iterator[date]:
    """Days matching `spec` from `first` on, skipping months that do not match."""
    last_year = min(first.year + _HORIZON_YEARS, MAXYEAR)
    for year in range(first.year, last_year + 1):
        for month in spec.months:
            if (year, month) < (first.year, first.month):
                continue
            for number in range(1, monthrange(year, month)[1] + 1):
                day = date(year, month, number)
                if day >= first and spec.matches(day):
                    yield day


def _in_zone(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """`wall` in `zone` at its first occurrence, or None if a DST gap skips it."""
    aware = wall.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return aware
