"""When the single run of a one-shot ScheduledJob (runAt or delay) is due, decided in one place.

The operator starts the run at this time and records it in `status.oneShot.dueTime`; the
client shows it before that record exists. Both compute it here, so the time the client shows
is the time the operator will start the run.
"""

from __future__ import annotations

import datetime

from scheduledjob_api.durations import parse_duration


def due_time(
    run_at: datetime.datetime | None, delay: str | None, created: datetime.datetime | None
) -> datetime.datetime:
    """runAt (in UTC), or the creation time plus delay; ValueError when they name no time."""
    if run_at is not None:
        return run_at.astimezone(datetime.UTC)
    if delay is None:
        message = "due_time() needs a ScheduledJob with runAt or delay"
        raise ValueError(message)
    if created is None:
        message = "due_time() needs the creation time of a ScheduledJob with a delay"
        raise ValueError(message)
    return created + parse_duration(delay)
