"""`kubectl sj describe`: a ScheduledJob's spec, conditions, recent runs and events as text.

Pure: the ScheduledJob, its labelled Jobs and its Events in, text out. A run's correlation ID
is computed from its Job UID with the contract's formula, exactly as the run's logs carry it,
and its error type comes from `status.lastRun` (the runtime's own account) when that run is
the last one, else from the Job's Failed condition.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from basejob import contract
from scheduledjob_api import runs
from scheduledjob_client.kubectl import table, timefmt

NONE: Final = timefmt.NONE
_LABEL_WIDTH: Final = 22
_RECENT_RUNS: Final = 10
_RECENT_EVENTS: Final = 10


def _field(label: str, value: object, indent: int = 0) -> str:
    text = NONE if value is None or value == "" else str(value)
    return f"{' ' * indent}{label + ':':<{_LABEL_WIDTH - indent}}{text}"


def correlation_prefix(scheduledjob: Mapping[str, Any]) -> str:
    """The prefix of every run's correlation ID: spec.context.correlationId, else the name."""
    context = (scheduledjob.get("spec") or {}).get("context") or {}
    return str(context.get("correlationId") or scheduledjob["metadata"]["name"])


def _who(spec: Mapping[str, Any]) -> list[str]:
    context = spec.get("context") or {}
    tenant = context.get("tenantId")
    if tenant is None:
        return [_field("Tenant", "<none> (system job)")]
    user = context.get("applicationUserId")
    return [
        _field("Tenant", tenant),
        _field("Application User", "<default admin>" if user is None else user),
    ]


def _data(spec: Mapping[str, Any]) -> list[str]:
    lines = []
    if spec.get("data"):
        lines.append("Data:")
        lines += [_field(key, value, 2) for key, value in sorted(spec["data"].items())]
    if spec.get("dataFrom"):
        lines.append("Data From:")
        for source in spec["dataFrom"]:
            ref = source.get("secretKeyRef") or source.get("configMapKeyRef") or {}
            kind = "secret" if source.get("secretKeyRef") else "configmap"
            lines.append(
                _field(source.get("key", "?"), f"{kind} {ref.get('name')}/{ref.get('key')}", 2)
            )
    return lines


def _when(scheduledjob: Mapping[str, Any], now: datetime.datetime) -> list[str]:
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    if spec.get("schedule"):
        effective = status.get("schedule")
        shown = str(spec["schedule"])
        if effective and effective != spec["schedule"]:
            shown += f" (runs as {effective})"
        next_time = runs.parse_time(status.get("nextScheduleTime"))
        return [
            _field("Schedule", shown),
            _field("Time Zone", spec.get("timeZone") or "UTC"),
            _field("Next Run", _at(next_time, now) if next_time else NONE),
        ]
    how = f"runAt {spec['runAt']}" if spec.get("runAt") else f"delay {spec.get('delay')}"
    one_shot = status.get("oneShot") or {}
    due = table.due_time(scheduledjob)
    return [
        _field("Schedule", f"once ({how})"),
        _field("Due", _at(due, now) if due else NONE),
        _field("Run", one_shot.get("jobName") or "<not started>"),
        _field("Finished", one_shot.get("finishedTime")),
        _field("TTL After Run", _seconds(spec.get("ttlSecondsAfterRun"))),
    ]


def _at(moment: datetime.datetime, now: datetime.datetime) -> str:
    return f"{timefmt.timestamp(moment)} ({timefmt.relative(moment, now)})"


def _seconds(value: object) -> str | None:
    return None if value is None else f"{value}s"


def _settings(scheduledjob: Mapping[str, Any]) -> list[str]:
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    trigger = status.get("lastTrigger") or {}
    lines = [
        _field("Concurrency Policy", spec.get("concurrencyPolicy", "Forbid")),
        _field("Retries", spec.get("retries", 0)),
        _field("Timeout", _seconds(spec.get("timeoutSeconds"))),
        _field("CronJob", status.get("cronJobName")),
        _field("Active Runs", len(status.get("active") or [])),
        _field("Missed Runs", status.get("missedRuns", 0)),
    ]
    if trigger:
        started = trigger.get("jobName") or "no run (concurrency policy)"
        lines.append(_field("Last Trigger", f"{trigger.get('token')} -> {started}"))
    return lines


def _conditions(status: Mapping[str, Any]) -> list[str]:
    conditions = status.get("conditions") or []
    if not conditions:
        return [_field("Conditions", NONE)]
    rows = [
        (
            str(c.get("type", "")),
            str(c.get("status", "")),
            str(c.get("reason", "")),
            str(c.get("lastTransitionTime", "")),
            str(c.get("message", "")),
        )
        for c in conditions
    ]
    rendered = table.render_rows(("Type", "Status", "Reason", "Last Transition", "Message"), rows)
    return ["Conditions:", *(f"  {line}" for line in rendered.splitlines())]


def run_rows(
    scheduledjob: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], now: datetime.datetime
) -> list[tuple[str, ...]]:
    """The most recent runs, newest first, as cells of the Runs table."""
    prefix = correlation_prefix(scheduledjob)
    last = (scheduledjob.get("status") or {}).get("lastRun") or {}
    rows: list[tuple[str, ...]] = []
    for job in sorted(jobs, key=_created, reverse=True)[:_RECENT_RUNS]:
        run = runs.run_from_job(job)
        end = run.finish_time or (None if run.finished else now)
        duration = (end - run.start_time).total_seconds() if end and run.start_time else None
        error = last.get("errorType") if last.get("jobName") == run.job_name else None
        labels = (job.get("metadata") or {}).get("labels") or {}
        rows.append(
            (
                run.job_name,
                str(labels.get(contract.RUN_KIND_LABEL) or "scheduled"),
                run.correlation_id(prefix),
                timefmt.timestamp(run.start_time),
                timefmt.seconds(duration),
                run.result or "Running",
                str(error or (run.reason if run.result == "Failed" else None) or NONE),
            )
        )
    return rows


def _created(job: Mapping[str, Any]) -> str:
    return str((job.get("metadata") or {}).get("creationTimestamp") or "")


def _runs(
    scheduledjob: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], now: datetime.datetime
) -> list[str]:
    rows = run_rows(scheduledjob, jobs, now)
    if not rows:
        return [_field("Runs", NONE)]
    headers = ("Job", "Kind", "Correlation ID", "Start", "Duration", "Result", "Error Type")
    return ["Runs:", *(f"  {line}" for line in table.render_rows(headers, rows).splitlines())]


def _events(events: Sequence[Mapping[str, Any]], now: datetime.datetime) -> list[str]:
    if not events:
        return [_field("Events", NONE)]
    newest = sorted(events, key=_event_time)[-_RECENT_EVENTS:]
    rows = [
        (
            str(event.get("type", "")),
            str(event.get("reason", "")),
            timefmt.age(runs.parse_time(_event_time(event)), now),
            str(event.get("message", "")),
        )
        for event in newest
    ]
    rendered = table.render_rows(("Type", "Reason", "Age", "Message"), rows)
    return ["Events:", *(f"  {line}" for line in rendered.splitlines())]


def _event_time(event: Mapping[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def render(
    scheduledjob: Mapping[str, Any],
    jobs: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    now: datetime.datetime,
) -> str:
    """The whole description."""
    metadata = scheduledjob.get("metadata") or {}
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    lines = [
        _field("Name", metadata.get("name")),
        _field("Namespace", metadata.get("namespace")),
        _field("Job", spec.get("job")),
        *_when(scheduledjob, now),
        _field("Suspend", "True" if spec.get("suspend") else "False"),
        *_who(spec),
        _field("Correlation Prefix", correlation_prefix(scheduledjob)),
        *_data(spec),
        *_settings(scheduledjob),
        *_conditions(status),
        *_runs(scheduledjob, jobs, now),
        *_events(events, now),
    ]
    return "\n".join(lines)
