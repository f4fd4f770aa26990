"""Schedules of ScheduledJob resources: check them, decide how they run, compute fire times.

Users arrive from two worlds: Kubernetes CronJobs (five-field cron) and Quartz.NET (seconds
first, `?`, `L`, `W`, `#`, an optional year). The operator runs a schedule as a Kubernetes
CronJob when the CronJob controller (robfig/cron v3's standard parser) runs it exactly, and
triggers the runs itself otherwise. This package is the one place that decides:

* `parse_schedule` accepts either dialect with Quartz's full semantics and raises
  `ScheduleError` (naming the offending part and the fix) only for invalid expressions. The
  result's `cron` is the CronJob expression, or None with `operator_reason` saying why.
* `fire_times` (lazy) and `next_fire_times` compute when any schedule fires, to the second,
  in an IANA time zone, optionally skipping excluded local dates.
* `jitter_seconds` gives a stable per-key delay to spread schedules that fire together.

It lives in the runtime because both sides need it: the operator validates and translates
schedules, the runtime tells a job its next fire time. It uses the standard library only.

Time zones and daylight saving time, one policy for both dialects and every resolution:
fire times follow the wall clock of the schedule's zone. A wall time that a spring-forward
gap skips does not fire (`30 2 * * *` in Berlin does not run on the day clocks jump from
02:00 to 03:00; `0/30 * 2 * * ?` fires nothing that day). A wall time that a fall-back
change repeats fires once, at its first occurrence (still on summer time). The CronJob
controller skips gaps too; for a repeated time it may start a second run (see the API
reference), which this package does not report.

Decisions:

* Macros (`@daily`, ...) stay in `CronSchedule.cron` as written: Kubernetes accepts them.
* Day-of-week 7 (Sunday) is accepted in standard expressions, but robfig/cron rejects it, so
  `CronSchedule.cron` says 0 instead.
* A schedule that can never fire (30 February, 31W in April only, a year without a match) is
  invalid. One that has fired its last time (`0 15 10 * * ? 2005`) is valid and has no more
  fire times (the operator reports that as `OnSchedule=False`, reason `NoFutureFireTimes`).
* Without a year field the search looks 400 years ahead (a full Gregorian cycle).

Layout: `model` (the values), `fields` (items of a field), `days` (day rules with L, W, #),
`standard` and `quartz` (the dialects), `cronjob` (translation), `timetable` (wall times in
order), `firing` (time zones), `calendars` (excluded dates), `jitter`.
"""

from basejob.schedules.firing import fire_times, next_fire_times
from basejob.schedules.jitter import jitter_seconds
from basejob.schedules.model import CronSchedule, ScheduleError
from basejob.schedules.parsing import parse_schedule

__all__ = [
    "CronSchedule",
    "ScheduleError",
    "fire_times",
    "jitter_seconds",
    "next_fire_times",
    "parse_schedule",
]
