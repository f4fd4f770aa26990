"""Standard (Kubernetes CronJob) expressions: five fields or a macro, as robfig/cron reads them.

A five-field expression reaches the CronJob unchanged, except that day-of-week 7 (Sunday,
which robfig/cron refuses) is spelled 0. Macros stay as written: Kubernetes accepts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from basejob.schedules import days, fields
from basejob.schedules.model import ScheduleError
from basejob.schedules.timetable import CYCLE, Timetable

LENGTH = len(("minute", "hour", "day-of-month", "month", "day-of-week"))
MACROS: Mapping[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIELDS = (
    fields.MINUTES,
    fields.HOURS,
    fields.DAYS_OF_MONTH,
    fields.MONTH,
    fields.STANDARD_DAY_OF_WEEK,
)
_SUNDAY_AGAIN = 7  # standard day-of-week: 7 is Sunday too


def reject_time_zone_prefix(source: str) -> None:
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


def check_macro(source: str) -> str:
    """Return a macro robfig/cron's standard parser accepts, or say which ones exist."""
    if source in MACROS:
        return source
    word = source.split(maxsplit=1)[0]
    accepted = ", ".join(MACROS)
    if word == "@every":
        advice = 'write the interval in 5 fields instead, e.g. "*/5 * * * *" for every 5 minutes'
        message = f'schedule "{source}": Kubernetes CronJobs do not accept @every; {advice}'
    elif word == "@reboot":
        message = (
            f'schedule "{source}": a CronJob cannot run "at reboot"; use a 5-field '
            f"schedule or one of {accepted}"
        )
    elif word.lower() in MACROS and word != source:
        message = f'schedule "{source}": a macro stands alone; write just {word.lower()}'
    elif word.lower() in MACROS:
        message = f'schedule "{source}": macros are lowercase in Kubernetes; write {word.lower()}'
    else:
        message = f'schedule "{source}": unknown macro {word}; use one of {accepted}'
    raise ScheduleError(message, part="expression")


def parse(texts: Sequence[str]) -> tuple[str, Timetable]:
    """Parse five standard fields as robfig/cron does; return the CronJob text and timetable."""
    terms = [
        fields.parse_field(text, field, quartz=False)
        for text, field in zip(texts, _FIELDS, strict=True)
    ]
    minutes, hours, month_days, months, weekdays = (
        fields.values(field_terms, field) for field_terms, field in zip(terms, _FIELDS, strict=True)
    )
    day_rule = days.CronDays(
        month_days=month_days,
        weekdays=frozenset(day % 7 for day in weekdays),
        either=not (_unrestricted(terms[2]) or _unrestricted(terms[4])),
    )
    table = Timetable(
        seconds=(0,),
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        months=tuple(sorted(months)),
        days=day_rule,
    )
    if not table.fires_in(CYCLE):
        raise never_fires(texts[2], texts[3])
    return " ".join([*texts[:4], _weekday_text(texts[4], terms[4])]), table


def never_fires(day_of_month: str, month: str) -> ScheduleError:
    """The error for day-of-month values that no month of the schedule has, such as 30 Feb."""
    message = (
        f'day-of-month field "{day_of_month}": none of these days exists in month field '
        f'"{month}", so the schedule would never fire; pick days that exist in those '
        "months (February has at most 29)"
    )
    return ScheduleError(message, part="day-of-month")


def _unrestricted(terms: Iterable[fields.Term]) -> bool:
    """robfig/cron's "star bit": some item is `*` or `?` without a step above 1."""
    return any(term.first is None and (term.step or 1) == 1 for term in terms)


def _weekday_text(text: str, terms: Sequence[fields.Term]) -> str:
    """The day-of-week field as robfig/cron accepts it: it knows Sunday only as 0."""

    def has_seven(term: fields.Term) -> bool:
        return term.first is not None and _SUNDAY_AGAIN in {term.start, term.end}

    if not any(has_seven(term) for term in terms):
        return text
    field = fields.STANDARD_DAY_OF_WEEK
    items = text.split(",")
    return ",".join(
        fields.render(day % 7 for day in fields.term_values(term, field))
        if has_seven(term)
        else item
        for item, term in zip(items, terms, strict=True)
    )
