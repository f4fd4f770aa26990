"""Builds the CronJob a ScheduledJob owns, from the spec, the parsed schedule and settings."""

from __future__ import annotations

from typing import Any

from scheduledjob_api import naming
from scheduledjob_api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.domain.builders.job import job_template
from scheduledjob_operator.domain.builders.owners import Owner, owner_reference, pod_failure_policy
from scheduledjob_operator.domain.builders.runsettings import RunSettings

__all__ = ["Owner", "build_cronjob", "owner_reference", "pod_failure_policy"]


def build_cronjob(
    spec: ScheduledJobSpec, *, owner: Owner, schedule: str, settings: RunSettings
) -> dict[str, Any]:
    """The complete CronJob manifest (deterministic for the same inputs)."""
    name = naming.cronjob_name(owner.name)
    labels = naming.owned_labels(owner.name)
    cron_spec: dict[str, Any] = {
        "schedule": schedule,
        "timeZone": spec.time_zone or "Etc/UTC",
        "suspend": spec.suspend,
        "concurrencyPolicy": spec.concurrency_policy,
        "successfulJobsHistoryLimit": spec.successful_runs_history_limit,
        "failedJobsHistoryLimit": spec.failed_runs_history_limit,
        "jobTemplate": job_template(spec, owner=owner, schedule=schedule, settings=settings),
    }
    if spec.starting_deadline_seconds is not None:
        cron_spec["startingDeadlineSeconds"] = spec.starting_deadline_seconds
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": name,
            "namespace": owner.namespace,
            "labels": dict(labels),
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": cron_spec,
    }
