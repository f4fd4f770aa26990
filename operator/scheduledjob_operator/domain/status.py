"""Builds a ScheduledJob's status from what the cluster shows: its CronJob and its Jobs.

Pure: the reconciler reads the world and hands it in; this decides what status says. The
status is a `ScheduledJobStatus` throughout, assembled from parts (each a status with only the
fields it decides set) and serialised once, where the reconciler writes it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from scheduledjob_api.runs import Run, TerminationSummary, parse_time
from scheduledjob_api.v1alpha1 import LastRun, RunReference, ScheduledJobStatus


def read(body: Mapping[str, Any]) -> ScheduledJobStatus:
    """The status the object carries; a field that is not what the schema says is dropped.

    The API server validates the status against the same schema, so only a status written
    around it (or by an older operator) loses anything; fields the schema does not know stay.
    """
    raw = dict(body.get("status") or {})
    try:
        return ScheduledJobStatus.model_validate(raw)
    except ValidationError as error:
        broken = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
        return ScheduledJobStatus.model_validate(
            {key: value for key, value in raw.items() if key not in broken}
        )


def overlay(base: ScheduledJobStatus, *parts: ScheduledJobStatus) -> ScheduledJobStatus:
    """`base` with every field a part sets; a part's None sets nothing (it never clears)."""
    changes = {
        name: value
        for part in parts
        for name in part.model_fields_set
        if (value := getattr(part, name)) is not None
    }
    return base.model_copy(update=changes)


def missed_record(previous: ScheduledJobStatus) -> ScheduledJobStatus:
    """The missed-fire-time bookkeeping of `previous`, as far as it has any, to carry over."""
    kept = previous.model_dump(
        include={"missed_runs", "last_missed_time", "last_checked_fire_time"},
        exclude_unset=True,
    )
    return ScheduledJobStatus.model_validate(kept)


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
) -> LastRun:
    """`status.lastRun` for a finished run."""
    if run.result is None:
        unfinished = f"run {run.job_name} has not finished"
        raise ValueError(unfinished)
    duration = None
    if run.start_time is not None and run.finish_time is not None:
        duration = round((run.finish_time - run.start_time).total_seconds(), 3)
    failed = run.result == "Failed"
    message = (summary.message if summary is not None else None) or run.message
    return LastRun(
        job_name=run.job_name,
        correlation_id=run.correlation_id(correlation_prefix),
        result=run.result,
        start_time=run.start_time,
        completion_time=run.finish_time,
        duration_seconds=duration,
        error_type=(summary.error_type or None) if failed and summary is not None else None,
        reason=(run.reason or None) if failed else None,
        message=(message or None) if failed else None,
    )


def active_runs(runs: Sequence[Run], correlation_prefix: str) -> list[RunReference]:
    """`status.active`: the unfinished runs, by name."""
    return [
        RunReference(
            job_name=run.job_name,
            correlation_id=run.correlation_id(correlation_prefix),
            start_time=run.start_time,
        )
        for run in sorted(runs, key=lambda run: run.job_name)
        if not run.finished
    ]


def run_fields(
    *,
    previous: ScheduledJobStatus,
    cron_job: Mapping[str, Any] | None,
    runs: Sequence[Run],
    correlation_prefix: str,
    last_run_summary: TerminationSummary | None,
) -> ScheduledJobStatus:
    """The status fields that describe runs: active, lastRun, last schedule and success times."""
    cron_status = (cron_job or {}).get("status") or {}
    succeeded = [run.finish_time for run in runs if run.result == "Succeeded"]
    latest = latest_finished(runs)
    last_run = previous.last_run  # its Job may be gone (history limits, TTL): the record stays
    if latest is not None:
        last_run = last_run_status(
            latest, correlation_prefix=correlation_prefix, summary=last_run_summary
        )
    return ScheduledJobStatus(
        active=active_runs(runs, correlation_prefix),
        last_schedule_time=_later(
            parse_time(cron_status.get("lastScheduleTime")), previous.last_schedule_time
        ),
        last_successful_time=_later(
            parse_time(cron_status.get("lastSuccessfulTime")),
            previous.last_successful_time,
            *succeeded,
        ),
        last_run=last_run,
    )
