"""Builds a ScheduledJob's status from what the cluster shows: its CronJob and its Jobs.

Pure: the reconciler reads the world and hands it in; this decides what status says.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from scheduledjob_api.runs import Run, TerminationSummary, parse_time
from scheduledjob_operator.domain.conditions import timestamp


def _later(*moments: datetime.datetime | None) -> datetime.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def latest_finished(runs: Sequence[Run]) -> Run | None:
    """The run that finished last (by finish time, then name for a stable choice)."""
    finished = [run for run in runs if run.finished]
    if not finished:
        return None
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return max(finished, key=lambda run: (run.finish_time or epoch, run.job_name))


def last_run_status(
    run: Run, *, correlation_prefix: str, summary: TerminationSummary | None
) -> dict[str, Any]:
    """`status.lastRun` for a finished run."""
    last: dict[str, Any] = {
        "jobName": run.job_name,
        "correlationId": run.correlation_id(correlation_prefix),
        "result": run.result,
    }
    if run.start_time is not None:
        last["startTime"] = timestamp(run.start_time)
    if run.finish_time is not None:
        last["completionTime"] = timestamp(run.finish_time)
    if run.start_time is not None and run.finish_time is not None:
        last["durationSeconds"] = round((run.finish_time - run.start_time).total_seconds(), 3)
    if run.result == "Failed":
        if summary is not None and summary.error_type:
            last["errorType"] = summary.error_type
        if run.reason:
            last["reason"] = run.reason
        message = (summary.message if summary is not None else None) or run.message
        if message:
            last["message"] = message
    return last


def run_fields(
    *,
    previous: Mapping[str, Any],
    cron_job: Mapping[str, Any] | None,
    runs: Sequence[Run],
    correlation_prefix: str,
    last_run_summary: TerminationSummary | None,
) -> dict[str, Any]:
    """The status fields that describe runs: active, lastRun, last schedule and success times."""
    cron_status = (cron_job or {}).get("status") or {}
    fields: dict[str, Any] = {
        "active": [
            {
                "jobName": run.job_name,
                "correlationId": run.correlation_id(correlation_prefix),
                **({"startTime": timestamp(run.start_time)} if run.start_time else {}),
            }
            for run in sorted(runs, key=lambda run: run.job_name)
            if not run.finished
        ]
    }
    last_schedule = _later(
        parse_time(cron_status.get("lastScheduleTime")),
        parse_time(previous.get("lastScheduleTime")),
    )
    succeeded = [run.finish_time for run in runs if run.result == "Succeeded"]
    last_success = _later(
        parse_time(cron_status.get("lastSuccessfulTime")),
        parse_time(previous.get("lastSuccessfulTime")),
        *succeeded,
    )
    if last_schedule is not None:
        fields["lastScheduleTime"] = timestamp(last_schedule)
    if last_success is not None:
        fields["lastSuccessfulTime"] = timestamp(last_success)
    latest = latest_finished(runs)
    if latest is not None:
        fields["lastRun"] = last_run_status(
            latest, correlation_prefix=correlation_prefix, summary=last_run_summary
        )
    elif previous.get("lastRun"):
        # Its Job was deleted by history limits or TTL; the record stays.
        fields["lastRun"] = dict(previous["lastRun"])
    return fields
