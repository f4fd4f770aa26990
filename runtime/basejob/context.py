"""What a running job sees: who it runs for, which run it is, its data, logger and signals.

A job's `execute(ctx)` receives a `JobContext`. Everything the .NET BaseJob gave through
helpers (GetCurrentTenantId, GetCurrentCorrelationId, the job data map, the logger with its
LogContext) is a plain attribute here.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from basejob.metrics import BusinessMetrics
from basejob.tracing import outgoing_headers

P = TypeVar("P")


@dataclass(frozen=True, kw_only=True)
class JobContext(Generic[P]):
    """The context of one run."""

    job_name: str
    """The job's registered name (the class name unless the job says otherwise)."""
    job_id: str
    """This execution's ID: the Pod name, or a local ID outside Kubernetes."""
    correlation_id: str
    """The run's correlation ID; pass it to every external call (see `headers()`)."""
    tenant_id: str | None
    """Tenant the run acts for; None for a system job."""
    application_user_id: str | None
    """User the run acts as; None for a system job."""
    fire_time: datetime.datetime
    """When the run was scheduled to start (its start time for manual and local runs)."""
    next_fire_time: datetime.datetime | None
    """When the schedule fires next, if there is a schedule."""
    scheduledjob_namespace: str | None
    """Namespace of the ScheduledJob that started the run (None when run locally)."""
    scheduledjob_name: str | None
    """Name of the ScheduledJob that started the run (None when run locally)."""
    data: P
    """The job data: an instance of the job's `Parameters` model, or a plain dict."""
    raw_data: Mapping[str, Any]
    """The job data as received, before validation (secret values included)."""
    logger: Any
    """A structlog logger bound to the run's context; log events, not f-strings."""
    cancelled: asyncio.Event
    """Set when the run is asked to stop (SIGTERM, SIGINT); long loops should check it."""
    metrics: BusinessMetrics
    """Register your own business metrics; they are pushed with the run's metrics."""

    @property
    def is_system_job(self) -> bool:
        """True when the run acts for no tenant."""
        return self.tenant_id is None

    def headers(self) -> dict[str, str]:
        """Headers for external calls: the correlation ID and W3C trace context."""
        return outgoing_headers(self.correlation_id)
