"""The CronJob built for a ScheduledJob carries the contract, the hardening and the owner."""

from __future__ import annotations

import json
from typing import Any

import pytest

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.domain.builders.cronjob import Owner, build_cronjob
from scheduledjob_operator.domain.builders.runsettings import RunSettings

OWNER = Owner(name="reports", namespace="team-a", uid="0f0e0d0c-0000-4000-8000-000000000001")
SETTINGS = RunSettings(
    default_image="registry.local/scheduledjob:1",
    pushgateway_url="http://pushgateway:9091",
    otlp_endpoint="http://collector:4318",
    default_admin_user_id="admin-1",
)


def _build(**spec: Any) -> dict[str, Any]:
    model = ScheduledJobSpec.model_validate(
        {"job": "ReportGenerationJob", "schedule": "0 8 * * 1", **spec}
    )
    return build_cronjob(model, owner=OWNER, schedule="0 8 * * 1", settings=SETTINGS)


def _env(cron_job: dict[str, Any]) -> dict[str, Any]:
    container = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_same_input_builds_the_same_manifest() -> None:
    """Builders are deterministic: equal inputs give byte-equal manifests."""
    assert json.dumps(_build(data={"b": 1, "a": "x"})) == json.dumps(
        _build(data={"a": "x", "b": 1})
    )


def test_owner_reference_makes_the_scheduledjob_the_controller() -> None:
    """Deleting the ScheduledJob cascades to the CronJob."""
    reference = _build()["metadata"]["ownerReferences"][0]
    assert {"kind": "ScheduledJob", "uid": OWNER.uid, "controller": True} == {
        key: reference[key] for key in ("kind", "uid", "controller")
    }


def test_labels_link_cronjob_jobs_and_pods_to_the_scheduledjob() -> None:
    """CronJob, Job template and Pod template all carry the scheduledjob label."""
    cron_job = _build(pod_labels={naming.SCHEDULEDJOB_LABEL: "spoofed", "team": "a"})
    job = cron_job["spec"]["jobTemplate"]
    pod = job["spec"]["template"]
    for labels in (
        cron_job["metadata"]["labels"],
        job["metadata"]["labels"],
        pod["metadata"]["labels"],
    ):
        assert "reports" == labels[naming.SCHEDULEDJOB_LABEL]
    assert "a" == pod["metadata"]["labels"]["team"]


@pytest.mark.parametrize(
    ("context", "tenant", "user"),
    [
        ({"tenantId": 123, "applicationUserId": 456}, "123", "456"),
        ({"tenantId": "t-9"}, "t-9", "admin-1"),
        ({}, None, None),
    ],
    ids=["tenant-and-user", "tenant-default-admin", "system"],
)
def test_context_modes(context: dict[str, Any], tenant: str | None, user: str | None) -> None:
    """Tenant and user, tenant only (default admin user), or system (neither)."""
    env = _env(_build(context=context))
    assert tenant == env.get(contract.TENANT_ID)
    assert user == env.get(contract.APPLICATION_USER_ID)


def test_secret_values_are_referenced_never_copied() -> None:
    """dataFrom becomes valueFrom references; the literal data JSON holds only literal data."""
    env = _env(
        _build(
            data={"BatchSize": 100},
            data_from=[{"key": "ApiToken", "secretKeyRef": {"name": "creds", "key": "token"}}],
        )
    )
    assert {"BatchSize": 100} == json.loads(env[contract.DATA])
    assert {"secretKeyRef": {"name": "creds", "key": "token"}} == env[
        contract.DATA_FROM_PREFIX + "ApiToken"
    ]
    assert "ApiToken" == env[contract.SECRET_KEYS]


def test_run_identity_comes_from_the_downward_api() -> None:
    """Pod name, Job name and Job UID are read from the Pod's own metadata."""
    env = _env(_build())
    assert {"fieldRef": {"fieldPath": "metadata.name"}} == env[contract.POD_NAME]
    assert {"fieldRef": {"fieldPath": f"metadata.labels['{contract.JOB_UID_LABEL}']"}} == env[
        contract.RUN_UID
    ]


def test_pod_is_hardened_for_restricted_pod_security() -> None:
    """Non-root, no escalation, no capabilities, RuntimeDefault seccomp, read-only root."""
    pod = _build()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {"type": "RuntimeDefault"} == pod["securityContext"]["seccompProfile"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    } == container["securityContext"]
    assert [{"name": "tmp", "mountPath": "/tmp"}] == container["volumeMounts"]


def test_exit_codes_drive_the_pod_failure_policy() -> None:
    """Fatal exits fail the Job at once; retries bound the transient ones."""
    job = _build(retries=4)["spec"]["jobTemplate"]["spec"]
    assert 4 == job["backoffLimit"]
    fail_rule = job["podFailurePolicy"]["rules"][0]
    assert ("FailJob", [contract.EXIT_FATAL]) == (
        fail_rule["action"],
        fail_rule["onExitCodes"]["values"],
    )
    assert "DisruptionTarget" == job["podFailurePolicy"]["rules"][1]["onPodConditions"][0]["type"]


def test_run_control_fields_map_to_the_cronjob() -> None:
    """Concurrency, deadlines, history and TTL reach the CronJob and Job."""
    cron_job = _build(
        concurrency_policy="Replace",
        starting_deadline_seconds=120,
        timeout_seconds=600,
        ttl_seconds_after_finished=3600,
        successful_runs_history_limit=5,
        failed_runs_history_limit=2,
        suspend=True,
        time_zone="Europe/Berlin",
    )
    spec = cron_job["spec"]
    assert ("Replace", 120, 5, 2, True, "Europe/Berlin") == (
        spec["concurrencyPolicy"],
        spec["startingDeadlineSeconds"],
        spec["successfulJobsHistoryLimit"],
        spec["failedJobsHistoryLimit"],
        spec["suspend"],
        spec["timeZone"],
    )
    assert (600, 3600) == (
        spec["jobTemplate"]["spec"]["activeDeadlineSeconds"],
        spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"],
    )


@pytest.mark.parametrize("length", [1, 52, 53, 63])
def test_cronjob_names_fit_the_52_character_limit(length: int) -> None:
    """Short names are kept; long ones are shortened with a stable hash."""
    name = "a" * length
    short = naming.cronjob_name(name)
    assert len(short) <= naming.CRONJOB_NAME_MAX_LENGTH
    assert short == naming.cronjob_name(name)
    assert (short == name) == (length <= naming.CRONJOB_NAME_MAX_LENGTH)


def test_shortened_names_of_different_scheduledjobs_differ() -> None:
    """Two long names with the same prefix map to different CronJobs."""
    assert naming.cronjob_name("x" * 60 + "a") != naming.cronjob_name("x" * 60 + "b")
