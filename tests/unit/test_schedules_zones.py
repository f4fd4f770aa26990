"""Unit tests for fire times in time zones: one DST policy for both dialects, to the second."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from basejob.schedules import next_fire_times, parse_schedule
from support.schedule_times import fire_times_of, in_utc, local, utc

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Spring forward on 2026-03-29: 02:00-02:59:59 does not exist, so nothing fires then.
        (
            "0/30 * 2 * * ?",
            utc(2026, 3, 28, 12),
            [utc(2026, 3, 30, 0, 0, 0), utc(2026, 3, 30, 0, 0, 30), utc(2026, 3, 30, 0, 1, 0)],
        ),
        (
            "0/30 * * * * ?",
            utc(2026, 3, 29, 0, 59),
            [utc(2026, 3, 29, 0, 59, 30), utc(2026, 3, 29, 1, 0, 0), utc(2026, 3, 29, 1, 0, 30)],
        ),
        # Fall back on 2026-10-25: 02:00-02:59:59 happens twice; only the first (CEST) fires.
        (
            "0/30 * 2 * * ?",
            utc(2026, 10, 25, 0, 59),
            [utc(2026, 10, 25, 0, 59, 30), utc(2026, 10, 26, 1, 0, 0)],
        ),
        (
            "0 0/30 2 * * ?",
            utc(2026, 10, 25, 1, 15),
            [utc(2026, 10, 26, 1, 0), utc(2026, 10, 26, 1, 30)],
        ),
        (
            "0 0/20 * * * ?",
            utc(2026, 10, 25, 0, 30),
            [utc(2026, 10, 25, 0, 40), utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 20)],
        ),
    ],
)
def test_seconds_level_schedules_across_berlin_dst_changes(
    expression: str, after: datetime, expected: list[datetime]
) -> None:
    """Skipped wall times do not fire; repeated ones fire once, at the first occurrence."""
    assert expected == in_utc(fire_times_of(expression, after, BERLIN, count=len(expected)))


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Spring forward on 2026-03-08: 02:00-02:59 EST does not exist.
        ("30 2 * * *", utc(2026, 3, 7, 12), [utc(2026, 3, 9, 6, 30)]),
        ("0 30 2 * * ?", utc(2026, 3, 7, 12), [utc(2026, 3, 9, 6, 30)]),
        ("15 30 2 * * ?", utc(2026, 3, 7, 12), [utc(2026, 3, 9, 6, 30, 15)]),
        # Fall back on 2026-11-01: 01:00-01:59 happens twice; the first (EDT) fires.
        ("59 1 * * *", utc(2026, 10, 31, 12), [utc(2026, 11, 1, 5, 59), utc(2026, 11, 2, 6, 59)]),
        (
            "15 59 1 * * ?",
            utc(2026, 10, 31, 12),
            [utc(2026, 11, 1, 5, 59, 15), utc(2026, 11, 2, 6, 59, 15)],
        ),
        # Quartz days in local time: 09:00 on the last day is 14:00 UTC in EST, 13:00 in EDT.
        ("0 0 9 L * ?", utc(2026, 2, 1), [utc(2026, 2, 28, 14), utc(2026, 3, 31, 13)]),
    ],
)
def test_fire_times_across_new_york_dst_changes(
    expression: str, after: datetime, expected: list[datetime]
) -> None:
    """Both dialects follow New York's wall clock by the same DST policy."""
    assert expected == in_utc(fire_times_of(expression, after, NEW_YORK, count=len(expected)))


@pytest.mark.parametrize(
    ("standard", "quartz"),
    [
        ("30 2 * * *", "0 30 2 * * ?"),
        ("*/20 * * * *", "0 0/20 * * * ?"),
        ("0 * * * *", "0 0 * ? * *"),
    ],
)
@pytest.mark.parametrize("after", [utc(2026, 3, 28, 20), utc(2026, 10, 24, 22)])
def test_dialects_share_the_dst_policy(standard: str, quartz: str, after: datetime) -> None:
    """Around both Berlin DST changes, a standard schedule and its Quartz twin fire alike."""
    expected = fire_times_of(standard, after, BERLIN, count=12)
    assert expected == fire_times_of(quartz, after, BERLIN, count=12)


def test_fire_times_carry_the_schedule_zone() -> None:
    """Quartz fire times are aware in the requested zone, whatever zone `after` was given in."""
    after = datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    expected = [local(BERLIN, 2026, 7, 1, 2, 0, 30), local(BERLIN, 2026, 7, 2, 2, 0, 30)]
    actual = next_fire_times(parse_schedule("30 0 2 * * ?"), after=after, time_zone=BERLIN, count=2)
    assert (expected, [BERLIN, BERLIN]) == (actual, [str(fire.tzinfo) for fire in actual])


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 1, 1, 10, 0, 0), utc(2026, 1, 1, 10, 0, 1)),
        (datetime.fromisoformat("2026-01-01T10:00:00.999999+00:00"), utc(2026, 1, 1, 10, 0, 1)),
        (datetime.fromisoformat("2026-01-01T09:59:59.5+00:00"), utc(2026, 1, 1, 10, 0, 0)),
    ],
)
def test_after_is_exclusive_to_the_second(after: datetime, expected: datetime) -> None:
    """The first fire time is strictly after `after`, even within the same second."""
    assert [expected] == fire_times_of("* * * * * ?", after, count=1)
