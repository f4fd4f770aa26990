"""The fields of an expression and their items: `*`, `?`, `N`, `N-M`, each with `/step`.

Both dialects share this grammar; they differ in bounds, names, whether a range may wrap
around (Quartz's FRI-MON) and whether a bare `/step` is allowed. Errors name the field and
quote what the user wrote.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from basejob.schedules.model import ScheduleError


class FieldError(Exception):
    """What is wrong inside one field; `reported` adds which field and its text."""


@dataclass(frozen=True)
class Field:
    """One position of an expression: its name, bounds and the names it understands."""

    part: str
    low: int
    high: int  # where `*` and `N/step` end
    top: int  # the largest value one may write (7 for Sunday in standard day-of-week)
    names: Mapping[str, int]
    accepted: str
    wraps: bool = True  # whether a Quartz range may run backwards (FRI-MON); years do not


@dataclass(frozen=True)
class Term:
    """One comma-separated item of a field: `*`, `N`, `N-M`, each optionally `/step`."""

    first: str | None  # None for `*` or `?`
    last: str | None
    step: int | None
    start: int
    end: int  # below start for a Quartz range that wraps around, e.g. FRI-MON


MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_NONE: Mapping[str, int] = {}
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}

SECONDS = Field("seconds", 0, 59, 59, _NONE, "0-59")
MINUTES = Field("minutes", 0, 59, 59, _NONE, "0-59")
HOURS = Field("hours", 0, 23, 23, _NONE, "0-23")
DAYS_OF_MONTH = Field("day-of-month", 1, 31, 31, _NONE, "1-31")
MONTH = Field("month", 1, 12, 12, _MONTHS, "1-12 or JAN-DEC")
STANDARD_DAY_OF_WEEK = Field(
    "day-of-week",
    0,
    6,
    7,
    {name: number for number, name in enumerate(DAY_NAMES)},
    "0-7 (0 and 7 are Sunday) or SUN-SAT",
)
QUARTZ_DAY_OF_WEEK = Field(
    "day-of-week",
    1,
    7,
    7,
    {name: number for number, name in enumerate(DAY_NAMES, start=1)},
    "1-7 (1 is Sunday, 7 is Saturday) or SUN-SAT",
)
YEAR = Field("year", 1970, 2099, 2099, _NONE, "1970-2099", wraps=False)
DAY_PARTS = frozenset({DAYS_OF_MONTH.part, QUARTZ_DAY_OF_WEEK.part})


@contextmanager
def reported(text: str, field: Field) -> Iterator[None]:
    """Turn a FieldError raised inside into a ScheduleError naming the field and its text."""
    try:
        yield
    except FieldError as problem:
        message = f'{field.part} field "{text}": {problem}'
        raise ScheduleError(message, part=field.part) from None


def parse_field(text: str, field: Field, *, quartz: bool) -> tuple[Term, ...]:
    """Split a field into items; errors name the field and quote what the user wrote."""
    with reported(text, field):
        if quartz:
            check_question_mark(text, field)
        return tuple(parse_term(item, field, quartz=quartz) for item in text.split(","))


def check_question_mark(text: str, field: Field) -> None:
    """Quartz's `?` ("no specific value") stands alone, and only in a day field."""
    if "?" in text and field.part not in DAY_PARTS:
        message = '"?" (no specific value) is only allowed in the day fields; use * here'
        raise FieldError(message)
    if "?" in text and text != "?":
        message = '"?" (no specific value) must stand alone in its field'
        raise FieldError(message)


def parse_term(item: str, field: Field, *, quartz: bool) -> Term:
    """Parse `*`, `?`, `N`, `N-M`, each with an optional `/step` (Quartz also takes `/step`)."""
    if not item:
        message = "an empty list item; separate values with single commas, e.g. 1,15"
        raise FieldError(message)
    body, slash, step_text = item.partition("/")
    step = _parse_step(step_text, field, quartz=quartz) if slash else None
    if body in {"*", "?"} or (quartz and slash and not body):
        return Term(None, None, step, field.low, field.high)
    first, dash, last = body.partition("-")
    start = parse_value(first, field)
    open_end = start if step is None else max(start, field.high)  # "N/step" runs to the top
    end = parse_value(last, field) if dash else open_end
    term = Term(first, last if dash else None, step, start, end)
    if end < start and not (quartz and field.wraps):
        raise FieldError(_backwards(body, term, field))
    return term


def _backwards(body: str, term: Term, field: Field) -> str:
    """Why a backwards range is refused, and what to write instead."""
    if not field.wraps:
        return f'the range "{body}" runs backwards; put the smaller value first'
    wrapped = render(term_values(term, field))
    return (
        f'the range "{body}" runs backwards; put the smaller value first or, to wrap '
        f"around, list both parts: {wrapped}"
    )


def parse_value(token: str, field: Field) -> int:
    """A number within the field's bounds, or a month or day name (any case)."""
    named = field.names.get(token.upper())
    if named is not None:
        return named
    if not token:
        message = f"a value is missing; use {field.accepted}"
        raise FieldError(message)
    if not (token.isascii() and token.isdigit()):
        message = f'"{token}" is not a valid value; use {field.accepted}'
        raise FieldError(message)
    value = int(token)
    if not field.low <= value <= field.top:
        message = f"{value} is out of range; use {field.accepted}"
        raise FieldError(message)
    return value


def _parse_step(text: str, field: Field, *, quartz: bool) -> int:
    """A positive step; Quartz also refuses one beyond the field's largest value."""
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        message = f'the step "{text}" is not a positive whole number; write e.g. */5'
        raise FieldError(message)
    step = int(text)
    if quartz and step > field.high:
        message = f"the step {step} is too large; Quartz allows at most {field.high} here"
        raise FieldError(message)
    return step


def values(terms: Iterable[Term], field: Field) -> frozenset[int]:
    """Every value the items of a field select, in that field's own numbering."""
    return frozenset(itertools.chain.from_iterable(term_values(t, field) for t in terms))


def term_values(term: Term, field: Field) -> frozenset[int]:
    """The values one item selects; a wrapping range continues at the field's low end."""
    step = term.step or 1
    if term.start <= term.end:
        return frozenset(range(term.start, term.end + 1, step))
    size = field.high - field.low + 1
    wrapped = range(term.start, term.end + size + 1, step)
    return frozenset((value - field.low) % size + field.low for value in wrapped)


def render(numbers: Iterable[int]) -> str:
    """Values as a cron list, runs collapsed to ranges: 0,1,2,5 -> 0-2,5."""
    runs: list[list[int]] = []
    for value in sorted(set(numbers)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in runs)
