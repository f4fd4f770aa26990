"""Unit tests for Quartz semantics: the CronTrigger tutorial's examples, L, W, #, years, errors."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from basejob.schedules import CronSchedule, ScheduleError, parse_schedule
from support.schedule_times import fire_times_of, utc

NEW_YEAR_2026 = utc(2026, 1, 1)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 0 12 * * ?", NEW_YEAR_2026, [utc(2026, 1, 1, 12), utc(2026, 1, 2, 12)]),
        ("0 15 10 ? * *", NEW_YEAR_2026, [utc(2026, 1, 1, 10, 15), utc(2026, 1, 2, 10, 15)]),
        ("0 15 10 * * ?", NEW_YEAR_2026, [utc(2026, 1, 1, 10, 15), utc(2026, 1, 2, 10, 15)]),
        ("0 15 10 * * ? *", NEW_YEAR_2026, [utc(2026, 1, 1, 10, 15), utc(2026, 1, 2, 10, 15)]),
        (
            "0 15 10 * * ? 2005",
            utc(2004, 6, 1),
            [utc(2005, 1, 1, 10, 15), utc(2005, 1, 2, 10, 15)],
        ),
        ("0 15 10 * * ? 2005", utc(2005, 12, 31, 10, 15), []),
        ("0 15 10 * * ? 2005", NEW_YEAR_2026, []),
        (
            "0 * 14 * * ?",
            utc(2026, 1, 1, 14, 58, 30),
            [utc(2026, 1, 1, 14, 59), utc(2026, 1, 2, 14, 0), utc(2026, 1, 2, 14, 1)],
        ),
        (
            "0 0/5 14 * * ?",
            utc(2026, 1, 1, 14, 50),
            [utc(2026, 1, 1, 14, 55), utc(2026, 1, 2, 14, 0), utc(2026, 1, 2, 14, 5)],
        ),
        (
            "0 0/5 14,18 * * ?",
            utc(2026, 1, 1, 14, 55),
            [utc(2026, 1, 1, 18, 0), utc(2026, 1, 1, 18, 5), utc(2026, 1, 1, 18, 10)],
        ),
        (
            "0 0/5 14,18 * * ?",
            utc(2026, 1, 1, 18, 55),
            [utc(2026, 1, 2, 14, 0), utc(2026, 1, 2, 14, 5)],
        ),
        (
            "0 0-5 14 * * ?",
            utc(2026, 1, 1, 14, 4),
            [utc(2026, 1, 1, 14, 5), utc(2026, 1, 2, 14, 0)],
        ),
        (
            "0 10,44 14 ? 3 WED",
            NEW_YEAR_2026,
            [utc(2026, 3, 4, 14, 10), utc(2026, 3, 4, 14, 44), utc(2026, 3, 11, 14, 10)],
        ),
        ("0 10,44 14 ? 3 WED", utc(2026, 3, 25, 15), [utc(2027, 3, 3, 14, 10)]),
        (
            "0 15 10 ? * MON-FRI",
            utc(2026, 1, 2, 11),
            [utc(2026, 1, 5, 10, 15), utc(2026, 1, 6, 10, 15), utc(2026, 1, 7, 10, 15)],
        ),
        (
            "0 15 10 15 * ?",
            NEW_YEAR_2026,
            [utc(2026, 1, 15, 10, 15), utc(2026, 2, 15, 10, 15), utc(2026, 3, 15, 10, 15)],
        ),
        (
            "0 0 12 1/5 * ?",
            utc(2026, 1, 26, 13),
            [utc(2026, 1, 31, 12), utc(2026, 2, 1, 12), utc(2026, 2, 6, 12)],
        ),
        (
            "0 11 11 11 11 ?",
            NEW_YEAR_2026,
            [utc(2026, 11, 11, 11, 11), utc(2027, 11, 11, 11, 11), utc(2028, 11, 11, 11, 11)],
        ),
        (
            "0/3 * * * * ?",
            utc(2026, 1, 1, 10, 0, 1),
            [utc(2026, 1, 1, 10, 0, 3), utc(2026, 1, 1, 10, 0, 6), utc(2026, 1, 1, 10, 0, 9)],
        ),
        (
            "0/3 * * * * ?",
            utc(2026, 1, 1, 23, 59, 57),
            [utc(2026, 1, 2, 0, 0, 0), utc(2026, 1, 2, 0, 0, 3)],
        ),
    ],
)
def test_tutorial_examples_fire_as_documented(
    expression: str, after: datetime, expected: list[datetime]
) -> None:
    """The Quartz CronTrigger tutorial's examples fire at the times it describes."""
    assert expected == fire_times_of(expression, after, count=len(expected) or 3)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # L: the last day; 2026-02 has 28 days, 2028-02 has 29.
        (
            "0 15 10 L * ?",
            NEW_YEAR_2026,
            [utc(2026, 1, 31, 10, 15), utc(2026, 2, 28, 10, 15), utc(2026, 3, 31, 10, 15)],
        ),
        ("0 15 10 L 2 ?", utc(2027, 3, 1), [utc(2028, 2, 29, 10, 15), utc(2029, 2, 28, 10, 15)]),
        # L-2: two days before the last day.
        (
            "0 15 10 L-2 * ?",
            NEW_YEAR_2026,
            [utc(2026, 1, 29, 10, 15), utc(2026, 2, 26, 10, 15), utc(2026, 3, 29, 10, 15)],
        ),
        # 15W: 2026-01-15 is a Thursday; 2026-02-15 a Sunday (Monday 16th); 2026-08-15 a Saturday.
        ("0 0 12 15W * ?", NEW_YEAR_2026, [utc(2026, 1, 15, 12), utc(2026, 2, 16, 12)]),
        ("0 0 12 15W * ?", utc(2026, 8, 1), [utc(2026, 8, 14, 12)]),
        # LW: 2026-01-31 and 2026-02-28 are Saturdays, 2026-05-31 a Sunday.
        (
            "0 0 12 LW * ?",
            NEW_YEAR_2026,
            [utc(2026, 1, 30, 12), utc(2026, 2, 27, 12), utc(2026, 3, 31, 12)],
        ),
        ("0 0 12 LW * ?", utc(2026, 5, 1), [utc(2026, 5, 29, 12)]),
        # L-3W: three days before the last day, moved to the nearest weekday (2026-01-28 Wed).
        ("0 0 12 L-3W * ?", NEW_YEAR_2026, [utc(2026, 1, 28, 12), utc(2026, 2, 25, 12)]),
        # 1W: 2026-08-01 is a Saturday; W does not cross into July, so Monday the 3rd.
        ("0 0 12 1W * ?", utc(2026, 7, 15), [utc(2026, 8, 3, 12)]),
        # 1W on a Sunday (2026-02-01) is Monday the 2nd.
        ("0 0 12 1W * ?", utc(2026, 1, 15), [utc(2026, 2, 2, 12)]),
        # 31W: Saturday 2026-01-31 -> Friday 30th; Sunday 2026-05-31 -> Friday 29th (not June);
        # months without a 31st do not fire.
        (
            "0 0 12 31W * ?",
            NEW_YEAR_2026,
            [utc(2026, 1, 30, 12), utc(2026, 3, 31, 12), utc(2026, 5, 29, 12)],
        ),
        # 6L: the last Friday.
        (
            "0 15 10 ? * 6L",
            NEW_YEAR_2026,
            [utc(2026, 1, 30, 10, 15), utc(2026, 2, 27, 10, 15), utc(2026, 3, 27, 10, 15)],
        ),
        ("0 15 10 ? * FRIL", NEW_YEAR_2026, [utc(2026, 1, 30, 10, 15)]),
        # 6L limited to 2002-2005: the last two, then nothing.
        (
            "0 15 10 ? * 6L 2002-2005",
            utc(2005, 11, 1),
            [utc(2005, 11, 25, 10, 15), utc(2005, 12, 30, 10, 15)],
        ),
        # 6#3: the third Friday.
        (
            "0 15 10 ? * 6#3",
            NEW_YEAR_2026,
            [utc(2026, 1, 16, 10, 15), utc(2026, 2, 20, 10, 15), utc(2026, 3, 20, 10, 15)],
        ),
        ("0 15 10 ? * fri#3", NEW_YEAR_2026, [utc(2026, 1, 16, 10, 15)]),
        # 6#5: a fifth Friday only in months that have one (2026: January, May, July, October).
        (
            "0 0 0 ? * 6#5",
            NEW_YEAR_2026,
            [utc(2026, 1, 30), utc(2026, 5, 29), utc(2026, 7, 31), utc(2026, 10, 30)],
        ),
        # L alone in day-of-week is Saturday.
        ("0 0 0 ? * L", NEW_YEAR_2026, [utc(2026, 1, 3), utc(2026, 1, 10)]),
        # Years: a list, a step.
        ("0 0 0 1 1 ? 2030,2028", NEW_YEAR_2026, [utc(2028, 1, 1), utc(2030, 1, 1)]),
        ("0 0 0 1 1 ? 2026/10", utc(2026, 6, 1), [utc(2036, 1, 1), utc(2046, 1, 1)]),
    ],
)
def test_day_specials_and_years(expression: str, after: datetime, expected: list[datetime]) -> None:
    """L, L-n, W, LW, nL, n#k and year fields pick exactly the documented days."""
    assert expected == fire_times_of(expression, after, count=len(expected) + 1)[: len(expected)]


@pytest.mark.parametrize(
    ("expression", "after", "count"),
    [
        ("0 15 10 * * ? 2005", utc(2005, 12, 30), 2),
        ("0 15 10 ? * 6L 2002-2005", utc(2005, 11, 1), 2),
        ("0 0 0 1 1 ? 2030,2028", NEW_YEAR_2026, 2),
    ],
)
def test_a_year_field_ends_the_schedule(expression: str, after: datetime, count: int) -> None:
    """After its last year a schedule has no fire times left: fewer come back than asked for."""
    assert count == len(fire_times_of(expression, after, count=10))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "0 15 10 ? * 6#3 2099",
            [
                utc(2099, 1, 16, 10, 15),
                utc(2099, 2, 20, 10, 15),
                utc(2099, 3, 20, 10, 15),
                utc(2099, 4, 17, 10, 15),
                utc(2099, 5, 15, 10, 15),
            ],
        ),
        (
            "0 0 0 29 2 ? *",
            [
                utc(2028, 2, 29),
                utc(2032, 2, 29),
                utc(2036, 2, 29),
                utc(2040, 2, 29),
                utc(2044, 2, 29),
            ],
        ),
        ("* * * * * ?", [utc(2026, 1, 1, 0, 0, second) for second in range(1, 6)]),
    ],
)
def test_rare_schedules_are_fast(expression: str, expected: list[datetime]) -> None:
    """Five fire times of rare schedules take milliseconds: months are skipped, not seconds."""
    started = time.perf_counter()
    actual = fire_times_of(expression, NEW_YEAR_2026)
    elapsed = time.perf_counter() - started
    assert (expected, True) == (actual, elapsed < 0.5)


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        ("0 0 0 ? * L", "0 0 * * 6"),
        ("0 0 12 * * ? *", "0 12 * * *"),
        ("0 0 12 ? * MON-FRI *", "0 12 * * MON-FRI"),
    ],
)
def test_translatable_quartz_runs_as_a_cronjob(expression: str, cron: str) -> None:
    """A Quartz schedule a CronJob expresses exactly needs no operator and has no reason."""
    expected = CronSchedule(expression, "quartz", cron, None)
    actual = parse_schedule(expression)
    assert (expected, False) == (actual, actual.needs_operator)


@pytest.mark.parametrize(("cron", "reason"), [(None, None), ("0 2 * * *", "seconds")])
def test_cron_schedule_holds_either_cron_or_a_reason(cron: str | None, reason: str | None) -> None:
    """A CronSchedule with neither or both of cron and operator_reason is refused."""
    with pytest.raises(ValueError, match="give either cron or operator_reason"):
        CronSchedule("0 0 2 * * ?", "quartz", cron, reason)


@pytest.mark.parametrize(
    ("expression", "part", "fragment"),
    [
        (
            "0 0 12 ? * 6#6",
            "day-of-week",
            'day-of-week field "6#6": "#6" must be followed by 1 to 5',
        ),
        ("0 0 12 ? * 6#0", "day-of-week", "must be followed by 1 to 5"),
        ("0 0 12 ? * 6#", "day-of-week", "must be followed by 1 to 5"),
        ("0 0 12 ? * 8#2", "day-of-week", "8 is out of range; use 1-7"),
        ("0 0 12 ? * 8L", "day-of-week", "8 is out of range"),
        ("0 0 12 ? * 1,L", "day-of-week", "L or # must stand alone in the field"),
        ("0 0 12 ? * 2#1,3#1", "day-of-week", "must stand alone"),
        ("0 0 12 ? * 2-6L", "day-of-week", "write L alone (Saturday), 6L"),
        ("0 0 12 1-5W * ?", "day-of-month", "W takes one day (15W, not a range or step)"),
        ("0 0 12 1,15W * ?", "day-of-month", "L or W must stand alone in the field"),
        ("0 0 12 L,15 * ?", "day-of-month", "must stand alone"),
        ("0 0 12 W * ?", "day-of-month", '"W" is not a day-of-month Quartz understands'),
        ("0 0 12 L/2 * ?", "day-of-month", "write L, L-3, LW, L-3W or 15W"),
        ("0 0 12 L-31 * ?", "day-of-month", "the offset in L-31 is too large; write L-0 to L-30"),
        ("0 0 12 32W * ?", "day-of-month", "32 is out of range; use 1-31"),
        ("0 0 12 0W * ?", "day-of-month", "0 is out of range"),
        ("0 0 12 15 * 6L", "day-of-week", "are both set"),
        ("0 0 12 LW * 2#1", "day-of-week", "are both set"),
        ("0 15 10 ? * 6L 1969", "year", 'year field "1969": 1969 is out of range; use 1970-2099'),
        ("0 15 10 ? * 6L 2100", "year", "use 1970-2099"),
        ("0 0 0 1 1 ? 2030-2026", "year", 'the range "2030-2026" runs backwards'),
        ("0 0 0 1 1 ? ?", "year", "only allowed in the day fields"),
        ("0 0 0 31W 2 ?", "day-of-month", "so the schedule would never fire"),
        ("0 0 0 30 2 ?", "day-of-month", "none of these days exists"),
        ("0 0 0 29 2 ? 2025", "year", 'year field "2025": the day fields ("29" in month'),
        ("0 0 0 ? 2 5#5 2026", "year", "so the schedule would never fire; pick other years"),
        ("0 0 0 L * W", "day-of-week", '"W" is not a valid value'),
        ("0 0 0 1 1 ?  2030 x", "expression", "has 8 fields"),
        ("0 0 12 1W JAN ? 2030 2031", "expression", "or Quartz's 6 or 7 fields"),
    ],
)
def test_refuses_invalid_specials(expression: str, part: str, fragment: str) -> None:
    """Misused L, W, #, out-of-range years and never-firing schedules are refused clearly."""
    with pytest.raises(ScheduleError, match=re.escape(fragment)) as caught:
        parse_schedule(expression)
    assert part == caught.value.part


@pytest.mark.parametrize(
    "expression", ["0 0 0 ? 2 5#5", "0 0 0 L-30 * ?", "0 0 0 31W 1 ?", "0 0 0 29 2 ? 2028"]
)
def test_accepts_rare_but_possible_days(expression: str) -> None:
    """A day that exists only in some months or years (a fifth Thursday in February) is valid."""
    assert 1 == len(fire_times_of(expression, NEW_YEAR_2026, count=1))
