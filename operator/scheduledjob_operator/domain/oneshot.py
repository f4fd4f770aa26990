"""When a ScheduledJob with `runAt` or `delay` runs, and what its single run is called.

Pure. Exactly-once rests on two facts kept outside the operator's memory: the run's Job has a
deterministic name (a second create is refused by the API server), and `status.oneShot.jobName`
records it once started (so a run whose Job was since deleted is never started again).
"""

from __future__ import annotations

import datetime
import re

from scheduledjob_api import naming
from scheduledjob_api.v1alpha1 import ScheduledJobSpec

_DURATION_PART = re.compile(r"(\d+)([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
ONCE_SUFFIX = "once"


def parse_duration(text: str) -> datetime.timedelta:
    """A Go-style duration (`90s`, `10m`, `1h30m`); ValueError names what is wrong."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        message = f"{text!r} is not a duration like 90s, 10m or 1h30m"
        raise ValueError(message)
    return datetime.timedelta(
        seconds=sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    )


def is_one_shot(spec: ScheduledJobSpec) -> bool:
    """Whether the ScheduledJob runs once (runAt or delay) rather than on a schedule."""
    return spec.run_at is not None or spec.delay is not None


def due_time(spec: ScheduledJobSpec, created: datetime.datetime) -> datetime.datetime:
    """When the single run is due: runAt, or creation time plus delay."""
    if spec.run_at is not None:
        return spec.run_at.astimezone(datetime.UTC)
    if spec.delay is None:
        message = "due_time() needs a ScheduledJob with runAt or delay"
        raise ValueError(message)
    return created + parse_duration(spec.delay)


def run_name(scheduledjob_name: str) -> str:
    """The single run's Job name (a DNS label, stable for the ScheduledJob)."""
    return f"{naming.cronjob_name(scheduledjob_name)}-{ONCE_SUFFIX}"
