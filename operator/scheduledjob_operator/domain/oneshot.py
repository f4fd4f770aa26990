"""When a ScheduledJob with `runAt` or `delay` runs, and what its single run is called.

Pure. Exactly-once rests on two facts kept outside the operator's memory: the run's Job has a
deterministic name (a second create is refused by the API server), and `status.oneShot.jobName`
records it once started (so a run whose Job was since deleted is never started again).
"""

from __future__ import annotations

import datetime

from scheduledjob_api import duetime, naming
from scheduledjob_api.v1alpha1 import ScheduledJobSpec

ONCE_SUFFIX = "once"


def is_one_shot(spec: ScheduledJobSpec) -> bool:
    """Whether the ScheduledJob runs once (runAt or delay) rather than on a schedule."""
    return spec.run_at is not None or spec.delay is not None


def due_time(spec: ScheduledJobSpec, created: datetime.datetime) -> datetime.datetime:
    """When the single run is due: runAt, or creation time plus delay."""
    return duetime.due_time(spec.run_at, spec.delay, created)


def run_name(scheduledjob_name: str) -> str:
    """The single run's Job name (a DNS label, stable for the ScheduledJob)."""
    return f"{naming.cronjob_name(scheduledjob_name)}-{ONCE_SUFFIX}"
