"""Unit tests for excluded dates, the lazy fire-time iterator and per-key jitter."""

from __future__ import annotations

import collections
import itertools
import time
from datetime import date, datetime, timedelta

import pytest

from basejob import schedules
from support.schedule_times import fire_times_of, local, utc

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
CHRISTMAS = [date(2026, 12, 24), date(2026, 12, 25)]


@pytest.mark.parametrize("excluded", [CHRISTMAS, set(CHRISTMAS), tuple(CHRISTMAS)])
def test_excluded_dates_do_not_fire(excluded: list[date] | set[date] | tuple[date, ...]) -> None:
    """Weekdays at 09:00 skip the excluded Thursday and Friday (and the weekend after)."""
    expected = [local(BERLIN, 2026, 12, 28, 9), local(BERLIN, 2026, 12, 29, 9)]
    actual = fire_times_of(
        "0 0 9 ? * MON-FRI", utc(2026, 12, 23, 12), BERLIN, count=2, excluded=excluded
    )
    assert expected == actual


def test_excluded_dates_are_local_dates() -> None:
    """23:00 in New York on an excluded date is skipped, though it is the next day in UTC."""
    expected = [local(NEW_YORK, 2026, 6, 2, 23)]
    actual = fire_times_of(
        "0 0 23 * * ?", utc(2026, 6, 1, 12), NEW_YORK, count=1, excluded=[date(2026, 6, 1)]
    )
    assert expected == actual


@pytest.mark.parametrize(
    ("expression", "excluded"),
    [
        ("0 0 0 1 1 ? 2030", [date(2030, 1, 1)]),
        ("0/10 * * * * ? 2030", [date(2030, 1, 1) + timedelta(days=n) for n in range(365)]),
        ("0 0 0 1 1 ?", [date(year, 1, 1) for year in range(2026, 2500)]),
    ],
)
def test_excluding_every_fire_time_gives_none_quickly(
    expression: str, excluded: list[date]
) -> None:
    """When every fire time is excluded the bounded search ends, returning fewer (none)."""
    started = time.perf_counter()
    actual = fire_times_of(expression, utc(2025, 6, 1), count=3, excluded=excluded)
    assert ([], True) == (actual, time.perf_counter() - started < 1)


def test_excluded_datetimes_are_refused() -> None:
    """A datetime's date depends on a zone, so excluded_dates refuses one."""
    with pytest.raises(TypeError, match="give dates in the schedule's time zone"):
        fire_times_of("0 0 9 * * ?", utc(2026, 1, 1), excluded=[datetime(2026, 1, 2, 9)])


def test_fire_times_is_lazy_and_unbounded_in_count() -> None:
    """fire_times yields fire times one by one, as many as the caller takes."""
    upcoming = schedules.fire_times(
        schedules.parse_schedule("0/3 * * * * ?"), after=utc(2026, 1, 1)
    )
    expected = [utc(2026, 1, 1, 0, 0, 3 * n) for n in range(1, 4)]
    assert expected == list(itertools.islice(upcoming, 3))


@pytest.mark.parametrize(
    ("after", "zone", "error", "fragment"),
    [
        (datetime(2026, 1, 1), "UTC", ValueError, "timezone-aware"),
        (utc(2026, 1, 1), "Mars/Base", schedules.ScheduleError, "IANA"),
    ],
)
def test_fire_times_checks_arguments_at_once(
    after: datetime, zone: str, error: type[Exception], fragment: str
) -> None:
    """Bad arguments fail when fire_times is called, not at the first iteration."""
    schedule = schedules.parse_schedule("0 0 * * *")
    with pytest.raises(error, match=fragment):
        schedules.fire_times(schedule, after=after, time_zone=zone)


def test_negative_count_is_refused() -> None:
    """A negative count is a caller's mistake, not zero fire times."""
    with pytest.raises(ValueError, match="count must not be negative"):
        fire_times_of("0 0 * * *", utc(2026, 1, 1), count=-1)


@pytest.mark.parametrize(
    ("key", "max_seconds", "expected"),
    [
        ("nightly-report", 59, 23),
        ("nightly-report", 300, 133),
        ("nightly-report", 3600, 1366),
        ("team-a/backup", 59, 8),
        ("team-a/backup", 300, 163),
        ("scheduledjob/default/cleanup", 3600, 4),
        ("ünïcode-job", 59, 9),
        ("", 59, 52),
        ("anything", 0, 0),
    ],
)
def test_jitter_is_stable(key: str, max_seconds: int, expected: int) -> None:
    """The same key and maximum give the same delay in every process and Python version."""
    assert expected == schedules.jitter_seconds(key, max_seconds)


@pytest.mark.parametrize("max_seconds", [0, 1, 7, 60, 3600, 86_400])
def test_jitter_stays_within_bounds(max_seconds: int) -> None:
    """Every delay lies in [0, max_seconds]."""
    delays = {schedules.jitter_seconds(f"job-{n}", max_seconds) for n in range(200)}
    assert (True, True) == (min(delays) >= 0, max(delays) <= max_seconds)


def test_jitter_spreads_keys_evenly() -> None:
    """1000 keys over 0-99 s fill each tenth of the range with about a tenth of them."""
    delays = [schedules.jitter_seconds(f"team-{n % 7}/job-{n}", 99) for n in range(1000)]
    per_tenth = collections.Counter(delay // 10 for delay in delays)
    assert set(range(10)) == set(per_tenth)
    assert all(70 <= count <= 130 for count in per_tenth.values()), per_tenth
    assert len(set(delays)) > 90


def test_negative_jitter_maximum_is_refused() -> None:
    """A negative maximum is a mistake, reported at once."""
    with pytest.raises(ValueError, match="max_seconds must not be negative"):
        schedules.jitter_seconds("job", -1)
