"""Builds runs: the Job template a ScheduledJob's runs share, and a Job the operator starts.

The CronJob's `jobTemplate` and the Jobs the operator creates itself (manual triggers, one-shot
runs) come from the same template, so a run is the same whoever starts it; only the name, the
owner and the `run-kind` label differ.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.domain.builders import pod
from scheduledjob_operator.domain.builders.owners import Owner, pod_failure_policy
from scheduledjob_operator.domain.builders.runsettings import RunSettings

RunKind = Literal["manual", "once", "scheduled"]
TRACEPARENT = "TRACEPARENT"


def job_template(
    spec: ScheduledJobSpec, *, owner: Owner, schedule: str, settings: RunSettings
) -> dict[str, Any]:
    """The template of every run: labels and the Job spec (deterministic for the same inputs)."""
    labels = naming.owned_labels(owner.name)
    env = pod.container_env(
        spec,
        namespace=owner.namespace,
        name=owner.name,
        cron_job=naming.cronjob_name(owner.name),
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
    return {"metadata": {"labels": dict(labels)}, "spec": job_spec}


def build_run(
    template: Mapping[str, Any],
    *,
    name: str,
    namespace: str,
    owner_reference: Mapping[str, Any],
    kind: RunKind,
    traceparent: str | None = None,
    fire_time: str | None = None,
) -> dict[str, Any]:
    """A Job from the template, owned by `owner_reference`, labelled with why it started.

    `traceparent` (W3C) continues the caller's trace in the run's span; `fire_time` (RFC 3339)
    is the scheduled time a run started by the operator on a schedule stands for.
    """
    spec = copy.deepcopy(dict(template["spec"]))
    labels = {**template["metadata"]["labels"], contract.RUN_KIND_LABEL: kind}
    pod_template = spec["template"]
    pod_template["metadata"]["labels"] = {**pod_template["metadata"]["labels"], **labels}
    extra_env = {TRACEPARENT: traceparent, contract.FIRE_TIME: fire_time}
    container = pod_template["spec"]["containers"][0]
    for variable, value in extra_env.items():
        if value:
            container["env"] = [
                *(v for v in container["env"] if v["name"] != variable),
                {"name": variable, "value": value},
            ]
    annotations: dict[str, str] = {}
    if kind == "manual":
        annotations["cronjob.kubernetes.io/instantiate"] = "manual"
    if fire_time:
        annotations[contract.FIRE_TIME_ANNOTATION] = fire_time
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [dict(owner_reference)],
        },
        "spec": spec,
    }
