"""Renders ScheduledJobs as the demo's live table: schedule, readiness, last run, next run.

Pure: ScheduledJob objects and the current time in, text out, so what the demo shows is tested
without a cluster.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from scheduledjob_api.runs import parse_time

HEADERS = ("NAME", "SCHEDULE", "READY", "ACTIVE", "LAST RUN", "RESULT", "TOOK", "NEXT RUN")
_NONE = "-"
_MINUTE = 60
_HOUR = 3600
_DAY = 86400


def relative(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    """`in 4m`, `12s ago`, `in 2d3h`: a distance a reader takes in at a glance."""
    if moment is None:
        return _NONE
    seconds = int((moment - now).total_seconds())
    distance = abs(seconds)
    if distance < _MINUTE:
        text = f"{distance}s"
    elif distance < _HOUR:
        text = f"{distance // _MINUTE}m{distance % _MINUTE:02d}s"
    elif distance < _DAY:
        text = f"{distance // _HOUR}h{distance % _HOUR // _MINUTE:02d}m"
    else:
        text = f"{distance // _DAY}d{distance % _DAY // _HOUR}h"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def _ready(status: Mapping[str, Any]) -> str:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                return "True"
            return f"False ({condition.get('reason', '?')})"
    return "Unknown"


def row(scheduledjob: Mapping[str, Any], now: datetime.datetime) -> tuple[str, ...]:
    """One ScheduledJob as table cells."""
    spec = scheduledjob.get("spec") or {}
    status = scheduledjob.get("status") or {}
    last = status.get("lastRun") or {}
    duration = last.get("durationSeconds")
    result = last.get("result", _NONE)
    if result == "Failed" and (last.get("errorType") or last.get("reason")):
        result = f"Failed ({last.get('errorType') or last.get('reason')})"
    finished = parse_time(last.get("completionTime"))
    schedule = str(spec.get("schedule", _NONE))
    if spec.get("suspend"):
        schedule += " (suspended)"
    return (
        scheduledjob["metadata"]["name"],
        schedule,
        _ready(status),
        str(len(status.get("active") or [])),
        f"{last['jobName']} {relative(finished, now)}" if last else _NONE,
        result,
        f"{duration:.1f}s" if isinstance(duration, int | float) else _NONE,
        relative(parse_time(status.get("nextScheduleTime")), now),
    )


def render(scheduledjobs: Sequence[Mapping[str, Any]], now: datetime.datetime) -> str:
    """The whole table, columns padded to their widest cell, sorted by name."""
    rows = [HEADERS] + [
        row(item, now) for item in sorted(scheduledjobs, key=lambda i: i["metadata"]["name"])
    ]
    widths = [max(len(cells[column]) for cells in rows) for column in range(len(HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in rows
    )
