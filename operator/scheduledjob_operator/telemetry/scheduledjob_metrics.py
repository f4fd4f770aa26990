"""Per-ScheduledJob gauges on the operator's /metrics: facts that only the operator knows.

The runtime pushes a run's metrics to the Pushgateway when the run ends, so nothing it sends
can say that a job never ran, is overdue, is stuck or is suspended. The operator can: every
reconcile reads the ScheduledJob and reports its status. This module turns that into gauges
labelled `namespace` and `scheduledjob`, for alert rules (a dead man's switch) and dashboards.

`snapshot` is pure: the reconciler hands in the object and the status it just reported, and
stores the result in a `ScheduledJobCollector` with `update`; `forget` drops an object's series
when it is deleted. The collector builds its metric families from the snapshots on each scrape,
so a deleted ScheduledJob's series disappear instead of keeping their last values.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from basejob import schedules
from scheduledjob_api.runs import parse_time
from scheduledjob_api.v1alpha1 import ScheduledJobStatus

Key = tuple[str, str]
"""A ScheduledJob's (namespace, name)."""

INTERVAL_HORIZON = datetime.timedelta(days=400)
"""How far ahead fire times are looked at: a year and a bit, so yearly patterns show."""
INTERVAL_MAX_FIRES = 2000
"""At most this many fire times are computed (every minute: about 33 hours' worth)."""
_FIRST_BATCH = 8  # fire times asked for at first; doubled while more are needed
_ONE_GAP = 2  # fire times that make a gap


@dataclass(frozen=True, kw_only=True)
class ScheduledJobSnapshot:
    """What the gauges say about one ScheduledJob; None means the sample is absent."""

    job: str
    """spec.job."""
    schedule: str
    """spec.schedule as written."""
    time_zone: str
    """spec.timeZone, or UTC when unset."""
    suspended: bool
    """spec.suspend."""
    expected_interval_seconds: float | None
    """The longest gap between consecutive fire times; None if the schedule is unknown."""
    last_success_timestamp_seconds: float | None
    """When the last successful run finished, else when the ScheduledJob was created."""
    next_run_timestamp_seconds: float | None
    """status.nextScheduleTime; None while suspended or unknown."""
    active_runs: int
    """How many runs have started and not finished (status.active)."""
    oldest_active_run_start_timestamp_seconds: float | None
    """When the oldest active run started; None while no run is active."""
    last_run_failed: bool
    """Whether the last finished run (status.lastRun) failed."""


def longest_interval(
    schedule: schedules.CronSchedule,
    *,
    after: datetime.datetime,
    time_zone: str = "UTC",
    horizon: datetime.timedelta = INTERVAL_HORIZON,
    max_fires: int = INTERVAL_MAX_FIRES,
) -> float | None:
    """The longest gap, in seconds, between consecutive times `schedule` fires after `after`.

    Looks at the fire times within `horizon` plus the first one past it (so a schedule rarer
    than the horizon still has a gap), at most `max_fires` of them: a schedule that fires more
    often than that before its longest gap comes (every minute on weekdays only) gets a lower
    bound. None when it fires fewer than twice. Raises ScheduleError for an unknown time zone.
    """
    end = after + horizon
    fires: list[datetime.datetime] = []
    batch = _FIRST_BATCH
    while len(fires) < max_fires and (len(fires) < _ONE_GAP or fires[-1] <= end):
        wanted = min(batch, max_fires - len(fires))
        start = fires[-1] if fires else after
        found = schedules.next_fire_times(schedule, after=start, time_zone=time_zone, count=wanted)
        fires.extend(found)
        if len(found) < wanted:  # the schedule fires no more within its 400-year horizon
            break
        batch *= 2
    inside = sum(1 for fire in fires if fire <= end)
    kept = fires[: max(inside + 1, _ONE_GAP)]
    # Timestamps, not datetime subtraction: that ignores a DST change within one zone.
    gaps = [later.timestamp() - earlier.timestamp() for earlier, later in itertools.pairwise(kept)]
    return max(gaps, default=None)


def snapshot(
    body: Mapping[str, Any],
    status: ScheduledJobStatus,
    now: datetime.datetime,
    *,
    schedule: schedules.CronSchedule | None = None,
) -> ScheduledJobSnapshot | None:
    """The gauges' values for a ScheduledJob, from its object and the status just reported.

    `schedule` is spec.schedule parsed, when the caller has it (`reconcile.plan` does).
    None for an object being deleted: its series should go.
    """
    metadata = body.get("metadata") or {}
    if metadata.get("deletionTimestamp"):
        return None
    spec = body.get("spec") or {}
    suspended = bool(spec.get("suspend", False))
    starts = [run.start_time for run in status.active if run.start_time is not None]
    last_success = status.last_successful_time or parse_time(metadata.get("creationTimestamp"))
    next_run = None if suspended else status.next_schedule_time
    return ScheduledJobSnapshot(
        job=str(spec.get("job") or ""),
        schedule=str(spec.get("schedule") or ""),
        time_zone=str(spec.get("timeZone") or "UTC"),
        suspended=suspended,
        expected_interval_seconds=_expected_interval(spec, status, now, schedule),
        last_success_timestamp_seconds=_seconds(last_success),
        next_run_timestamp_seconds=_seconds(next_run),
        active_runs=len(status.active),
        oldest_active_run_start_timestamp_seconds=_seconds(min(starts, default=None)),
        last_run_failed=status.last_run is not None and status.last_run.result == "Failed",
    )


def _seconds(moment: datetime.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _expected_interval(
    spec: Mapping[str, Any],
    status: ScheduledJobStatus,
    now: datetime.datetime,
    parsed: schedules.CronSchedule | None,
) -> float | None:
    """The schedule's longest gap; for an invalid spec, that of the schedule still running.

    An invalid spec leaves the CronJob on the last valid one, whose schedule status keeps; an
    unknown time zone is replaced by UTC, which moves gaps by at most a DST hour or skipped day.
    """
    schedule = parsed or _running_schedule(spec, status)
    if schedule is None:
        return None
    day = now.astimezone(datetime.UTC).date()
    try:
        return _daily_interval(schedule, str(spec.get("timeZone") or "UTC"), day)
    except schedules.ScheduleError:
        return _daily_interval(schedule, "UTC", day)


@functools.lru_cache(maxsize=4096)
def _daily_interval(
    schedule: schedules.CronSchedule, time_zone: str, day: datetime.date
) -> float | None:
    """`longest_interval` from the start of `day`, computed once a day per schedule and zone.

    Reconciles of a sub-minute schedule come several times per fire time; walking its next
    2000 fire times each time would be most of the operator's CPU for such schedules (precision
    benchmark), and a horizon of 400 days does not care which hour of the day it starts.
    """
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    return longest_interval(schedule, after=start, time_zone=time_zone)


def _running_schedule(
    spec: Mapping[str, Any], status: ScheduledJobStatus
) -> schedules.CronSchedule | None:
    """spec.schedule parsed or, when it does not parse, status.schedule (the CronJob's)."""
    for text in (spec.get("schedule"), status.schedule):
        if not isinstance(text, str):
            continue
        try:
            return schedules.parse_schedule(text)
        except schedules.ScheduleError:
            continue
    return None


_IDENTITY = ("namespace", "scheduledjob")
_INFO = "scheduledjob_info"
_INFO_HELP = (
    "Always 1. Labels say what a ScheduledJob runs and when: job (spec.job), schedule "
    "(spec.schedule as written) and time_zone (spec.timeZone, UTC when unset)."
)
_Value = Callable[[ScheduledJobSnapshot], float | None]
_GAUGES: tuple[tuple[str, str, _Value], ...] = (
    (
        "scheduledjob_suspended",
        "1 while the ScheduledJob is suspended (spec.suspend), else 0.",
        lambda values: float(values.suspended),
    ),
    (
        "scheduledjob_expected_interval_seconds",
        "Longest gap between consecutive fire times of the schedule in its time zone, over the "
        "next 400 days (at most 2000 fire times). Absent when the schedule is unknown.",
        lambda values: values.expected_interval_seconds,
    ),
    (
        "scheduledjob_last_success_timestamp_seconds",
        "Unix time the last successful run finished (status.lastSuccessfulTime); until the "
        "first success, the ScheduledJob's creation time, so the dead man's switch "
        "time() - scheduledjob_last_success_timestamp_seconds > 2 * "
        "scheduledjob_expected_interval_seconds also fires for a job that never succeeded.",
        lambda values: values.last_success_timestamp_seconds,
    ),
    (
        "scheduledjob_next_run_timestamp_seconds",
        "Unix time of the next scheduled run (status.nextScheduleTime). Absent while "
        "suspended or unknown.",
        lambda values: values.next_run_timestamp_seconds,
    ),
    (
        "scheduledjob_active_runs",
        "Runs (Jobs) started and not yet finished (status.active).",
        lambda values: float(values.active_runs),
    ),
    (
        "scheduledjob_oldest_active_run_start_timestamp_seconds",
        "Unix time the oldest active run started. Absent while no run is active.",
        lambda values: values.oldest_active_run_start_timestamp_seconds,
    ),
    (
        "scheduledjob_last_run_failed",
        "1 when the last finished run (status.lastRun) failed, else 0 (also 0 before any run).",
        lambda values: float(values.last_run_failed),
    ),
)


def _families() -> tuple[GaugeMetricFamily, list[GaugeMetricFamily]]:
    info = GaugeMetricFamily(_INFO, _INFO_HELP, labels=[*_IDENTITY, "job", "schedule", "time_zone"])
    gauges = [GaugeMetricFamily(name, text, labels=list(_IDENTITY)) for name, text, _ in _GAUGES]
    return info, gauges


class ScheduledJobCollector:
    """The latest snapshot of every ScheduledJob, exposed as gauges when scraped.

    Thread-safe: reconciles update it from worker threads while the HTTP server collects.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[Key, ScheduledJobSnapshot] = {}

    def update(self, key: Key, values: ScheduledJobSnapshot) -> None:
        """Replace what the gauges say about the ScheduledJob `key`."""
        with self._lock:
            self._snapshots[key] = values

    def forget(self, key: Key) -> None:
        """Drop the ScheduledJob `key`'s series (it is gone); unknown keys are ignored."""
        with self._lock:
            self._snapshots.pop(key, None)

    def keys(self) -> frozenset[Key]:
        """The ScheduledJobs that have series."""
        with self._lock:
            return frozenset(self._snapshots)

    def describe(self) -> Iterator[Metric]:
        """The families without samples, so registering these names twice fails at once."""
        info, gauges = _families()
        return iter([info, *gauges])

    def collect(self) -> Iterator[Metric]:
        """One family per gauge, one sample per ScheduledJob whose value is known."""
        with self._lock:
            items = sorted(self._snapshots.items())
        info, gauges = _families()
        for (namespace, name), values in items:
            info.add_metric([namespace, name, values.job, values.schedule, values.time_zone], 1.0)
            for family, (_, _, value_of) in zip(gauges, _GAUGES, strict=True):
                value = value_of(values)
                if value is not None:
                    family.add_metric([namespace, name], value)
        return iter([info, *gauges])
