"""Scheduling from code: declare, trigger, suspend and delete ScheduledJobs from Python.

    from basejob import scheduling

    scheduling.schedule_tenant_job("ReportGenerationJob", 123, delay="30m",
                                   correlation_id="delayed-processing")
    scheduling.trigger("data-cleanup")

The .NET framework's `ScheduleJobWithContextAsync`, `ScheduleTenantJobAsync` and
`ScheduleSystemJobAsync` become `schedule_job_with_context`, `schedule_tenant_job` and
`schedule_system_job`; the operator then runs what they declare. See
docs/scheduling-from-code.md.
"""

from basejob.scheduling.client import FIELD_MANAGER, SchedulingClient
from basejob.scheduling.default import (
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
from basejob.scheduling.errors import (
    InvalidScheduledJobError,
    PermissionDeniedError,
    ScheduledJobNotFoundError,
    SchedulingArgumentError,
    SchedulingError,
)
from basejob.scheduling.manifest import SpecOptions
from basejob.scheduling.refs import ScheduledJobRef

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
