"""The ScheduledJob API: pydantic models per version, the source the CRD is generated from."""

from scheduledjob_api.v1alpha1 import (
    API_VERSION,
    GROUP,
    KIND,
    PLURAL,
    VERSION,
    ScheduledJob,
    ScheduledJobSpec,
    ScheduledJobStatus,
)

__all__ = [
    "API_VERSION",
    "GROUP",
    "KIND",
    "PLURAL",
    "VERSION",
    "ScheduledJob",
    "ScheduledJobSpec",
    "ScheduledJobStatus",
]
