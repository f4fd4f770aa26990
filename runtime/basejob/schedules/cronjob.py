"""Translate a valid Quartz expression into the five fields a Kubernetes CronJob runs exactly.

The CronJob controller parses schedules with robfig/cron v3's standard parser: minutes to
day-of-week, 0 is Sunday, at second 0 and every year. A Quartz expression translates when it
fires at second 0 only, has no year limit and no L, W or # (day-of-week `L` alone is just
Saturday). Otherwise the answer is None and a reason the operator can show to the author.
"""

from __future__ import annotations

from collections.abc import Sequence

from basejob.schedules import days, fields, quartz

_FIELDS = (
    fields.MINUTES,
    fields.HOURS,
    fields.DAYS_OF_MONTH,
    fields.MONTH,
    fields.QUARTZ_DAY_OF_WEEK,
)
_SATURDAY = "7"  # Quartz's number for Saturday, which day-of-week `L` alone means


def translate(texts: Sequence[str]) -> tuple[str | None, str | None]:
    """(the CronJob expression, None), or (None, why no CronJob can run it exactly).

    `texts` are six or seven Quartz fields that `quartz.parse` accepted.
    """
    reasons = [
        reason
        for reason in (_seconds_reason(texts[0]), *_day_reasons(texts), _year_reason(texts))
        if reason is not None
    ]
    if reasons:
        return None, "; ".join(reasons)
    day_of_week = _SATURDAY if texts[5].upper() == "L" else texts[5]
    cron = [
        ",".join(_cron_term(term, field) for term in fields.parse_field(text, field, quartz=True))
        for text, field in zip([*texts[1:5], day_of_week], _FIELDS, strict=True)
    ]
    return " ".join(cron), None


def _seconds_reason(text: str) -> str | None:
    seconds = fields.values(fields.parse_field(text, fields.SECONDS, quartz=True), fields.SECONDS)
    if seconds == {0}:
        return None
    return (
        f'seconds other than 0 (seconds field "{text}": a CronJob fires at most once a '
        "minute, at second 0)"
    )


def _day_reasons(texts: Sequence[str]) -> list[str]:
    """Why the day fields' L, W or # keep a CronJob from running the schedule."""
    month_rule = days.parse_day_of_month(texts[3])
    week_rule = days.parse_day_of_week(texts[5])
    reasons = []
    match month_rule:
        case days.LastDay(offset=0, nearest_weekday=True):
            what, meaning = "LW", "the last weekday of the month"
        case days.LastDay(nearest_weekday=True):
            what, meaning = "LW", "the weekday nearest a day counted back from the month's end"
        case days.LastDay():
            what, meaning = "L", "counted back from the last day of the month"
        case days.NearestWeekday():
            what, meaning = "W", "the weekday nearest a day of the month"
        case _:
            what = meaning = ""
    if what:
        reasons.append(f'{what} in day-of-month (day-of-month field "{texts[3]}": {meaning})')
    match week_rule:
        case days.LastWeekday():
            what, meaning = "L", "the last such weekday of the month"
        case days.NthWeekday():
            what, meaning = "#", "a weekday's n-th occurrence in the month"
        case _:
            what = meaning = ""
    if what:
        reasons.append(f'{what} in day-of-week (day-of-week field "{texts[5]}": {meaning})')
    return reasons


def _year_reason(texts: Sequence[str]) -> str | None:
    if len(texts) < quartz.WITH_YEAR or texts[6] == "*":
        return None
    return f'a year field (year field "{texts[6]}": a CronJob repeats every year)'


def _cron_term(term: fields.Term, field: fields.Field) -> str:
    """One Quartz item in cron's words; day-of-week moves from 1-7 to 0-6 (Sunday first)."""
    offset = 1 if field.part == "day-of-week" else 0
    step = "" if term.step is None else f"/{term.step}"
    if term.end < term.start:  # Quartz wraps FRI-MON around; cron needs the values listed
        return fields.render(value - offset for value in fields.term_values(term, field))
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
