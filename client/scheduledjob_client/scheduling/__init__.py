"""Scheduling from code: declare, trigger, suspend and delete ScheduledJobs from Python.

    from scheduledjob_client import scheduling

    scheduling.schedule_tenant_job("ReportGenerationJob", 123, delay="30m",
                                   correlation_id="delayed-processing")
    scheduling.trigger("data-cleanup")

The .NET framework's `ScheduleJobWithContextAsync`, `ScheduleTenantJobAsync` and
`ScheduleSystemJobAsync` become `schedule_job_with_context`, `schedule_tenant_job` and
`schedule_system_job`; the operator then runs what they declare. See
docs/scheduling-from-code.md.
"""

from scheduledjob_client.scheduling.client import FIELD_MANAGER, SchedulingClient
from scheduledjob_client.scheduling.default import (
    default_client,
    delete,
    get,
    resume,
    schedule_job_with_context,
    schedule_system_job,
    schedule_tenant_job,
    set_default_client,
    suspend,
    trigger,
)
from scheduledjob_client.scheduling.errors import (
    InvalidScheduledJobError,
    PermissionDeniedError,
    ScheduledJobNotFoundError,
    SchedulingArgumentError,
    SchedulingError,
)
from scheduledjob_client.scheduling.manifest import SpecOptions
from scheduledjob_client.scheduling.refs import ScheduledJobRef

__all__ = [
    "FIELD_MANAGER",
    "InvalidScheduledJobError",
    "PermissionDeniedError",
    "ScheduledJobNotFoundError",
    "ScheduledJobRef",
    "SchedulingArgumentError",
    "SchedulingClient",
    "SchedulingError",
    "SpecOptions",
    "default_client",
    "delete",
    "get",
    "resume",
    "schedule_job_with_context",
    "schedule_system_job",
    "schedule_tenant_job",
    "set_default_client",
    "suspend",
    "trigger",
]
