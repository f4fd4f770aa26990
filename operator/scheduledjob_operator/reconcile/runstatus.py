"""The status of a valid ScheduledJob: its runs, triggers, one-shot, missed fire times, Ready.

Three steps, which the reconciler calls in turn: start the runs that are due (a trigger token,
a due one-shot, an operator-started schedule's fire times), build the status as a
`ScheduledJobStatus` from the runs (Jobs) and the schedule's fire times, and, once the
reconciler has written it, announce a newly finished run with an Event and move the counters.
Counters move only after the status that justifies them was written, so a failed write never
counts anything twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basejob import schedules
from scheduledjob_api.runs import Run, TerminationSummary, parse_time
from scheduledjob_api.runs import termination_summary as read_termination
from scheduledjob_api.v1alpha1 import Condition, LastRun, ScheduledJobStatus, TriggerRecord
from scheduledjob_operator.domain import conditions, missed, status
from scheduledjob_operator.domain.builders.owners import cron_owner, owner_reference
from scheduledjob_operator.domain.planning import Plan
from scheduledjob_operator.reconcile.cluster import Cluster
from scheduledjob_operator.reconcile.runstarts import OneShotState, RunStarter
from scheduledjob_operator.reconcile.schedulestarts import (
    ScheduleStarter,
    ScheduleState,
    excluded_dates,
)
from scheduledjob_operator.telemetry.run_metrics import RunCounters

ON_SCHEDULE = "OnSchedule"
NEXT_FIRE_TIMES = 5


@dataclass(frozen=True)
class Started:
    """What starting the due runs did: a trigger acted on, the one-shot, the schedule's runs."""

    trigger: TriggerRecord | None = None
    one_shot: OneShotState | None = None
    scheduled: ScheduleState | None = None

    @property
    def deleted(self) -> bool:
        """The one-shot's ScheduledJob deleted itself after its run (ttlSecondsAfterRun)."""
        return self.one_shot is not None and self.one_shot.deleted


@dataclass(frozen=True)
class Reported:
    """The status to write (and the one it replaces), when to look again, and the fire times
    newly found missed."""

    previous: ScheduledJobStatus
    status: ScheduledJobStatus
    requeue_after: float | None
    missed_count: int = 0


class RunReporter:
    """Starts the due runs of a ScheduledJob whose spec is valid, and builds its status."""

    def __init__(self, cluster: Cluster, run_counters: RunCounters | None) -> None:
        self.cluster = cluster
        self.run_counters = run_counters
        self.starter = RunStarter(cluster)
        self.schedule_starter = ScheduleStarter(cluster, self.starter)

    def start_due_runs(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        cron_job: Mapping[str, Any] | None,
        *,
        runs: list[Run],
        now: datetime.datetime,
    ) -> Started:
        """Create the Jobs now due: a new trigger token's, the one-shot's, and (without a
        CronJob) the schedule's; `runs` are the ScheduledJob's own (owner uids checked)."""
        owner = cron_owner(cron_job) if cron_job else owner_reference(wanted.owner)
        trigger = self.starter.trigger(
            body, wanted.spec, wanted.template, runs=runs, owner_reference=owner, now=now
        )
        if wanted.schedule is None:
            one_shot = self.starter.one_shot(
                body, wanted.spec, wanted.template, runs=runs, owner_reference=owner, now=now
            )
            return Started(trigger, one_shot=one_shot)
        if cron_job is None:
            scheduled = self.schedule_starter.run(
                body,
                wanted.spec,
                wanted.schedule,
                wanted.template,
                runs=runs,
                owner_reference=owner,
                now=now,
            )
            return Started(trigger, scheduled=scheduled)
        return Started(trigger)

    def build_status(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        cron_job: Mapping[str, Any] | None,
        started: Started,
        *,
        runs: list[Run],
        held: str | None = None,
        now: datetime.datetime,
    ) -> Reported:
        """The status after `started`; `held` says what keeps the CronJob suspended under
        Forbid, if anything."""
        previous = status.read(body)
        generation = int(body["metadata"].get("generation", 0))
        new_status = self._run_fields(body, previous, wanted, cron_job, runs, held=held, now=now)
        last_trigger = started.trigger or previous.last_trigger
        new_status = status.overlay(new_status, ScheduledJobStatus(last_trigger=last_trigger))
        if started.one_shot is not None:
            one_shot = _one_shot_fields(started.one_shot, wanted)
            requeue = started.one_shot.requeue_after
            return Reported(previous, status.overlay(new_status, one_shot), requeue)
        if started.scheduled is not None:
            recorded, count = self._record_schedule(
                previous, wanted, started.scheduled, new_status, generation=generation, now=now
            )
            return Reported(previous, recorded, started.scheduled.requeue_after, count)
        if cron_job is not None and wanted.schedule is not None:
            checked, count, requeue = self._check_missed(
                body,
                previous,
                wanted=wanted,
                schedule=wanted.schedule,
                cron_job=cron_job,
                runs=runs,
                new_status=new_status,
                now=now,
            )
            return Reported(previous, checked, requeue, count)
        return Reported(previous, new_status, None)

    def after_write(
        self,
        body: Mapping[str, Any],
        reported: Reported,
        *,
        written: bool,
        wanted: Plan,
        runs: list[Run],
        now: datetime.datetime,
    ) -> None:
        """Announce a newly finished run and count missed fire times, if the status was
        written; count finished runs either way."""
        metadata = body["metadata"]
        key = (metadata["namespace"], metadata["name"])
        if written:
            self._announce_run(body, reported.previous, reported.status, now=now)
            if self.run_counters is not None:
                self.run_counters.count_missed(key, reported.missed_count)
        if self.run_counters is not None:
            self.run_counters.count_finished(key, wanted.spec.job.split(":")[-1], runs)

    # -- runs ---------------------------------------------------------------------------------

    def _run_fields(
        self,
        body: Mapping[str, Any],
        previous: ScheduledJobStatus,
        wanted: Plan,
        cron_job: Mapping[str, Any] | None,
        runs: list[Run],
        *,
        held: str | None,
        now: datetime.datetime,
    ) -> ScheduledJobStatus:
        """Conditions, runs, missed-run bookkeeping and fire times, for a valid spec."""
        metadata = body["metadata"]
        generation = int(metadata.get("generation", 0))
        prefix = wanted.spec.context.correlation_id or metadata["name"]
        latest = status.latest_finished(runs)
        fields = status.run_fields(
            previous=previous,
            cron_job=cron_job,
            runs=runs,
            correlation_prefix=prefix,
            last_run_summary=self._termination(previous.last_run, body, latest),
        )
        reason, message = _ready(wanted, cron_job, held)
        valid_and_ready = ScheduledJobStatus(
            observed_generation=generation,
            conditions=_valid_and_ready(previous, reason, message, generation, now=now),
        )
        return status.overlay(
            valid_and_ready,
            fields,
            status.missed_record(previous),
            _fire_times(wanted, now),
            _cron_job_fields(wanted, cron_job, now),
        )

    def _termination(
        self, previous: LastRun | None, body: Mapping[str, Any], latest: Run | None
    ) -> TerminationSummary | None:
        """The failed latest run's termination message; read once per run, then kept."""
        if latest is None or latest.result != "Failed":
            return None
        if previous is not None and previous.job_name == latest.job_name:
            return TerminationSummary(error_type=previous.error_type, message=previous.message)
        for pod in self.cluster.list_job_pods(body["metadata"]["namespace"], latest.job_name):
            summary = read_termination(pod)
            if summary is not None:
                return summary
        return None

    # -- missed fire times --------------------------------------------------------------------

    def _check_missed(
        self,
        body: Mapping[str, Any],
        previous: ScheduledJobStatus,
        *,
        wanted: Plan,
        schedule: schedules.CronSchedule,
        cron_job: Mapping[str, Any],
        runs: list[Run],
        new_status: ScheduledJobStatus,
        now: datetime.datetime,
    ) -> tuple[ScheduledJobStatus, int, float | None]:
        """Examine the CronJob's fire times that came due: the status with what was found,
        how many were newly missed, and when to look again."""
        grace = missed.grace_for(wanted.spec.starting_deadline_seconds)
        found = missed.check(
            schedule,
            grace=grace,
            time_zone=wanted.spec.time_zone or "UTC",
            since=_checked_since(body, previous, cron_job),
            now=now,
            started_minutes=missed.fire_minutes(run.job_name for run in runs),
            last_schedule_time=parse_time((cron_job.get("status") or {}).get("lastScheduleTime")),
        )
        requeue = (found.next_check - now).total_seconds() if found.next_check else None
        if found.last_checked is None:
            return new_status, 0, requeue
        checked = ScheduledJobStatus(last_checked_fire_time=found.last_checked)
        new_status = status.overlay(new_status, checked)
        if wanted.spec.suspend:  # fire times while suspended are not missed
            return new_status, 0, requeue
        count = len(found.missed)
        if count:
            new_status = status.overlay(new_status, _missed(previous, count, found.missed[-1]))
        on_schedule = _cron_on_schedule(
            bool(found.latest_honoured), found.last_checked, grace, new_status.missed_runs
        )
        generation = int(body["metadata"].get("generation", 0))
        return _set_on_schedule(new_status, on_schedule, generation, now=now), count, requeue

    def _record_schedule(
        self,
        previous: ScheduledJobStatus,
        wanted: Plan,
        scheduled: ScheduleState,
        new_status: ScheduledJobStatus,
        *,
        generation: int,
        now: datetime.datetime,
    ) -> tuple[ScheduledJobStatus, int]:
        """The operator-started schedule's fields, skipped fire times and OnSchedule; how many
        fire times were newly skipped."""
        new_status = status.overlay(new_status, scheduled.status)
        count = scheduled.skipped_count
        if count:
            new_status = status.overlay(new_status, _missed(previous, count, scheduled.skipped[-1]))
            policy = wanted.spec.misfire.policy if wanted.spec.misfire else "FireOnceNow"
            state, reason = False, "MissedRun"
            message = (
                f"{count} fire time(s) up to {conditions.timestamp(scheduled.skipped[-1])} got "
                f"no run (misfire policy {policy}; {new_status.missed_runs} since creation)"
            )
        elif scheduled.started:
            state, reason = True, "RunStarted"
            message = f"Started {', '.join(scheduled.started)}"
        elif not wanted.spec.suspend and scheduled.status.next_schedule_time is None:
            # Quartz refuses such a trigger; a ScheduledJob is valid but says it is done.
            state, reason = False, "NoFutureFireTimes"
            message = (
                f"The schedule {scheduled.status.schedule!r} fires no more (its last fire "
                "time has passed, or every future one is excluded): nothing will run"
            )
        else:
            return new_status, 0
        on_schedule = (state, reason, message)
        return _set_on_schedule(new_status, on_schedule, generation, now=now), count

    # -- events -------------------------------------------------------------------------------

    def _announce_run(
        self,
        body: Mapping[str, Any],
        previous: ScheduledJobStatus,
        new_status: ScheduledJobStatus,
        *,
        now: datetime.datetime,
    ) -> None:
        last = new_status.last_run
        if last is None or (previous.last_run and previous.last_run.job_name == last.job_name):
            return
        run = f"Run {last.job_name} (correlation ID {last.correlation_id})"
        if last.result == "Succeeded":
            duration = "?" if last.duration_seconds is None else last.duration_seconds
            message = f"{run} succeeded in {duration}s"
            self.cluster.emit_event(
                body, type_="Normal", reason="RunSucceeded", message=message, now=now
            )
        else:
            cause = last.error_type or last.reason or "an unknown error"
            message = f"{run} failed: {cause}" + (f": {last.message}" if last.message else "")
            self.cluster.emit_event(
                body, type_="Warning", reason="RunFailed", message=message, now=now
            )


def _ready(wanted: Plan, cron_job: Mapping[str, Any] | None, held: str | None) -> tuple[str, str]:
    """The Ready condition's reason and message for a valid spec: who starts the runs."""
    if cron_job is not None:
        name = cron_job["metadata"]["name"]
        message = f"CronJob {name} matches the spec"
        if held is not None:
            message += f"; suspended while {held} (concurrencyPolicy Forbid)"
        return "CronJobReady", message
    if wanted.operator_reason is not None:
        return "OperatorScheduled", f"The operator starts the runs itself: {wanted.operator_reason}"
    return "RunsOnce", "The ScheduledJob runs once (runAt or delay)"


def _valid_and_ready(
    previous: ScheduledJobStatus,
    reason: str,
    message: str,
    generation: int,
    *,
    now: datetime.datetime,
) -> list[Condition]:
    """The conditions of `previous` with SpecValid and Ready set True."""
    updated = conditions.set_condition(
        previous.conditions,
        type_=conditions.SPEC_VALID,
        status=True,
        reason="Valid",
        message="The spec is valid",
        generation=generation,
        now=now,
    )
    return conditions.set_condition(
        updated,
        type_=conditions.READY,
        status=True,
        reason=reason,
        message=message,
        generation=generation,
        now=now,
    )


def _fire_times(wanted: Plan, now: datetime.datetime) -> ScheduledJobStatus:
    """`nextFireTimes`, for a spec with a schedule."""
    if wanted.schedule is None:
        return ScheduledJobStatus()
    upcoming = schedules.next_fire_times(
        wanted.schedule,
        after=now,
        time_zone=wanted.spec.time_zone or "UTC",
        count=NEXT_FIRE_TIMES,
        excluded_dates=excluded_dates(wanted.spec),
    )
    return ScheduledJobStatus(next_fire_times=list(upcoming))


def _cron_job_fields(
    wanted: Plan, cron_job: Mapping[str, Any] | None, now: datetime.datetime
) -> ScheduledJobStatus:
    """The fields of a schedule a CronJob starts: its name, schedule and next fire time."""
    if cron_job is None or wanted.schedule is None:
        return ScheduledJobStatus()
    next_time = None
    if not wanted.spec.suspend:
        upcoming = schedules.next_fire_times(
            wanted.schedule, after=now, time_zone=wanted.spec.time_zone or "UTC"
        )
        next_time = upcoming[0]
    return ScheduledJobStatus(
        scheduled_by="CronJob",
        cron_job_name=cron_job["metadata"]["name"],
        schedule=wanted.schedule.cron,
        next_schedule_time=next_time,
    )


def _one_shot_fields(one_shot: OneShotState, wanted: Plan) -> ScheduledJobStatus:
    """`oneShot`, and `nextScheduleTime` while the run is still to start."""
    due = one_shot.status.due_time
    waiting = one_shot.status.job_name is None and not wanted.spec.suspend
    return ScheduledJobStatus(one_shot=one_shot.status, next_schedule_time=due if waiting else None)


def _cron_on_schedule(
    honoured: bool, checked: datetime.datetime, grace: datetime.timedelta, total: int
) -> tuple[bool, str, str]:
    """OnSchedule (status, reason, message) for the CronJob's latest fire time checked."""
    latest = conditions.timestamp(checked)
    if honoured:
        return True, "RunStarted", f"The run due at {latest} started"
    message = (
        f"No run started for the fire time {latest} within {int(grace.total_seconds())}s "
        f"({total} missed since creation); check the CronJob's events and that "
        "kube-controller-manager runs"
    )
    return False, "MissedRun", message


def _checked_since(
    body: Mapping[str, Any], previous: ScheduledJobStatus, cron_job: Mapping[str, Any]
) -> datetime.datetime:
    """Fire times after this are still to check: the last checked, or the later creation."""
    return max(
        moment
        for moment in (
            previous.last_checked_fire_time,
            parse_time(body["metadata"].get("creationTimestamp")),
            parse_time(cron_job["metadata"].get("creationTimestamp")),
        )
        if moment is not None
    )


def _missed(
    previous: ScheduledJobStatus, count: int, latest: datetime.datetime
) -> ScheduledJobStatus:
    """`count` more fire times without a run, the latest at `latest`."""
    return ScheduledJobStatus(missed_runs=previous.missed_runs + count, last_missed_time=latest)


def _set_on_schedule(
    new_status: ScheduledJobStatus,
    condition: tuple[bool, str, str],
    generation: int,
    *,
    now: datetime.datetime,
) -> ScheduledJobStatus:
    """`new_status` with the OnSchedule condition (status, reason, message) set."""
    state, reason, message = condition
    updated = conditions.set_condition(
        new_status.conditions,
        type_=ON_SCHEDULE,
        status=state,
        reason=reason,
        message=message,
        generation=generation,
        now=now,
    )
    return status.overlay(new_status, ScheduledJobStatus(conditions=updated))
