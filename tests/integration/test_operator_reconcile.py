"""The operator keeps a matching CronJob for every ScheduledJob, repairs drift and cascades."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from kubernetes import client

from basejob import contract
from scheduledjob_api import naming

from .conftest import DEFAULT_ADMIN, TEST_IMAGE, RunningOperator
from .helpers import (
    ScheduledJobs,
    events_for,
    plain_cronjob,
    read_or_none,
    scheduledjob,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("operator")


@pytest.fixture
def jobs(api_client: Any, namespace: str) -> ScheduledJobs:
    """ScheduledJobs in the test's namespace."""
    return ScheduledJobs(api_client, namespace)


def _cronjob(api_client: Any, namespace: str, name: str) -> Any:
    return read_or_none(
        lambda: client.BatchV1Api(api_client).read_namespaced_cron_job(name, namespace)
    )


def _env(cron_job: Any) -> dict[str, Any]:
    container = cron_job.spec.job_template.spec.template.spec.containers[0]
    return {item.name: item.value for item in container.env}


def test_creates_a_cronjob_owned_by_the_scheduledjob(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """A new ScheduledJob gets its CronJob, an owner reference, labels and Ready=True."""
    created = jobs.create(
        scheduledjob("cleanup", context={"tenantId": 42}, data={"BatchSize": 100})
    )
    ready = jobs.wait_ready("cleanup")
    cron_job = _cronjob(api_client, namespace, "cleanup")
    assert created["metadata"]["uid"] == cron_job.metadata.owner_references[0].uid
    assert "cleanup" == cron_job.metadata.labels[naming.SCHEDULEDJOB_LABEL]
    assert "0 2 * * *" == cron_job.spec.schedule
    env = _env(cron_job)
    assert ("DataCleanupJob", "42", DEFAULT_ADMIN) == (
        env[contract.JOB],
        env[contract.TENANT_ID],
        env[contract.APPLICATION_USER_ID],
    )
    assert {"BatchSize": 100} == json.loads(env[contract.DATA])
    assert TEST_IMAGE == cron_job.spec.job_template.spec.template.spec.containers[0].image
    status = ready["status"]
    assert ("cleanup", 1) == (status["cronJobName"], status["observedGeneration"])
    assert status["nextScheduleTime"].endswith("T02:00:00Z")
    assert "CreatedCronJob" in [
        event.reason for event in events_for(api_client, namespace, "cleanup")
    ]


def test_operator_never_writes_the_spec(api_client: Any, jobs: ScheduledJobs) -> None:
    """After reconciling, the generation is unchanged and no operator field manager owns spec."""
    jobs.create(scheduledjob("gitops"))
    ready = jobs.wait_ready("gitops")
    assert 1 == ready["metadata"]["generation"]
    for entry in ready["metadata"].get("managedFields") or []:
        if entry.get("manager") == naming.FIELD_MANAGER:
            assert "status" == entry.get("subresource"), entry
    annotations = ready["metadata"].get("annotations") or {}
    assert [] == [key for key in annotations if "kopf" in key]
    assert [] == (ready["metadata"].get("finalizers") or [])


SPEC_UPDATES = [
    ({"schedule": "*/5 * * * *"}, lambda cj: cj.spec.schedule, "*/5 * * * *"),
    ({"timeZone": "Europe/Berlin"}, lambda cj: cj.spec.time_zone, "Europe/Berlin"),
    ({"suspend": True}, lambda cj: cj.spec.suspend, True),
    ({"concurrencyPolicy": "Replace"}, lambda cj: cj.spec.concurrency_policy, "Replace"),
    ({"startingDeadlineSeconds": 90}, lambda cj: cj.spec.starting_deadline_seconds, 90),
    ({"retries": 3}, lambda cj: cj.spec.job_template.spec.backoff_limit, 3),
    ({"timeoutSeconds": 120}, lambda cj: cj.spec.job_template.spec.active_deadline_seconds, 120),
    ({"successfulRunsHistoryLimit": 7}, lambda cj: cj.spec.successful_jobs_history_limit, 7),
    ({"failedRunsHistoryLimit": 4}, lambda cj: cj.spec.failed_jobs_history_limit, 4),
    (
        {"ttlSecondsAfterFinished": 600},
        lambda cj: cj.spec.job_template.spec.ttl_seconds_after_finished,
        600,
    ),
    ({"job": "pkg.jobs:Other"}, lambda cj: _env(cj)[contract.JOB], "pkg.jobs:Other"),
    ({"data": {"Mode": "full"}}, lambda cj: json.loads(_env(cj)[contract.DATA]), {"Mode": "full"}),
    (
        {"context": {"tenantId": "t1", "applicationUserId": "u1", "correlationId": "nightly"}},
        lambda cj: [
            _env(cj)[k]
            for k in (contract.TENANT_ID, contract.APPLICATION_USER_ID, contract.CORRELATION_PREFIX)
        ],
        ["t1", "u1", "nightly"],
    ),
    (
        {"image": "registry.local/custom:2"},
        lambda cj: cj.spec.job_template.spec.template.spec.containers[0].image,
        "registry.local/custom:2",
    ),
    (
        {"resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "0.5"}}},
        lambda cj: (
            cj.spec.job_template.spec.template.spec.containers[0].resources.limits,
            cj.spec.job_template.spec.template.spec.containers[0].resources.requests,
        ),
        ({"memory": "256Mi"}, {"cpu": "500m"}),
    ),
    (
        {"serviceAccountName": "reporter"},
        lambda cj: cj.spec.job_template.spec.template.spec.service_account_name,
        "reporter",
    ),
    ({"env": [{"name": "LOG_LEVEL", "value": "debug"}]}, lambda cj: _env(cj)["LOG_LEVEL"], "debug"),
    (
        {"nodeSelector": {"pool": "batch"}},
        lambda cj: cj.spec.job_template.spec.template.spec.node_selector,
        {"pool": "batch"},
    ),
    (
        {"tolerations": [{"key": "batch", "operator": "Exists", "effect": "NoSchedule"}]},
        lambda cj: cj.spec.job_template.spec.template.spec.tolerations[0].key,
        "batch",
    ),
    (
        {"podLabels": {"team": "billing"}},
        lambda cj: cj.spec.job_template.spec.template.metadata.labels["team"],
        "billing",
    ),
    (
        {"podAnnotations": {"note": "x"}},
        lambda cj: cj.spec.job_template.spec.template.metadata.annotations,
        {"note": "x"},
    ),
]


@pytest.mark.parametrize(
    ("change", "read", "expected"), SPEC_UPDATES, ids=[next(iter(c)) for c, _, _ in SPEC_UPDATES]
)
def test_spec_updates_reach_the_cronjob(
    api_client: Any,
    namespace: str,
    jobs: ScheduledJobs,
    change: dict[str, Any],
    read: Any,
    expected: Any,
) -> None:
    """Changing a spec field updates the CronJob and the status' observedGeneration."""
    jobs.create(scheduledjob("updated"))
    jobs.wait_ready("updated")
    jobs.patch_spec("updated", change)
    ready = jobs.wait_ready("updated")
    assert 2 == ready["status"]["observedGeneration"]
    assert expected == wait_for(
        f"CronJob to show {change}",
        lambda: (
            read(_cronjob(api_client, namespace, "updated")) == expected
            and read(_cronjob(api_client, namespace, "updated"))
        ),
    )


def test_suspend_clears_the_next_schedule_time(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """A suspended ScheduledJob suspends its CronJob and shows no next run."""
    jobs.create(scheduledjob("paused", suspend=True))
    ready = jobs.wait_ready("paused")
    assert "nextScheduleTime" not in ready["status"]
    assert _cronjob(api_client, namespace, "paused").spec.suspend is True


def test_cronjob_edited_by_hand_is_restored(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """Drift repair: a hand-edited schedule and image go back to what the spec says."""
    jobs.create(scheduledjob("drift"))
    jobs.wait_ready("drift")
    batch = client.BatchV1Api(api_client)
    batch.patch_namespaced_cron_job("drift", namespace, {"spec": {"schedule": "* * * * *"}})
    wait_for(
        "the schedule to be restored",
        lambda: _cronjob(api_client, namespace, "drift").spec.schedule == "0 2 * * *",
    )


def test_deleted_cronjob_is_recreated(api_client: Any, namespace: str, jobs: ScheduledJobs) -> None:
    """Drift repair: a CronJob deleted by hand comes back with a new UID."""
    jobs.create(scheduledjob("recreated"))
    jobs.wait_ready("recreated")
    old_uid = _cronjob(api_client, namespace, "recreated").metadata.uid
    client.BatchV1Api(api_client).delete_namespaced_cron_job("recreated", namespace)
    wait_for(
        "the CronJob to be recreated",
        lambda: (
            (cron_job := _cronjob(api_client, namespace, "recreated")) is not None
            and cron_job.metadata.uid != old_uid
        ),
    )


def test_deleting_the_scheduledjob_cascades(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """Garbage collection removes the CronJob once its ScheduledJob is gone."""
    jobs.create(scheduledjob("doomed"))
    jobs.wait_ready("doomed")
    jobs.delete("doomed")
    wait_for(
        "the CronJob to be collected", lambda: _cronjob(api_client, namespace, "doomed") is None, 60
    )


def test_foreign_cronjob_is_never_touched(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """A CronJob with our name that someone else owns gives Ready=False and stays as it was."""
    batch = client.BatchV1Api(api_client)
    batch.create_namespaced_cron_job(namespace, plain_cronjob("taken", "5 5 * * *"))
    jobs.create(scheduledjob("taken"))
    ready = jobs.wait_ready("taken", status="False")
    condition = next(c for c in ready["status"]["conditions"] if c["type"] == "Ready")
    assert "CronJobConflict" == condition["reason"]
    cron_job = _cronjob(api_client, namespace, "taken")
    assert ("5 5 * * *", None) == (cron_job.spec.schedule, cron_job.metadata.owner_references)


def test_long_names_get_a_stable_short_cronjob_name(
    api_client: Any, namespace: str, jobs: ScheduledJobs
) -> None:
    """A 63-character ScheduledJob owns a CronJob whose name fits 52 characters."""
    name = "a-very-long-scheduledjob-name-that-needs-shortening-abcdefghijk"
    jobs.create(scheduledjob(name))
    ready = jobs.wait_ready(name)
    assert naming.cronjob_name(name) == ready["status"]["cronJobName"]
    assert _cronjob(api_client, namespace, naming.cronjob_name(name)) is not None


def test_operator_metrics_count_reconciles(operator: RunningOperator, jobs: ScheduledJobs) -> None:
    """/metrics exposes reconcile counts and durations."""
    jobs.create(scheduledjob("counted"))
    jobs.wait_ready("counted")
    with urllib.request.urlopen(operator.metrics_url, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    assert 'scheduledjob_operator_reconcile_total{result="success"}' in text
    assert "scheduledjob_operator_reconcile_duration_seconds_count" in text
