"""The status of a valid ScheduledJob: its runs, triggers, one-shot, missed fire times, Ready.

Reads the runs (Jobs), lets the RunStarter act on a trigger token or a due one-shot, checks the
schedule's fire times against the runs that started, then writes the status if it changed and
announces a newly finished run with an Event. Counters move only after the status that
justifies them was written, so a failed write never counts anything twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basejob import schedules
from scheduledjob_api.runs import Run, TerminationSummary, parse_time
from scheduledjob_api.runs import termination_summary as read_termination
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
class Reported:
    """The status written (or kept), and when to look again."""

    status: dict[str, Any]
    requeue_after: float | None
    deleted: bool = False


class RunReporter:
    """Builds and writes the status of a ScheduledJob whose spec is valid."""

    def __init__(self, cluster: Cluster, run_counters: RunCounters | None) -> None:
        self.cluster = cluster
        self.run_counters = run_counters
        self.starter = RunStarter(cluster)
        self.schedule_starter = ScheduleStarter(cluster, self.starter)

    def report(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        cron_job: Mapping[str, Any] | None,
        *,
        runs: list[Run],
        held: str | None = None,
        now: datetime.datetime,
    ) -> Reported:
        """Act on triggers and one-shots, then write the status.

        `runs` are the ScheduledJob's own (owner uids checked); `held` says what keeps its
        CronJob suspended under Forbid, if anything.
        """
        metadata = body["metadata"]
        previous = body.get("status") or {}
        owner = cron_owner(cron_job) if cron_job else owner_reference(wanted.owner)
        trigger = self.starter.trigger(
            body, wanted.spec, wanted.template, runs=runs, owner_reference=owner, now=now
        )
        one_shot: OneShotState | None = None
        scheduled: ScheduleState | None = None
        if wanted.schedule is None:
            one_shot = self.starter.one_shot(
                body, wanted.spec, wanted.template, runs=runs, owner_reference=owner, now=now
            )
            if one_shot.deleted:
                return Reported(dict(previous), None, deleted=True)
        elif cron_job is None:
            scheduled = self.schedule_starter.run(
                body,
                wanted.spec,
                wanted.schedule,
                wanted.template,
                runs=runs,
                owner_reference=owner,
                now=now,
            )
        new_status = self._run_fields(body, wanted, cron_job, runs, held=held, now=now)
        if trigger is not None or previous.get("lastTrigger"):
            new_status["lastTrigger"] = trigger or previous["lastTrigger"]
        requeue: float | None = None
        missed_count = 0
        if one_shot is not None:
            new_status["oneShot"] = one_shot.status
            requeue = one_shot.requeue_after
            if "jobName" not in one_shot.status and not wanted.spec.suspend:
                new_status["nextScheduleTime"] = one_shot.status["dueTime"]
        elif scheduled is not None:
            requeue = scheduled.requeue_after
            missed_count = self._record_schedule(body, wanted, scheduled, new_status, now=now)
        elif cron_job is not None and wanted.schedule is not None:
            missed_count, requeue = self._check_missed(
                body,
                wanted=wanted,
                schedule=wanted.schedule,
                cron_job=cron_job,
                runs=runs,
                new_status=new_status,
                now=now,
            )
        if self.cluster.write_status(body, new_status):
            self._announce_run(body, previous, new_status, now=now)
            key = (metadata["namespace"], metadata["name"])
            if self.run_counters is not None:
                self.run_counters.count_missed(key, missed_count)
        if self.run_counters is not None:
            key = (metadata["namespace"], metadata["name"])
            self.run_counters.count_finished(key, wanted.spec.job.split(":")[-1], runs)
        return Reported(new_status, requeue)

    # -- runs ---------------------------------------------------------------------------------

    def _run_fields(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        cron_job: Mapping[str, Any] | None,
        runs: list[Run],
        *,
        held: str | None,
        now: datetime.datetime,
    ) -> dict[str, Any]:
        metadata = body["metadata"]
        previous = body.get("status") or {}
        generation = int(metadata.get("generation", 0))
        prefix = wanted.spec.context.correlation_id or metadata["name"]
        latest = status.latest_finished(runs)
        fields = status.run_fields(
            previous=previous,
            cron_job=cron_job,
            runs=runs,
            correlation_prefix=prefix,
            last_run_summary=self._termination(body, latest),
        )
        if cron_job is not None:
            name = cron_job["metadata"]["name"]
            reason, message = "CronJobReady", f"CronJob {name} matches the spec"
            if held is not None:
                message += f"; suspended while {held} (concurrencyPolicy Forbid)"
        elif wanted.operator_reason is not None:
            reason = "OperatorScheduled"
            message = f"The operator starts the runs itself: {wanted.operator_reason}"
        else:
            reason, message = "RunsOnce", "The ScheduledJob runs once (runAt or delay)"
        updated = conditions.set_condition(
            previous.get("conditions") or [],
            type_=conditions.SPEC_VALID,
            status=True,
            reason="Valid",
            message="The spec is valid",
            generation=generation,
            now=now,
        )
        updated = conditions.set_condition(
            updated,
            type_=conditions.READY,
            status=True,
            reason=reason,
            message=message,
            generation=generation,
            now=now,
        )
        new_status: dict[str, Any] = {
            "observedGeneration": generation,
            "conditions": updated,
            **fields,
        }
        for kept in ("missedRuns", "lastMissedTime", "lastCheckedFireTime"):
            if kept in previous:
                new_status[kept] = previous[kept]
        if wanted.schedule is not None:
            new_status["nextFireTimes"] = [
                conditions.timestamp(moment)
                for moment in schedules.next_fire_times(
                    wanted.schedule,
                    after=now,
                    time_zone=wanted.spec.time_zone or "UTC",
                    count=NEXT_FIRE_TIMES,
                    excluded_dates=excluded_dates(wanted.spec),
                )
            ]
        if cron_job is not None and wanted.schedule is not None:
            new_status["scheduledBy"] = "CronJob"
            new_status["cronJobName"] = cron_job["metadata"]["name"]
            new_status["schedule"] = wanted.schedule.cron
            if not wanted.spec.suspend:
                upcoming = schedules.next_fire_times(
                    wanted.schedule, after=now, time_zone=wanted.spec.time_zone or "UTC"
                )
                new_status["nextScheduleTime"] = conditions.timestamp(upcoming[0])
        return new_status

    def _termination(
        self, body: Mapping[str, Any], latest: Run | None
    ) -> TerminationSummary | None:
        """The failed latest run's termination message; read once per run, then kept."""
        if latest is None or latest.result != "Failed":
            return None
        previous = (body.get("status") or {}).get("lastRun") or {}
        if previous.get("jobName") == latest.job_name:
            return TerminationSummary(
                error_type=previous.get("errorType"), message=previous.get("message")
            )
        for pod in self.cluster.list_job_pods(body["metadata"]["namespace"], latest.job_name):
            summary = read_termination(pod)
            if summary is not None:
                return summary
        return None

    # -- missed fire times --------------------------------------------------------------------

    def _check_missed(
        self,
        body: Mapping[str, Any],
        *,
        wanted: Plan,
        schedule: schedules.CronSchedule,
        cron_job: Mapping[str, Any],
        runs: list[Run],
        new_status: dict[str, Any],
        now: datetime.datetime,
    ) -> tuple[int, float | None]:
        """Examine fire times that came due; update the status fields; (new misses, requeue)."""
        previous = body.get("status") or {}
        since = max(
            moment
            for moment in (
                parse_time(previous.get("lastCheckedFireTime")),
                parse_time(body["metadata"].get("creationTimestamp")),
                parse_time(cron_job["metadata"].get("creationTimestamp")),
            )
            if moment is not None
        )
        grace = missed.grace_for(wanted.spec.starting_deadline_seconds)
        found = missed.check(
            schedule,
            grace=grace,
            time_zone=wanted.spec.time_zone or "UTC",
            since=since,
            now=now,
            started_minutes=missed.fire_minutes(run.job_name for run in runs),
            last_schedule_time=parse_time((cron_job.get("status") or {}).get("lastScheduleTime")),
        )
        requeue = (found.next_check - now).total_seconds() if found.next_check else None
        if found.last_checked is None:
            return 0, requeue
        new_status["lastCheckedFireTime"] = conditions.timestamp(found.last_checked)
        if wanted.spec.suspend:  # fire times while suspended are not missed
            return 0, requeue
        count = len(found.missed)
        if count:
            new_status["missedRuns"] = int(previous.get("missedRuns", 0)) + count
            new_status["lastMissedTime"] = conditions.timestamp(found.missed[-1])
        latest = conditions.timestamp(found.last_checked)
        if found.latest_honoured:
            state, reason, message = True, "RunStarted", f"The run due at {latest} started"
        else:
            total = new_status.get("missedRuns", 0)
            state, reason = False, "MissedRun"
            message = (
                f"No run started for the fire time {latest} within "
                f"{int(grace.total_seconds())}s ({total} missed since creation); "
                "check the CronJob's events and that kube-controller-manager runs"
            )
        _set_on_schedule(new_status, body, (state, reason, message), now=now)
        return count, requeue

    def _record_schedule(
        self,
        body: Mapping[str, Any],
        wanted: Plan,
        scheduled: ScheduleState,
        new_status: dict[str, Any],
        *,
        now: datetime.datetime,
    ) -> int:
        """The operator-started schedule's fields, skipped fire times and OnSchedule; how many
        fire times were newly skipped."""
        previous = body.get("status") or {}
        new_status.update(scheduled.status)
        if "lastScheduleTime" not in scheduled.status and previous.get("lastScheduleTime"):
            new_status["lastScheduleTime"] = previous["lastScheduleTime"]
        count = scheduled.skipped_count
        if count:
            new_status["missedRuns"] = int(previous.get("missedRuns", 0)) + count
            new_status["lastMissedTime"] = conditions.timestamp(scheduled.skipped[-1])
            policy = wanted.spec.misfire.policy if wanted.spec.misfire else "FireOnceNow"
            state, reason = False, "MissedRun"
            message = (
                f"{count} fire time(s) up to {new_status['lastMissedTime']} got no run "
                f"(misfire policy {policy}; {new_status['missedRuns']} since creation)"
            )
        elif scheduled.started:
            state, reason = True, "RunStarted"
            message = f"Started {', '.join(scheduled.started)}"
        elif not wanted.spec.suspend and "nextScheduleTime" not in scheduled.status:
            # Quartz refuses such a trigger; a ScheduledJob is valid but says it is done.
            state, reason = False, "NoFutureFireTimes"
            message = (
                f"The schedule {scheduled.status['schedule']!r} fires no more (its last fire "
                "time has passed, or every future one is excluded): nothing will run"
            )
        else:
            return 0
        _set_on_schedule(new_status, body, (state, reason, message), now=now)
        return count

    # -- events -------------------------------------------------------------------------------

    def _announce_run(
        self,
        body: Mapping[str, Any],
        previous: Mapping[str, Any],
        new_status: Mapping[str, Any],
        *,
        now: datetime.datetime,
    ) -> None:
        last = new_status.get("lastRun")
        if not last or (previous.get("lastRun") or {}).get("jobName") == last["jobName"]:
            return
        if last["result"] == "Succeeded":
            message = (
                f"Run {last['jobName']} (correlation ID {last['correlationId']}) succeeded"
                f" in {last.get('durationSeconds', '?')}s"
            )
            self.cluster.emit_event(
                body, type_="Normal", reason="RunSucceeded", message=message, now=now
            )
        else:
            cause = last.get("errorType") or last.get("reason") or "an unknown error"
            message = (
                f"Run {last['jobName']} (correlation ID {last['correlationId']}) failed: {cause}"
                + (f": {last['message']}" if last.get("message") else "")
            )
            self.cluster.emit_event(
                body, type_="Warning", reason="RunFailed", message=message, now=now
            )


def _set_on_schedule(
    new_status: dict[str, Any],
    body: Mapping[str, Any],
    condition: tuple[bool, str, str],
    *,
    now: datetime.datetime,
) -> None:
    """Set the OnSchedule condition (status, reason, message) in `new_status`."""
    state, reason, message = condition
    new_status["conditions"] = conditions.set_condition(
        new_status["conditions"],
        type_=ON_SCHEDULE,
        status=state,
        reason=reason,
        message=message,
        generation=int(body["metadata"].get("generation", 0)),
        now=now,
    )
