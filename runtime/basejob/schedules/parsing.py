"""The front door: tell the dialects apart, check the expression, decide how it runs.

`parse_schedule` is the public entry; `timetable_of` gives the fire-time code the evaluable form
of a `CronSchedule`, parsed once per expression.
"""

from __future__ import annotations

import functools

from basejob.schedules import cronjob, quartz, standard
from basejob.schedules.model import CronSchedule, ScheduleError
from basejob.schedules.timetable import Timetable

_FORMATS = (
    "5 fields (minute hour day-of-month month day-of-week), a macro such as @daily, "
    "or Quartz's 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
)


def parse_schedule(expression: str) -> CronSchedule:
    """Accept a standard or Quartz schedule and say how it runs.

    `cron` is set when a Kubernetes CronJob runs the schedule exactly; otherwise it is None and
    `operator_reason` says why. Raises ScheduleError only when the expression is invalid.
    """
    source = expression.strip()
    standard.reject_time_zone_prefix(source)
    if source.startswith("@"):
        return CronSchedule(source, "standard", standard.check_macro(source))
    texts = source.split()
    if len(texts) == standard.LENGTH:
        return CronSchedule(source, "standard", standard.parse(texts)[0])
    if len(texts) in quartz.LENGTHS:
        quartz.parse(texts)
        cron, reason = cronjob.translate(texts)
        return CronSchedule(source, "quartz", cron, reason)
    if not texts:
        message = f"the schedule is empty; write {_FORMATS}, e.g. 0 2 * * *"
        raise ScheduleError(message, part="expression")
    message = f'schedule "{source}" has {len(texts)} fields; write {_FORMATS}'
    raise ScheduleError(message, part="expression")


def timetable_of(schedule: CronSchedule) -> Timetable:
    """The evaluable form of a schedule built by `parse_schedule`."""
    return _timetable(schedule.source)


@functools.lru_cache(maxsize=256)
def _timetable(source: str) -> Timetable:
    """Parse once per expression: callers ask for fire times of the same schedules again."""
    texts = standard.MACROS.get(source, source).split()
    if len(texts) == standard.LENGTH:
        return standard.parse(texts)[1]
    if len(texts) in quartz.LENGTHS:
        return quartz.parse(texts)
    message = f'schedule "{source}" is not a valid schedule; build schedules with parse_schedule'
    raise ScheduleError(message, part="expression")
