"""Builds the CronJob a ScheduledJob owns, from the spec, the parsed schedule and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from basejob import contract
from scheduledjob_operator import naming
from scheduledjob_operator.api import v1alpha1
from scheduledjob_operator.api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.builders import pod
from scheduledjob_operator.builders.runsettings import RunSettings


@dataclass(frozen=True)
class Owner:
    """The identity of the ScheduledJob that owns what we build."""

    name: str
    namespace: str
    uid: str


def owner_reference(owner: Owner) -> dict[str, Any]:
    """An ownerReference making the ScheduledJob the controller (deletion cascades)."""
    return {
        "apiVersion": v1alpha1.API_VERSION,
        "kind": v1alpha1.KIND,
        "name": owner.name,
        "uid": owner.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_failure_policy() -> dict[str, Any]:
    """Fail the Job at once on a fatal exit; never count Pod disruptions as failures."""
    return {
        "rules": [
            {
                "action": "FailJob",
                "onExitCodes": {
                    "containerName": pod.CONTAINER_NAME,
                    "operator": "In",
                    "values": [contract.EXIT_FATAL],
                },
            },
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        ]
    }


def build_cronjob(
    spec: ScheduledJobSpec, *, owner: Owner, schedule: str, settings: RunSettings
) -> dict[str, Any]:
    """The complete CronJob manifest (deterministic for the same inputs)."""
    name = naming.cronjob_name(owner.name)
    labels = naming.owned_labels(owner.name)
    env = pod.container_env(
        spec,
        namespace=owner.namespace,
        name=owner.name,
        cron_job=name,
        schedule=schedule,
        settings=settings,
    )
    job_spec: dict[str, Any] = {
        "backoffLimit": spec.retries,
        "podFailurePolicy": pod_failure_policy(),
        "template": pod.pod_template(spec, labels=labels, env=env, settings=settings),
    }
    if spec.timeout_seconds is not None:
        job_spec["activeDeadlineSeconds"] = spec.timeout_seconds
    if spec.ttl_seconds_after_finished is not None:
        job_spec["ttlSecondsAfterFinished"] = spec.ttl_seconds_after_finished

    cron_spec: dict[str, Any] = {
        "schedule": schedule,
        "timeZone": spec.time_zone or "Etc/UTC",
        "suspend": spec.suspend,
        "concurrencyPolicy": spec.concurrency_policy,
        "successfulJobsHistoryLimit": spec.successful_runs_history_limit,
        "failedJobsHistoryLimit": spec.failed_runs_history_limit,
        "jobTemplate": {"metadata": {"labels": dict(labels)}, "spec": job_spec},
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
