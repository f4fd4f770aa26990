"""Which fire times of a schedule passed without a run: missed-run detection.

Pure. A CronJob names each run `<cronjob>-<fire time in minutes since the epoch>`, so a fire
time was honoured when a Job with that suffix exists, or when the CronJob's lastScheduleTime
is at or after it (its Job may since have been removed by the history limits). A fire time
counts as missed once `grace` has passed without either. Each fire time is examined once: the
caller keeps the last examined one in `status.lastCheckedFireTime`, so the count survives
operator restarts and never counts a fire time twice.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from basejob import schedules

DEFAULT_GRACE = datetime.timedelta(seconds=60)
MAX_FIRE_TIMES_PER_CHECK = 1000
_FIRE_MINUTE = re.compile(r"-(\d{8,10})$")


@dataclass(frozen=True)
class MissedCheck:
    """What one check found."""

    missed: tuple[datetime.datetime, ...]
    """Fire times with no run, oldest first."""
    last_checked: datetime.datetime | None
    """The newest fire time examined (None when no fire time was due for checking)."""
    latest_honoured: bool | None
    """Whether the newest examined fire time had a run (None when none was examined)."""
    next_check: datetime.datetime | None
    """When the next fire time becomes checkable (its fire time plus grace)."""


def grace_for(starting_deadline_seconds: int | None) -> datetime.timedelta:
    """How late a run may start before its fire time counts as missed.

    startingDeadlineSeconds when set (the CronJob will not start a run later than that),
    otherwise a minute.
    """
    if starting_deadline_seconds is None:
        return DEFAULT_GRACE
    return datetime.timedelta(seconds=starting_deadline_seconds)


def fire_minutes(job_names: Iterable[str]) -> set[int]:
    """The fire times (minutes since the epoch) encoded in CronJob-created Job names."""
    minutes = set()
    for name in job_names:
        match = _FIRE_MINUTE.search(name)
        if match is not None:
            minutes.add(int(match.group(1)))
    return minutes


def _fire_times_through(
    schedule: schedules.CronSchedule,
    *,
    time_zone: str,
    since: datetime.datetime,
    until: datetime.datetime,
) -> list[datetime.datetime]:
    """Fire times after `since` up to `until` (at most the cap), plus the first one after."""
    fires: list[datetime.datetime] = []
    batch = 8
    after = since
    while len(fires) <= MAX_FIRE_TIMES_PER_CHECK:
        found = schedules.next_fire_times(schedule, after=after, time_zone=time_zone, count=batch)
        fires.extend(found)
        if len(found) < batch or found[-1] > until:
            break
        after = found[-1]
        batch = min(batch * 4, MAX_FIRE_TIMES_PER_CHECK)
    return fires


def check(
    schedule: schedules.CronSchedule,
    *,
    time_zone: str,
    since: datetime.datetime,
    now: datetime.datetime,
    started_minutes: set[int],
    last_schedule_time: datetime.datetime | None,
    grace: datetime.timedelta = DEFAULT_GRACE,
) -> MissedCheck:
    """Fire times after `since` and at least `grace` old, each honoured or missed."""
    until = now - grace
    due = _fire_times_through(schedule, time_zone=time_zone, since=since, until=until)
    examined = [fire for fire in due if fire <= until][:MAX_FIRE_TIMES_PER_CHECK]
    upcoming = [fire for fire in due if fire > until]
    missed = []
    for fire in examined:
        minute = int(fire.timestamp()) // 60
        scheduled = last_schedule_time is not None and last_schedule_time >= fire
        if minute not in started_minutes and not scheduled:
            missed.append(fire)
    return MissedCheck(
        missed=tuple(missed),
        last_checked=examined[-1] if examined else None,
        latest_honoured=(examined[-1] not in missed) if examined else None,
        next_check=upcoming[0] + grace if upcoming else None,
    )
