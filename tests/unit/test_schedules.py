"""Unit tests for schedule parsing, CronJob translation and fire times of standard schedules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from basejob.schedules import (
    CronSchedule,
    ScheduleError,
    next_fire_times,
    parse_schedule,
)
from support.schedule_times import fire_times_of, utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NEW_YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)


# Quartz expressions and hand-written standard expressions that must fire at the same times.
QUARTZ_EQUIVALENTS = [
    ("0 0 2 * * ?", "0 2 * * *"),
    ("0 0 * * * ?", "0 * * * *"),
    ("0 0 8 ? * MON", "0 8 * * 1"),
    ("0 0 6 1 * ?", "0 6 1 * *"),
    ("0 * * * * ?", "* * * * *"),
    ("0 0/20 * * * ?", "0,20,40 * * * *"),
    ("0 15 10 ? * 2-6", "15 10 * * MON-FRI"),
    ("0 0 0 ? * 1/2", "0 0 * * SUN,TUE,THU,SAT"),
    ("0 0 0 ? * 3/2", "0 0 * * TUE,THU,SAT"),
    ("0 15 10 ? * */3", "15 10 * * 0,3,6"),
    ("0 0 12 ? * FRI-MON", "0 12 * * FRI,SAT,SUN,MON"),
    ("0 0 12 ? * 1,7", "0 12 * * 0,6"),
    ("0 30 22-2 * * ?", "30 0-2,22-23 * * *"),
    ("0 0 0 30-2 * ?", "0 0 1,2,30,31 * *"),
    ("0 0 0 ? JAN,JUL 7", "0 0 * 1,7 6"),
    ("0 0 12 29 2 ? *", "0 12 29 FEB *"),
    ("0 10-40/10 9 ? * SUN/3", "10,20,30,40 9 * * 0,3,6"),
]


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("0 0 2 * * ?", "0 2 * * *"),
        ("0 0 * * * ?", "0 * * * *"),
        ("0 0 8 ? * MON", "0 8 * * MON"),
        ("0 0 6 1 * ?", "0 6 1 * *"),
        ("0 * * * * ?", "* * * * *"),
    ],
)
def test_translates_the_user_examples(quartz: str, cron: str) -> None:
    """Our users' Quartz schedules become the five-field expressions they mean."""
    assert CronSchedule(quartz, "quartz", cron) == parse_schedule(quartz)


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("0 0 0 ? * 1", "0 0 * * 0"),
        ("0 0 0 ? * 7", "0 0 * * 6"),
        ("0 0 0 ? * 2-6", "0 0 * * 1-5"),
        ("0 0 0 ? * 1,4,7", "0 0 * * 0,3,6"),
        ("0 0 0 ? * 2-6/2", "0 0 * * 1-5/2"),
        ("0 0 0 ? * 1/2", "0 0 * * 0-6/2"),
        ("0 0 0 ? * 2/3", "0 0 * * 1-6/3"),
        ("0 0 0 ? * */2", "0 0 * * */2"),
        ("0 0 0 ? * /3", "0 0 * * */3"),
        ("0 0 0 ? * MON", "0 0 * * MON"),
        ("0 0 0 ? * mon-fri", "0 0 * * MON-FRI"),
        ("0 0 0 ? * SUN/3", "0 0 * * SUN-SAT/3"),
        ("0 0 0 ? * FRI-MON", "0 0 * * 0-1,5-6"),
        ("0 0 0 ? * MON,7", "0 0 * * MON,6"),
        ("0 0 0 ? * L", "0 0 * * 6"),
    ],
)
def test_translates_quartz_day_of_week(quartz: str, cron: str) -> None:
    """Quartz day-of-week 1-7 (Sunday first) becomes cron 0-6, names stay names."""
    assert cron == parse_schedule(quartz).cron


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("00 0 0 * * ?", "0 0 * * *"),
        ("0 5/15 * * * ? *", "5/15 * * * *"),
        ("0 0 22-2 * * ?", "0 0-2,22-23 * * *"),
        ("0 0 0 30-2 * ?", "0 0 1-2,30-31 * *"),
        ("0 0 0 * jan,Jul ?", "0 0 * JAN,JUL *"),
        ("0 0 0 1 NOV-FEB ?", "0 0 1 1-2,11-12 *"),
    ],
)
def test_translates_other_quartz_fields(quartz: str, cron: str) -> None:
    """Seconds 0 and year * disappear; wrapping ranges become lists; names are uppercased."""
    assert cron == parse_schedule(quartz).cron


@pytest.mark.parametrize(
    "macro", ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
)
def test_keeps_macros(macro: str) -> None:
    """Every macro Kubernetes accepts is passed to the CronJob as written."""
    assert CronSchedule(macro, "standard", macro) == parse_schedule(f" {macro}\n")


@pytest.mark.parametrize(
    ("macro", "equivalent"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_macros_fire_like_their_expansion(macro: str, equivalent: str) -> None:
    """A macro fires exactly when robfig/cron's expansion of it does."""
    assert fire_times_of(equivalent, NEW_YEAR_2026, count=10) == fire_times_of(
        macro, NEW_YEAR_2026, count=10
    )


@pytest.mark.parametrize(
    "expression",
    [
        "0 2 * * *",
        "*/15 9-17 * * MON-FRI",
        "0 0 1,15 * *",
        "5 4 * jan-mar sun",
        "0 0 ? * *",
        "0 0 13 * */3",
    ],
)
def test_keeps_standard_expressions(expression: str) -> None:
    """A five-field expression Kubernetes accepts reaches the CronJob unchanged."""
    assert CronSchedule(expression, "standard", expression) == parse_schedule(f"  {expression} ")


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 * * 0,5-6"),
        ("0 0 * * 5-7/2", "0 0 * * 0,5"),
        ("0 0 * * MON,7", "0 0 * * MON,0"),
        ("0 0 * * SUN", "0 0 * * SUN"),
    ],
)
def test_spells_sunday_seven_as_zero(expression: str, cron: str) -> None:
    """Day-of-week 7 means Sunday, and the CronJob gets 0, which robfig/cron accepts."""
    assert cron == parse_schedule(expression).cron


def test_sunday_seven_fires_on_sundays() -> None:
    """Day-of-week 7 fires on the same days as 0."""
    assert fire_times_of("0 0 * * 0", NEW_YEAR_2026) == fire_times_of("0 0 * * 7", NEW_YEAR_2026)


@pytest.mark.parametrize(("quartz", "_"), QUARTZ_EQUIVALENTS)
def test_translation_never_restricts_both_day_fields(quartz: str, _: str) -> None:
    """One Quartz day field is ?, so cron's OR rule for two restricted day fields never applies."""
    fields = parse_schedule(quartz).cron.split()
    assert "*" in {fields[2], fields[4]}


@pytest.mark.parametrize(("quartz", "standard"), QUARTZ_EQUIVALENTS)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_translation_fires_like_the_hand_written_equivalent(
    quartz: str, standard: str, zone: str
) -> None:
    """The next 20 fire times of a translated Quartz schedule equal its standard equivalent's."""
    after = datetime(2026, 3, 28, 17, 43, 12, tzinfo=UTC)
    assert fire_times_of(standard, after, zone, count=20) == fire_times_of(
        quartz, after, zone, count=20
    )


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("0/3 * * * * ?", 'seconds other than 0 (seconds field "0/3"'),
        ("30 * * * * ?", "a CronJob fires at most once a minute, at second 0"),
        ("* * * * * ?", "seconds other than 0"),
        ("0 15 10 ? * 6L", 'L in day-of-week (day-of-week field "6L": the last such weekday'),
        ("0 0 12 15W * ?", 'W in day-of-month (day-of-month field "15W": the weekday nearest'),
        ("0 0 12 LW * ?", 'LW in day-of-month (day-of-month field "LW": the last weekday'),
        ("0 0 12 L * ?", 'L in day-of-month (day-of-month field "L": counted back from'),
        ("0 0 12 L-3 * ?", "L in day-of-month"),
        ("0 0 12 ? * 6#3", '# in day-of-week (day-of-week field "6#3": a weekday\'s n-th'),
        ("0 0 12 ? * wed#2", "# in day-of-week"),
        ("0 0 12 * * ? 2027", 'a year field (year field "2027": a CronJob repeats every year)'),
        ("0 0 12 * * ? 2026-2030", "a year field"),
        ("0/3 * * * * ? 2030", "at second 0); a year field"),
    ],
)
def test_keeps_quartz_a_cronjob_cannot_express(expression: str, fragment: str) -> None:
    """A valid Quartz schedule no CronJob can run exactly has no cron and says why."""
    schedule = parse_schedule(expression)
    assert (None, True) == (schedule.cron, schedule.needs_operator)
    assert schedule.operator_reason is not None
    assert fragment in schedule.operator_reason


@pytest.mark.parametrize(
    ("expression", "part", "fragment"),
    [
        ("0 0 12 * * *", "day-of-week", 'exactly one of them to be "?"'),
        (
            "0 0 12 15 * MON",
            "day-of-week",
            'or ? in day-of-month to follow day-of-week "MON" alone',
        ),
        ("0 0 12 ? * ?", "day-of-week", "are both ?"),
        ("0 0 ? * * ?", "hours", "only allowed in the day fields"),
        ("0 0 12 ?/2 * ?", "day-of-month", "must stand alone"),
        ("0 0 25 * * ?", "hours", 'hours field "25": 25 is out of range; use 0-23'),
        ("0 0 12 ? * 0", "day-of-week", "use 1-7 (1 is Sunday, 7 is Saturday) or SUN-SAT"),
        ("0 0/60 * * * ?", "minutes", "Quartz allows at most 59 here"),
        ("0 0 0 ? * 1/8", "day-of-week", "Quartz allows at most 7 here"),
        ("61 0 0 * * ?", "seconds", "61 is out of range; use 0-59"),
        ("0 0 0 * 13 ?", "month", "use 1-12 or JAN-DEC"),
    ],
)
def test_refuses_invalid_quartz(expression: str, part: str, fragment: str) -> None:
    """An invalid Quartz schedule is refused, naming the part and why."""
    with pytest.raises(ScheduleError, match=re.escape(fragment)) as caught:
        parse_schedule(expression)
    assert part == caught.value.part


@pytest.mark.parametrize(
    ("expression", "part", "fragment"),
    [
        ("60 * * * *", "minutes", 'minutes field "60": 60 is out of range; use 0-59'),
        ("0 24 * * *", "hours", "use 0-23"),
        ("0 0 0 * *", "day-of-month", "use 1-31"),
        ("0 0 * * 8", "day-of-week", "use 0-7 (0 and 7 are Sunday) or SUN-SAT"),
        ("0 0 * * FUN", "day-of-week", '"FUN" is not a valid value'),
        ("0 0 * JANUARY *", "month", "use 1-12 or JAN-DEC"),
        ("*/0 * * * *", "minutes", 'the step "0" is not a positive whole number'),
        ("*/x * * * *", "minutes", "not a positive whole number"),
        ("1,,2 * * * *", "minutes", "an empty list item"),
        ("0 22-2 * * *", "hours", "runs backwards; put the smaller value first"),
        ("0 22-2 * * *", "hours", "to wrap around, list both parts: 0-2,22-23"),
        ("0 0 5- * *", "day-of-month", "a value is missing"),
        ("0 0 30 2 *", "day-of-month", "so the schedule would never fire"),
        ("0 0 0 31 4,6 ?", "day-of-month", "none of these days exists"),
        ("* * * *", "expression", 'schedule "* * * *" has 4 fields'),
        ("0 0 0 1 1 ? 2030 x", "expression", "or Quartz's 6 or 7 fields"),
        ("   ", "expression", "the schedule is empty"),
        ("@every 5m", "expression", "do not accept @every"),
        ("@reboot", "expression", '"at reboot"'),
        ("@DAILY", "expression", "macros are lowercase in Kubernetes; write @daily"),
        ("@daily 5", "expression", "a macro stands alone"),
        ("@fortnightly", "expression", "unknown macro @fortnightly; use one of @yearly"),
        (
            "TZ=Europe/Berlin 0 2 * * *",
            "expression",
            "set the timeZone field instead (timeZone: Europe/Berlin)",
        ),
        ("CRON_TZ=UTC 0 2 * * *", "expression", 'remove "CRON_TZ=UTC"'),
    ],
)
def test_refuses_malformed_expressions(expression: str, part: str, fragment: str) -> None:
    """A malformed or Kubernetes-rejected expression is refused, naming the part and the fix."""
    with pytest.raises(ScheduleError, match=re.escape(fragment)) as caught:
        parse_schedule(expression)
    assert part == caught.value.part


def test_schedule_error_is_a_value_error() -> None:
    """Callers that catch ValueError also catch ScheduleError."""
    assert issubclass(ScheduleError, ValueError)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        (
            "0 2 * * *",
            utc(2026, 1, 1, 2, 0),
            [utc(2026, 1, 2, 2), utc(2026, 1, 3, 2), utc(2026, 1, 4, 2)],
        ),
        (
            "*/15 * * * *",
            utc(2026, 1, 1, 10, 7, 30),
            [utc(2026, 1, 1, 10, 15), utc(2026, 1, 1, 10, 30), utc(2026, 1, 1, 10, 45)],
        ),
        (
            "*/15 * * * *",
            utc(2026, 1, 1, 10, 14, 59),
            [utc(2026, 1, 1, 10, 15), utc(2026, 1, 1, 10, 30), utc(2026, 1, 1, 10, 45)],
        ),
        (
            "59 23 31 12 *",
            utc(2026, 6, 1),
            [utc(2026, 12, 31, 23, 59), utc(2027, 12, 31, 23, 59), utc(2028, 12, 31, 23, 59)],
        ),
        ("0 0 13 * FRI", NEW_YEAR_2026, [utc(2026, 1, 2), utc(2026, 1, 9), utc(2026, 1, 13)]),
        ("0 0 13 * *", NEW_YEAR_2026, [utc(2026, 1, 13), utc(2026, 2, 13), utc(2026, 3, 13)]),
        ("0 0 * * FRI", NEW_YEAR_2026, [utc(2026, 1, 2), utc(2026, 1, 9), utc(2026, 1, 16)]),
        ("0 0 13 * */3", NEW_YEAR_2026, [utc(2026, 1, 3), utc(2026, 1, 4), utc(2026, 1, 7)]),
        ("0 0 13 * */1", NEW_YEAR_2026, [utc(2026, 1, 13), utc(2026, 2, 13), utc(2026, 3, 13)]),
        ("0 0 1 * MON", utc(2026, 6, 30), [utc(2026, 7, 1), utc(2026, 7, 6), utc(2026, 7, 13)]),
        ("0 0 29 2 *", NEW_YEAR_2026, [utc(2028, 2, 29), utc(2032, 2, 29), utc(2036, 2, 29)]),
        ("0 0 29 2 *", utc(2096, 3, 1), [utc(2104, 2, 29), utc(2108, 2, 29), utc(2112, 2, 29)]),
        ("@weekly", NEW_YEAR_2026, [utc(2026, 1, 4), utc(2026, 1, 11), utc(2026, 1, 18)]),
        ("0 0 0 ? * 1/2", NEW_YEAR_2026, [utc(2026, 1, 3), utc(2026, 1, 4), utc(2026, 1, 6)]),
    ],
)
def test_fire_times_in_utc(expression: str, after: datetime, expected: list[datetime]) -> None:
    """Fire times are strictly after `after`; both day fields restricted means either matches."""
    assert expected == fire_times_of(expression, after, count=3)


@pytest.mark.timeout(2)
def test_leap_day_schedule_is_fast() -> None:
    """Five fire times of a leap-day schedule come from skipping months, not minutes."""
    expected = [
        utc(2028, 2, 29),
        utc(2032, 2, 29),
        utc(2036, 2, 29),
        utc(2040, 2, 29),
        utc(2044, 2, 29),
    ]
    assert expected == fire_times_of("0 0 29 2 *", NEW_YEAR_2026)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Spring forward: 02:00-02:59 does not exist on 2026-03-29, so that day is skipped.
        (
            "0 2 * * *",
            utc(2026, 3, 27, 12),
            [utc(2026, 3, 28, 1), utc(2026, 3, 30, 0), utc(2026, 3, 31, 0)],
        ),
        ("30 2 * * *", utc(2026, 3, 28, 12), [utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]),
        (
            "0 * * * *",
            utc(2026, 3, 28, 23, 30),
            [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)],
        ),
        # Fall back: 02:00-02:59 happens twice on 2026-10-25; it fires at the first (CEST) one.
        ("30 2 * * *", utc(2026, 10, 24, 12), [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
        (
            "30 2 * * *",
            utc(2026, 10, 25, 1, 10),
            [utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)],
        ),
        (
            "0 0 * * *",
            utc(2026, 10, 23, 12),
            [utc(2026, 10, 23, 22), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)],
        ),
    ],
)
def test_fire_times_across_berlin_dst_changes(
    expression: str, after: datetime, expected: list[datetime]
) -> None:
    """Wall-clock times a DST change skips do not fire; repeated ones fire once, the first time."""
    actual = fire_times_of(expression, after, "Europe/Berlin", count=len(expected))
    assert expected == [fire.astimezone(UTC) for fire in actual]


def test_fire_times_follow_new_york_offsets() -> None:
    """Weekday 09:00 in New York is 14:00 UTC before the March DST change and 13:00 after."""
    expected = [utc(2026, 3, 6, 14), utc(2026, 3, 9, 13), utc(2026, 3, 10, 13)]
    actual = fire_times_of("0 9 * * MON-FRI", utc(2026, 3, 6, 12), "America/New_York", count=3)
    assert expected == [fire.astimezone(UTC) for fire in actual]


def test_fire_times_are_aware_in_the_requested_zone() -> None:
    """Results carry the schedule's time zone, whatever zone `after` was given in."""
    after = datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    expected = [
        datetime(2026, 7, 1, 2, 0, tzinfo=BERLIN),
        datetime(2026, 7, 2, 2, 0, tzinfo=BERLIN),
    ]
    assert expected == fire_times_of("0 2 * * *", after, "Europe/Berlin", count=2)


def test_fire_times_of_a_translated_quartz_schedule() -> None:
    """A parsed Quartz schedule fires at its translation's times."""
    schedule = parse_schedule("0 0 8 ? * MON")
    expected = [datetime(2026, 1, 5, 8, tzinfo=NEW_YORK), datetime(2026, 1, 12, 8, tzinfo=NEW_YORK)]
    assert expected == next_fire_times(
        schedule, after=NEW_YEAR_2026, time_zone="America/New_York", count=2
    )


def test_zero_count_gives_no_fire_times() -> None:
    """Asking for no fire times returns an empty list."""
    assert [] == fire_times_of("* * * * *", NEW_YEAR_2026, count=0)


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "europe/berlin", "", "Europe", "../etc/passwd"]
)
def test_refuses_unknown_time_zones(zone: str) -> None:
    """An unknown time zone is a ScheduleError on the timeZone part, suggesting valid names."""
    with pytest.raises(
        ScheduleError, match=r'not an IANA time zone name.*"Europe/Berlin"'
    ) as caught:
        fire_times_of("0 2 * * *", NEW_YEAR_2026, zone)
    assert "timeZone" == caught.value.part


def test_refuses_naive_after() -> None:
    """A naive `after` is ambiguous, so it is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire_times(parse_schedule("0 2 * * *"), after=datetime(2026, 1, 1))
