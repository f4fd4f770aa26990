"""Deterministic names and labels for everything a ScheduledJob owns.

A CronJob's name is limited to 52 characters (its Jobs append an 11-character suffix and must
stay DNS labels); longer ScheduledJob names are shortened with a stable hash, so the same
ScheduledJob always owns the same CronJob, across restarts and replicas.
"""

from __future__ import annotations

import datetime
import hashlib

from scheduledjob_api import v1alpha1

CRONJOB_NAME_MAX_LENGTH = 52
_HASH_LENGTH = 8

SCHEDULEDJOB_LABEL = f"{v1alpha1.GROUP}/scheduledjob"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "scheduledjob-operator"
COMPONENT_LABEL = "app.kubernetes.io/component"
FIELD_MANAGER = "scheduledjob-operator"


def cronjob_name(scheduledjob_name: str) -> str:
    """The CronJob's name: the ScheduledJob's, or a stable shortening of it."""
    if len(scheduledjob_name) <= CRONJOB_NAME_MAX_LENGTH:
        return scheduledjob_name
    digest = hashlib.sha256(scheduledjob_name.encode()).hexdigest()[:_HASH_LENGTH]
    stem = scheduledjob_name[: CRONJOB_NAME_MAX_LENGTH - _HASH_LENGTH - 1].rstrip("-.")
    return f"{stem}-{digest}"


def owned_labels(scheduledjob_name: str) -> dict[str, str]:
    """Labels linking a CronJob, its Jobs and their Pods to the ScheduledJob."""
    return {
        SCHEDULEDJOB_LABEL: scheduledjob_name,
        MANAGED_BY_LABEL: MANAGED_BY,
    }


def scheduled_run_name(scheduledjob_name: str, fire_time: datetime.datetime) -> str:
    """The Job of the run the operator starts for `fire_time`: one name per fire time, so a
    second create (a restart, a second replica) is refused by the API server, never doubled.

    The CronJob's name (at most 52 characters) and the fire time in seconds since the epoch
    (10 digits): at most 63 characters, the limit of the Job-name label on its Pods.
    """
    return f"{cronjob_name(scheduledjob_name)}-{int(fire_time.timestamp())}"
