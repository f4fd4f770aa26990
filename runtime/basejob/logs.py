"""The runtime's logging: structlog, JSON in a container, readable on a terminal.

Every line of a run carries the run's context (CorrelationId, JobName, JobId, FireTime,
NextFireTime, TenantId, ApplicationUserId, Job.<Param>) and the current trace and span IDs,
whether the job logs through `ctx.logger`, structlog, or the standard `logging` module.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from basejob import tracing


def add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Add TraceId and SpanId of the current span, when there is one."""
    ids = tracing.current_trace_ids()
    if ids is not None:
        event.setdefault("TraceId", ids[0])
        event.setdefault("SpanId", ids[1])
    return event


SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.PositionalArgumentsFormatter(),
    add_trace_ids,
]


def configure(
    *, json_lines: bool | None = None, stream: TextIO | None = None, level: str = "INFO"
) -> None:
    """One pipeline for structlog and standard logging; JSON unless writing to a terminal."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not stream.isatty()
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def context_fields(
    *,
    correlation_id: str,
    job_name: str,
    job_id: str,
    fire_time: str,
    next_fire_time: str | None,
    tenant_id: str | None,
    application_user_id: str | None,
    data: MutableMapping[str, Any] | dict[str, Any],
    secret_keys: frozenset[str],
) -> dict[str, Any]:
    """The fields every line of a run carries (secret job data left out)."""
    fields: dict[str, Any] = {
        "CorrelationId": correlation_id,
        "JobName": job_name,
        "JobId": job_id,
        "FireTime": fire_time,
        "NextFireTime": next_fire_time,
        "TenantId": tenant_id,
        "ApplicationUserId": application_user_id,
    }
    for key, value in data.items():
        if key not in secret_keys:
            fields[f"Job.{key}"] = value
    return fields
