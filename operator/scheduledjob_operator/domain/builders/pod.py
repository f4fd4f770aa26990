"""Builds the Pod template of a run: the runtime container, its environment and its hardening.

Pods pass the `restricted` Pod Security Standard as built: non-root, no privilege escalation,
all capabilities dropped, RuntimeDefault seccomp, a read-only root file system with a writable
emptyDir at /tmp.
"""

from __future__ import annotations

import json
from typing import Any

from basejob import contract
from scheduledjob_api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.domain.builders.runsettings import RunSettings

CONTAINER_NAME = "job"
RUNTIME_COMMAND = ("basejob", "run")
_TMP_VOLUME = "tmp"


def _literal(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def _verbatim(name: str, value: str) -> dict[str, Any]:
    """A literal the kubelet must not expand: user input such as a data value reading
    `$(BASEJOB_JOB)` reaches the job as written (the kubelet turns `$$` into `$`)."""
    return _literal(name, value.replace("$", "$$"))


def _downward(name: str, field_path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def _context_env(spec: ScheduledJobSpec, settings: RunSettings) -> list[dict[str, Any]]:
    env = []
    context = spec.context
    if context.tenant_id is not None:
        env.append(_verbatim(contract.TENANT_ID, str(context.tenant_id)))
        user = context.application_user_id
        if user is None:
            user = settings.default_admin_user_id
        if user is not None:
            env.append(_verbatim(contract.APPLICATION_USER_ID, str(user)))
    return env


def _data_env(spec: ScheduledJobSpec) -> list[dict[str, Any]]:
    data = json.dumps(spec.data, sort_keys=True, separators=(",", ":"))
    env = [_verbatim(contract.DATA, data)]
    secret_keys = []
    for source in spec.data_from:
        if source.secret_key_ref is not None:
            reference = {"secretKeyRef": source.secret_key_ref.to_api()}
            secret_keys.append(source.key)
        elif source.config_map_key_ref is not None:
            reference = {"configMapKeyRef": source.config_map_key_ref.to_api()}
        else:  # pragma: no cover - admission (CEL) requires exactly one
            continue
        env.append({"name": contract.DATA_FROM_PREFIX + source.key, "valueFrom": reference})
    if secret_keys:
        env.append(_literal(contract.SECRET_KEYS, ",".join(sorted(secret_keys))))
    return env


def _telemetry_env(
    *, namespace: str, name: str, cron_job: str, settings: RunSettings
) -> list[dict[str, Any]]:
    env = []
    if settings.pushgateway_url:
        env.append(_literal(contract.PUSHGATEWAY_URL, settings.pushgateway_url))
    if settings.otlp_endpoint:
        env.append(_literal(contract.OTEL_EXPORTER_OTLP_ENDPOINT, settings.otlp_endpoint))
    env.append(_literal(contract.OTEL_SERVICE_NAME, "basejob"))
    attributes = (
        f"k8s.namespace.name={namespace},k8s.cronjob.name={cron_job},"
        f"k8s.job.name=$({contract.RUN_NAME}),k8s.pod.name=$({contract.POD_NAME}),"
        f"scheduledjob.name={name}"
    )
    env.append(_literal(contract.OTEL_RESOURCE_ATTRIBUTES, attributes))
    return env


def container_env(
    spec: ScheduledJobSpec,
    *,
    namespace: str,
    name: str,
    cron_job: str,
    schedule: str,
    settings: RunSettings,
) -> list[dict[str, Any]]:
    """Every environment variable of the job container, in the contract's order."""
    env = [
        _literal(contract.JOB, spec.job),
        _literal(contract.SCHEDULEDJOB_NAMESPACE, namespace),
        _literal(contract.SCHEDULEDJOB_NAME, name),
        _literal(contract.CORRELATION_PREFIX, spec.context.correlation_id or name),
        *_context_env(spec, settings),
        *_data_env(spec),
        _literal(contract.SCHEDULE, schedule),
        _literal(contract.TIME_ZONE, spec.time_zone or "UTC"),
        # The run's identity; variables referenced by $(...) below must come first.
        _downward(contract.POD_NAME, "metadata.name"),
        _downward(contract.RUN_NAME, f"metadata.labels['{contract.JOB_NAME_LABEL}']"),
        _downward(contract.RUN_UID, f"metadata.labels['{contract.JOB_UID_LABEL}']"),
        *_telemetry_env(namespace=namespace, name=name, cron_job=cron_job, settings=settings),
    ]
    env.extend(variable.to_api() for variable in spec.env)
    return env


def _container(
    spec: ScheduledJobSpec, env: list[dict[str, Any]], settings: RunSettings
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": spec.image or settings.default_image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": list(RUNTIME_COMMAND),
        "env": env,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        },
        "volumeMounts": [{"name": _TMP_VOLUME, "mountPath": "/tmp"}],  # noqa: S108
        "terminationMessagePath": contract.TERMINATION_MESSAGE_PATH,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if spec.resources is not None:
        container["resources"] = spec.resources.to_api()
    return container


def pod_template(
    spec: ScheduledJobSpec,
    *,
    labels: dict[str, str],
    env: list[dict[str, Any]],
    settings: RunSettings,
) -> dict[str, Any]:
    """The run's Pod template: labels (ours win), hardening, scheduling constraints."""
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": spec.service_account_name is not None,
        "securityContext": {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(spec, env, settings)],
        "volumes": [{"name": _TMP_VOLUME, "emptyDir": {}}],
    }
    if spec.service_account_name is not None:
        pod_spec["serviceAccountName"] = spec.service_account_name
    if spec.node_selector:
        pod_spec["nodeSelector"] = dict(spec.node_selector)
    if spec.tolerations:
        pod_spec["tolerations"] = [toleration.to_api() for toleration in spec.tolerations]
    metadata: dict[str, Any] = {"labels": {**spec.pod_labels, **labels}}
    if spec.pod_annotations:
        metadata["annotations"] = dict(spec.pod_annotations)
    return {"metadata": metadata, "spec": pod_spec}
