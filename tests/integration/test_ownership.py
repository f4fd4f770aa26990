"""Objects the operator does not own stay untouched; names it would use are never adopted.

Against the real API server, operator and node agent: a user's Job with a run's name is a
conflict, Jobs carrying the operator's labels survive every delete path, two ScheduledJobs whose
derived names collide leave the names to the older one, and `concurrencyPolicy: Forbid` keeps
at most one run active even when a run was started by hand.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_operator.domain import oneshot

from .helpers import ScheduledJobs, read_or_none, scheduledjob, wait_for

pytestmark = pytest.mark.usefixtures("operator", "node_agent")

TESTS = Path(__file__).resolve().parents[1]
LONG = "nightly-report-for-the-tenant-with-a-long-name-0123456789abc"


def _manifest(name: str, job: str = "support.sample_jobs:NoOpJob", **spec: Any) -> dict[str, Any]:
    env = [{"name": "PYTHONPATH", "value": str(TESTS)}]
    return scheduledjob(name, job=job, env=env, **spec)


def _foreign_job(batch: client.BatchV1Api, namespace: str, name: str, owner: str) -> Any:
    """A user's suspended Job carrying the operator's labels, with no ownerReference."""
    return batch.create_namespaced_job(
        namespace,
        {
            "metadata": {"name": name, "labels": naming.owned_labels(owner)},
            "spec": {
                "suspend": True,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "registry.local/user:1"}],
                    }
                },
            },
        },
    )


def _identity(job: Any) -> tuple[Any, ...]:
    """What a writer other than the Job controller (which updates status) would change."""
    metadata = job.metadata
    return (
        metadata.uid,
        metadata.generation,
        metadata.labels,
        metadata.annotations,
        metadata.owner_references,
        metadata.deletion_timestamp,
    )


def _versions(
    batch: client.BatchV1Api, namespace: str, names: list[str]
) -> dict[str, tuple[Any, ...] | None]:
    """Each Job's identity, spec generation and metadata; None for a deleted one."""
    found = {}
    for name in names:
        job = read_or_none(lambda name=name: batch.read_namespaced_job(name, namespace))
        found[name] = _identity(job) if job is not None else None
    return found


def test_a_users_job_with_a_runs_name_is_a_conflict_and_left_alone(
    api_client: Any, namespace: str
) -> None:
    """A one-shot whose run name a user's Job holds reports JobConflict naming it, starts
    nothing, and the Job is not modified."""
    batch = client.BatchV1Api(api_client)
    jobs = ScheduledJobs(api_client, namespace)
    foreign = _foreign_job(batch, namespace, oneshot.run_name("once"), "once")
    jobs.create(_manifest("once", schedule=None, runAt="2026-01-01T00:00:00Z"))
    ready = jobs.wait_ready("once", status="False")["status"]
    condition = next(c for c in ready["conditions"] if c["type"] == "Ready")
    assert "JobConflict" == condition["reason"]
    assert "has no owner" in condition["message"]
    assert "oneShot" not in ready or "jobName" not in ready["oneShot"]
    now = batch.read_namespaced_job(foreign.metadata.name, namespace)
    assert _identity(foreign) == _identity(now)
    assert [foreign.metadata.name] == [
        j.metadata.name for j in batch.list_namespaced_job(namespace).items
    ]


def test_labelled_foreign_jobs_survive_replace_history_ttl_and_deletion(
    api_client: Any, namespace: str
) -> None:
    """Jobs with the operator's labels but no ownerReference outlive Replace, the history
    limits, a one-shot's ttlSecondsAfterRun and the deletion of the ScheduledJob."""
    batch = client.BatchV1Api(api_client)
    jobs = ScheduledJobs(api_client, namespace)
    names = ["user-a", "user-b", "user-once"]
    _foreign_job(batch, namespace, "user-a", "every-2s")
    _foreign_job(batch, namespace, "user-b", "every-2s")
    _foreign_job(batch, namespace, "user-once", "once")
    before = _versions(batch, namespace, names)
    jobs.create(
        _manifest(
            "every-2s",
            schedule="*/2 * * * * ?",
            concurrencyPolicy="Replace",
            successfulRunsHistoryLimit=0,
            failedRunsHistoryLimit=0,
        )
    )
    jobs.create(_manifest("once", schedule=None, delay="1s", ttlSecondsAfterRun=1))

    wait_for(
        "a run of every-2s",
        lambda: (jobs.get("every-2s").get("status") or {}).get("lastScheduleTime"),
        timeout=30,
    )
    wait_for(
        "the one-shot to delete itself after its run",
        lambda: read_or_none(lambda: jobs.get("once")) is None,
        timeout=60,
    )
    time.sleep(6)  # three more fire times: Replace and the history limits at work
    jobs.delete("every-2s")
    wait_for(
        "every-2s's own Jobs to be collected",
        lambda: (
            not [
                job
                for job in batch.list_namespaced_job(namespace).items
                if job.metadata.name.startswith("every-2s-")
            ]
        ),
        timeout=60,
    )
    assert before == _versions(batch, namespace, names)


def test_colliding_derived_names_leave_the_names_to_the_older(
    api_client: Any, namespace: str
) -> None:
    """A ScheduledJob named as another's shortened name is NameConflict; the older keeps its
    CronJob and a trigger on the newer starts nothing."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(_manifest(LONG))
    older = jobs.wait_ready(LONG)
    short = naming.cronjob_name(LONG)
    jobs.create(_manifest(short))
    newer = jobs.wait_ready(short, status="False")
    condition = next(c for c in newer["status"]["conditions"] if c["type"] == "Ready")
    assert ("NameConflict", True) == (condition["reason"], LONG in condition["message"])
    jobs.objects.patch_namespaced_custom_object(
        *jobs._args(), short, {"metadata": {"annotations": {contract.TRIGGER_ANNOTATION: "t1"}}}
    )
    time.sleep(3)
    batch = client.BatchV1Api(api_client)
    cron_job = batch.read_namespaced_cron_job(short, namespace)
    assert [older["metadata"]["uid"]] == [ref.uid for ref in cron_job.metadata.owner_references]
    assert [] == batch.list_namespaced_job(namespace).items
    assert "True" == jobs.condition(LONG, "Ready")["status"]  # type: ignore[index]


def test_forbid_keeps_one_run_active_when_a_run_was_started_by_hand(
    api_client: Any, namespace: str
) -> None:
    """Under Forbid, fire times during a triggered run start no second run: sampled active
    Pods never exceed one over two fire times, and the CronJob is held, then released."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(
        _manifest(
            "strict",
            job="LongRunningJob",
            schedule="* * * * *",
            concurrencyPolicy="Forbid",
            data={"DurationSeconds": 125, "StepSeconds": 5},
        )
    )
    jobs.wait_ready("strict")
    jobs.objects.patch_namespaced_custom_object(
        *jobs._args(), "strict", {"metadata": {"annotations": {contract.TRIGGER_ANNOTATION: "go"}}}
    )
    core, batch = client.CoreV1Api(api_client), client.BatchV1Api(api_client)
    selector = f"{naming.SCHEDULEDJOB_LABEL}=strict"
    most, held_seen, deadline = 0, False, time.monotonic() + 135
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(namespace, label_selector=selector).items
        active = [pod for pod in pods if pod.status.phase in {"Pending", "Running"}]
        most = max(most, len(active))
        held_seen = held_seen or bool(
            batch.read_namespaced_cron_job("strict", namespace).spec.suspend
        )
        time.sleep(0.5)
    assert (1, True) == (most, held_seen)
    wait_for(
        "the hold to be released after the triggered run",
        lambda: batch.read_namespaced_cron_job("strict", namespace).spec.suspend is False,
        timeout=60,
    )
