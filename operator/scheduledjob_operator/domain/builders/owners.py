"""Who owns what we build, and the failure policy every run's Job carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basejob import contract
from scheduledjob_api import v1alpha1
from scheduledjob_operator.domain.builders import pod


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


def cron_owner(cron_job: Mapping[str, Any]) -> dict[str, Any]:
    """Triggered runs belong to the CronJob, as `kubectl create job --from` makes them, so
    deleting the CronJob collects them. The CronJob controller does not count them as active
    (a fire time during a triggered run still starts); the operator's own Forbid check on
    triggers looks at every active run."""
    metadata = cron_job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": metadata["name"],
        "uid": metadata.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }
