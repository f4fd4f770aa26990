"""Starting the runs of schedules the operator triggers itself, and keeping their history short.

`scheduledruns.decide` says which fire times to start and which to give up; this module turns
that into Jobs (one per fire time, named after it, owned by the ScheduledJob, the fire time in
the run's environment), the status fields that record it, and the deletion of finished runs
beyond the history limits (the CronJob controller does that for CronJob-started runs).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import structlog

from basejob import schedules
from scheduledjob_api import naming
from scheduledjob_api.runs import Run, parse_time
from scheduledjob_api.v1alpha1 import ScheduledJobSpec, ScheduledJobStatus
from scheduledjob_operator.domain import scheduledruns, status
from scheduledjob_operator.domain.conditions import timestamp
from scheduledjob_operator.reconcile.cluster import Cluster
from scheduledjob_operator.reconcile.runstarts import RunStarter

_log = structlog.get_logger(__name__)
OPERATOR: Final = "Operator"


@dataclass(frozen=True)
class ScheduleState:
    """The status fields of an operator-started schedule, and what happened this time."""

    status: ScheduledJobStatus
    requeue_after: float | None
    skipped: tuple[datetime.datetime, ...] = ()
    skipped_count: int = 0
    started: tuple[str, ...] = field(default_factory=tuple)


def excluded_dates(spec: ScheduledJobSpec) -> frozenset[datetime.date]:
    """The local dates on which the schedule does not fire."""
    return frozenset(datetime.date.fromisoformat(day) for day in spec.exclude_dates)


def timing(
    spec: ScheduledJobSpec, schedule: schedules.CronSchedule, *, namespace: str, name: str
) -> scheduledruns.Timing:
    """The schedule, zone, excluded dates and this ScheduledJob's fixed jitter."""
    jitter = schedules.jitter_seconds(f"{namespace}/{name}", spec.jitter_seconds)
    return scheduledruns.Timing(
        schedule=schedule,
        time_zone=spec.time_zone or "UTC",
        excluded_dates=excluded_dates(spec),
        jitter=datetime.timedelta(seconds=jitter),
    )


def misfire_rules(spec: ScheduledJobSpec) -> scheduledruns.MisfireRules:
    """The spec's misfire settings (Quartz's defaults when unset)."""
    if spec.misfire is None:
        return scheduledruns.MisfireRules()
    window = spec.misfire.catch_up_window_seconds
    return scheduledruns.MisfireRules(
        policy=spec.misfire.policy,
        threshold=datetime.timedelta(seconds=spec.misfire.threshold_seconds),
        catch_up_window=None if window is None else datetime.timedelta(seconds=window),
        max_runs=spec.misfire.max_runs,
    )


def _baseline(body: Mapping[str, Any], source: str, now: datetime.datetime) -> datetime.datetime:
    """Fire times after this are ours to handle.

    The recorded lastFireTime while the schedule stays the same; a new or changed schedule (or
    a switch from a CronJob) starts from now; a ScheduledJob never reconciled starts from its
    creation, so runs due while the operator was down are caught up by the misfire policy.
    """
    previous = status.read(body)
    recorded = previous.last_fire_time
    same = previous.scheduled_by == OPERATOR and previous.schedule == source
    if same and recorded is not None:
        return recorded
    if previous.scheduled_by is None:
        return parse_time(body["metadata"].get("creationTimestamp")) or now
    return now


class ScheduleStarter:
    """Starts due runs of operator-started schedules."""

    def __init__(self, cluster: Cluster, starter: RunStarter) -> None:
        self.cluster = cluster
        self.starter = starter

    def run(
        self,
        body: Mapping[str, Any],
        spec: ScheduledJobSpec,
        schedule: schedules.CronSchedule,
        template: Mapping[str, Any],
        *,
        runs: Sequence[Run],
        owner_reference: Mapping[str, Any],
        now: datetime.datetime,
    ) -> ScheduleState:
        """Start what is due, skip what the policy gives up; the status fields and next look."""
        metadata = body["metadata"]
        when = timing(spec, schedule, namespace=metadata["namespace"], name=metadata["name"])
        recorded = ScheduledJobStatus(
            scheduled_by=OPERATOR,
            schedule=schedule.source,
            jitter_offset_seconds=int(when.jitter.total_seconds()),
        )
        baseline = _baseline(body, schedule.source, now)
        if spec.suspend:
            # Fire times while suspended are handled as they pass: resuming starts nothing old.
            handled = ScheduledJobStatus(last_fire_time=max(baseline, now))
            return ScheduleState(status.overlay(recorded, handled), None)
        active = [run for run in runs if not run.finished]
        decision = scheduledruns.decide(
            when,
            misfire_rules(spec),
            last_fire_time=baseline,
            now=now,
            active=bool(active),
            forbid=spec.concurrency_policy == "Forbid",
            replace=spec.concurrency_policy == "Replace",
        )
        if decision.start and spec.concurrency_policy == "Replace":
            for run in active:
                self.cluster.delete_job(metadata["namespace"], run.job_name, run.uid)
        started = tuple(
            self._start(body, template, fire, owner_reference=owner_reference, now=now)
            for fire in decision.start
        )
        handled = ScheduledJobStatus(
            last_fire_time=max(decision.last_fire_time or baseline, baseline),
            last_schedule_time=now if started else None,
            next_schedule_time=decision.next_due,
        )
        self._trim_history(metadata["namespace"], spec, runs)
        requeue = 0.0 if decision.backlog else _seconds_until(decision.next_due, now)
        return ScheduleState(
            status.overlay(recorded, handled),
            requeue,
            decision.skipped,
            decision.skipped_count,
            started=started,
        )

    def _start(
        self,
        body: Mapping[str, Any],
        template: Mapping[str, Any],
        fire: datetime.datetime,
        *,
        owner_reference: Mapping[str, Any],
        now: datetime.datetime,
    ) -> str:
        name = naming.scheduled_run_name(body["metadata"]["name"], fire)
        self.starter.start(
            body,
            template,
            name=name,
            owner_reference=owner_reference,
            kind="scheduled",
            traceparent=None,
            fire_time=timestamp(fire),
            now=now,
        )
        return name

    def _trim_history(self, namespace: str, spec: ScheduledJobSpec, runs: Sequence[Run]) -> None:
        """Delete finished runs beyond successfulRunsHistoryLimit / failedRunsHistoryLimit."""
        limits = {
            "Succeeded": spec.successful_runs_history_limit,
            "Failed": spec.failed_runs_history_limit,
        }
        oldest_first = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        for result, limit in limits.items():
            finished = sorted(
                (run for run in runs if run.result == result),
                key=lambda run: run.finish_time or oldest_first,
            )
            for run in finished[: max(len(finished) - limit, 0)]:
                self.cluster.delete_job(namespace, run.job_name, run.uid)


def _seconds_until(moment: datetime.datetime | None, now: datetime.datetime) -> float | None:
    if moment is None:
        return None
    return max((moment - now).total_seconds(), 0.0)
