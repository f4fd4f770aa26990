"""The environment contract between the operator and the runtime: one reference for both sides.

The operator builds each run's Pod environment from these names; the runtime reads them. The
operator imports this module (never the other way round), so a name can change in one place.
See docs/reference/environment-contract.md for the meaning of each variable.
"""

from __future__ import annotations

from typing import Final

# What to run and for whom.
JOB: Final = "BASEJOB_JOB"
SCHEDULEDJOB_NAMESPACE: Final = "BASEJOB_SCHEDULEDJOB_NAMESPACE"
SCHEDULEDJOB_NAME: Final = "BASEJOB_SCHEDULEDJOB_NAME"
TENANT_ID: Final = "BASEJOB_TENANT_ID"
APPLICATION_USER_ID: Final = "BASEJOB_APPLICATION_USER_ID"
CORRELATION_PREFIX: Final = "BASEJOB_CORRELATION_PREFIX"

# Job data: literal values as one JSON object; values from Secrets and ConfigMaps arrive as one
# variable each, DATA_FROM_PREFIX + key, through valueFrom (never written into the CronJob).
DATA: Final = "BASEJOB_DATA"
DATA_FROM_PREFIX: Final = "BASEJOB_DATA_FROM_"
SECRET_KEYS: Final = "BASEJOB_SECRET_KEYS"  # noqa: S105 - a variable name; comma-separated keys whose values stay out of logs

# When: the schedule as the CronJob runs it, and its time zone.
SCHEDULE: Final = "BASEJOB_SCHEDULE"
TIME_ZONE: Final = "BASEJOB_TIME_ZONE"

# The fire time a run was started for (RFC 3339, to the second), set on runs the operator starts
# on a schedule itself; CronJob runs encode their fire minute in the Job name instead.
FIRE_TIME: Final = "BASEJOB_FIRE_TIME"

# The run's identity, from the downward API.
POD_NAME: Final = "BASEJOB_POD_NAME"
RUN_NAME: Final = "BASEJOB_RUN_NAME"  # the Job's name; a CronJob's suffix is the fire minute
RUN_UID: Final = "BASEJOB_RUN_UID"  # the Job's UID, the seed of the correlation ID

# Where telemetry goes (OTEL_* variables follow the OpenTelemetry specification).
PUSHGATEWAY_URL: Final = "BASEJOB_PUSHGATEWAY_URL"
OTEL_EXPORTER_OTLP_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTEL_SERVICE_NAME: Final = "OTEL_SERVICE_NAME"
OTEL_RESOURCE_ATTRIBUTES: Final = "OTEL_RESOURCE_ATTRIBUTES"

RESERVED_PREFIX: Final = "BASEJOB_"

# Labels Kubernetes puts on a Job's Pods; the downward API reads the run identity from them.
JOB_NAME_LABEL: Final = "batch.kubernetes.io/job-name"
JOB_UID_LABEL: Final = "batch.kubernetes.io/controller-uid"

# Exit codes: the Job's podFailurePolicy retries TRANSIENT (within `retries`) and fails the Job
# at once on FATAL. Any other non-zero code counts as transient.
EXIT_SUCCESS: Final = 0
EXIT_TRANSIENT: Final = 75  # EX_TEMPFAIL: try again later
EXIT_FATAL: Final = 78  # EX_CONFIG: retrying cannot help

TERMINATION_MESSAGE_PATH: Final = "/dev/termination-log"

# The ScheduledJob API, as clients that create and trigger ScheduledJobs need it
# (scheduledjob_client.scheduling, the kubectl plugin); the API models use the same values.
API_GROUP: Final = "jobs.connectflow.io"
API_VERSION: Final = "v1alpha1"
KIND: Final = "ScheduledJob"
PLURAL: Final = "scheduledjobs"
# Each new value of this annotation starts exactly one run; the same value again starts none.
TRIGGER_ANNOTATION: Final = f"{API_GROUP}/trigger"
# On every run (Job) the operator starts itself: why it started (manual, once or scheduled).
RUN_KIND_LABEL: Final = f"{API_GROUP}/run-kind"
# On runs the operator starts on a schedule: the fire time (RFC 3339) they were started for.
FIRE_TIME_ANNOTATION: Final = f"{API_GROUP}/fire-time"
# The W3C traceparent a triggered run continues (set next to the trigger token by callers).
TRIGGER_TRACEPARENT_ANNOTATION: Final = f"{API_GROUP}/trigger-traceparent"
_CORRELATION_SUFFIX_LENGTH: Final = 16


def correlation_id(prefix: str, run_uid: str) -> str:
    """The run's correlation ID: the prefix and the Job UID's first 16 hex digits.

    Unique per run (a Job UID is) and computable by the operator from the Job alone, so
    `status.lastRun`, Events, logs, metrics and traces all show the same ID.
    """
    suffix = run_uid.replace("-", "").lower()[:_CORRELATION_SUFFIX_LENGTH]
    return f"{prefix}-{suffix}"


# Exit codes of a run stopped by a signal (the shell convention 128 + signal number).
EXIT_CANCELLED_SIGTERM: Final = 143
EXIT_CANCELLED_SIGINT: Final = 130

# Overrides where the termination message goes (tests and local runs; Kubernetes reads the
# default path).
TERMINATION_MESSAGE_PATH_VARIABLE: Final = "BASEJOB_TERMINATION_MESSAGE_PATH"
