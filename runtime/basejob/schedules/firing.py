"""Fire times: when a schedule fires after a given instant, in an IANA time zone.

Wall-clock times come from the schedule's `Timetable`; this module places them in the zone
with the DST policy described in the package docstring, and drops excluded dates.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from basejob.schedules import calendars, parsing, timetable
from basejob.schedules.model import CronSchedule, ScheduleError

_SECOND = timedelta(seconds=1)


def fire_times(
    schedule: CronSchedule,
    *,
    after: datetime,
    time_zone: str = "UTC",
    excluded_dates: Collection[date] = (),
) -> Iterator[datetime]:
    """The times `schedule` fires strictly after `after`, lazily, aware, in `time_zone`.

    Skips `excluded_dates` (local dates in `time_zone`). Ends after the schedule's last year,
    or 400 years on for schedules without a year field. Arguments are checked at once.
    """
    if after.utcoffset() is None:
        message = "after must be a timezone-aware datetime, e.g. datetime.now(UTC)"
        raise ValueError(message)
    zone = load_zone(time_zone)
    table = parsing.timetable_of(schedule)
    excluded = calendars.excluded_days(excluded_dates)
    instant = after.astimezone(UTC)
    start = instant.astimezone(zone).replace(tzinfo=None, microsecond=0) + _SECOND
    return _placed(timetable.wall_times(table, start, excluded=excluded), zone, instant)


def next_fire_times(
    schedule: CronSchedule,
    *,
    after: datetime,
    time_zone: str = "UTC",
    count: int = 1,
    excluded_dates: Collection[date] = (),
) -> list[datetime]:
    """The next `count` times `schedule` fires strictly after `after`, aware, in `time_zone`.

    Fewer when the schedule ends (a year field) or excluded dates cover the search horizon.
    """
    if count < 0:
        message = f"count must not be negative, got {count}"
        raise ValueError(message)
    upcoming = fire_times(schedule, after=after, time_zone=time_zone, excluded_dates=excluded_dates)
    return list(itertools.islice(upcoming, count))


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or ScheduleError saying what a valid name looks like."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        message = (
            f'time zone "{name}" is not an IANA time zone name; use one from the tz database '
            'such as "UTC", "Europe/Berlin" or "America/New_York" (names are case-sensitive)'
        )
        raise ScheduleError(message, part="timeZone") from error


def _placed(walls: Iterator[datetime], zone: ZoneInfo, instant: datetime) -> Iterator[datetime]:
    """Wall times as aware fire times after `instant`, by the package's DST policy."""
    for wall in walls:
        fire = _in_zone(wall, zone)
        if fire is not None and fire > instant:
            yield fire


def _in_zone(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """`wall` in `zone` at its first occurrence, or None if a DST gap skips it."""
    aware = wall.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return aware
