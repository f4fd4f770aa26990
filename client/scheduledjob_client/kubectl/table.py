"""The `kubectl sj list` table: one row per ScheduledJob, from its spec and status alone.

Pure: objects and the current time in, text out. Columns follow `kubectl get cronjobs` where
they mean the same (SCHEDULE, SUSPEND, ACTIVE) and add what a ScheduledJob knows beyond a
CronJob: the last run's Job, result and correlation ID, and when the next run is due.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from scheduledjob_api import duetime
from scheduledjob_api.runs import parse_time
from scheduledjob_client.kubectl import timefmt

HEADERS: Final = ("NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST RUN", "RESULT", "NEXT RUN")
WIDE_HEADERS: Final = ("JOB", "TENANT", "CORRELATION ID", "LAST DURATION")
NAMESPACE_HEADER: Final = "NAMESPACE"
NONE: Final = timefmt.NONE


def due_time(scheduledjob: Mapping[str, Any]) -> datetime.datetime | None:
    """When a one-shot ScheduledJob's run is due: the operator's record, else from the spec."""
    spec = scheduledjob.get("spec") or {}
    one_shot = (scheduledjob.get("status") or {}).get("oneShot") or {}
    recorded = parse_time(one_shot.get("dueTime"))
    if recorded is not None:
        return recorded
    created = parse_time((scheduledjob.get("metadata") or {}).get("creationTimestamp"))
    delay = (spec.get("delay") or "").strip() or None
    try:
        return duetime.due_time(parse_time(spec.get("runAt")), delay, created)
    except ValueError:
        return None


def schedule_text(scheduledjob: Mapping[str, Any]) -> str:
    """The cron expression, or `once at <time>` for runAt and delay."""
    spec = scheduledjob.get("spec") or {}
    if spec.get("schedule"):
        return str(spec["schedule"])
    return f"once at {timefmt.timestamp(due_time(scheduledjob))}"


def _last_run(status: Mapping[str, Any], now: datetime.datetime) -> str:
    last = status.get("lastRun") or {}
    if not last:
        return NONE
    finished = parse_time(last.get("completionTime")) or parse_time(last.get("startTime"))
    if finished is None:
        return str(last.get("jobName", NONE))
    return f"{last.get('jobName', '?')} ({timefmt.age(finished, now)} ago)"


def _next_run(scheduledjob: Mapping[str, Any], now: datetime.datetime) -> str:
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    if spec.get("suspend"):
        return NONE
    if spec.get("schedule"):
        return timefmt.relative(parse_time(status.get("nextScheduleTime")), now)
    if (status.get("oneShot") or {}).get("jobName"):
        return NONE  # the single run has started: nothing is due any more
    due = due_time(scheduledjob)
    if due is not None and due <= now:
        return "due now"
    return timefmt.relative(due, now)


def row(scheduledjob: Mapping[str, Any], now: datetime.datetime) -> tuple[str, ...]:
    """The standard columns of one ScheduledJob."""
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    return (
        str(scheduledjob["metadata"]["name"]),
        schedule_text(scheduledjob),
        "True" if spec.get("suspend") else "False",
        str(len(status.get("active") or [])),
        _last_run(status, now),
        str((status.get("lastRun") or {}).get("result") or NONE),
        _next_run(scheduledjob, now),
    )


def wide_cells(scheduledjob: Mapping[str, Any]) -> tuple[str, ...]:
    """The extra `-o wide` columns: job, tenant, last correlation ID, last duration."""
    spec = scheduledjob.get("spec") or {}
    last = (scheduledjob.get("status") or {}).get("lastRun") or {}
    tenant = (spec.get("context") or {}).get("tenantId")
    return (
        str(spec.get("job", NONE)),
        NONE if tenant is None else str(tenant),
        str(last.get("correlationId") or NONE),
        timefmt.seconds(last.get("durationSeconds")),
    )


def render_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell with three spaces between, as kubectl prints."""
    table = [tuple(headers), *(tuple(cells) for cells in rows)]
    widths = [max(len(cells[column]) for cells in table) for column in range(len(headers))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in table
    )


def render(
    scheduledjobs: Sequence[Mapping[str, Any]],
    now: datetime.datetime,
    *,
    wide: bool = False,
    with_namespace: bool = False,
) -> str:
    """The whole table, sorted by namespace and name."""
    headers: tuple[str, ...] = HEADERS + (WIDE_HEADERS if wide else ())
    if with_namespace:
        headers = (NAMESPACE_HEADER, *headers)
    rows = []
    for item in sorted(scheduledjobs, key=_sort_key):
        cells = row(item, now) + (wide_cells(item) if wide else ())
        if with_namespace:
            cells = (str(item["metadata"].get("namespace", "")), *cells)
        rows.append(cells)
    return render_rows(headers, rows)


def _sort_key(scheduledjob: Mapping[str, Any]) -> tuple[str, str]:
    metadata = scheduledjob.get("metadata") or {}
    return (str(metadata.get("namespace", "")), str(metadata.get("name", "")))
