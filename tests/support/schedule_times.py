"""Short ways to write fire-time expectations in the schedule tests."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from basejob.schedules import next_fire_times, parse_schedule


def fire_times_of(
    expression: str,
    after: datetime,
    zone: str = "UTC",
    count: int = 5,
    excluded: Collection[date] = (),
) -> list[datetime]:
    """Fire times of a freshly parsed expression."""
    schedule = parse_schedule(expression)
    return next_fire_times(
        schedule, after=after, time_zone=zone, count=count, excluded_dates=excluded
    )


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    """A UTC datetime (clock is hour, minute, second), for comparing instants unambiguously."""
    hour, minute, second = (*clock, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, *clock: int) -> datetime:
    """A wall-clock datetime in `zone` (first occurrence), clock as for `utc`."""
    return utc(year, month, day, *clock).replace(tzinfo=ZoneInfo(zone))


def in_utc(times: list[datetime]) -> list[datetime]:
    """The same instants in UTC, so that expectations need not know the offsets."""
    return [moment.astimezone(UTC) for moment in times]
