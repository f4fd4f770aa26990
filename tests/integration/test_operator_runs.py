"""Runs show up in status and Events: correlation ID, result, error type, Kubernetes reason.

There is no kubelet here, so a test plays its part: it starts a run the way
`kubectl create job --from=cronjob/...` does and then sets the Pod's final status (phase,
exit code, termination message) as a kubelet would. The Job controller, the Pod failure
policy and the operator then react for real.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from kubernetes import client

from basejob import contract

from .helpers import ScheduledJobs, events_for, scheduledjob, start_run, wait_for

pytestmark = pytest.mark.usefixtures("operator")


def finish_pod(
    api_client: Any, namespace: str, job_name: str, *, exit_code: int, message: str = ""
) -> None:
    """Set the run's Pod to Succeeded or Failed with `exit_code`, as a kubelet would."""
    core = client.CoreV1Api(api_client)
    pod = wait_for(
        f"a Pod for {job_name}",
        lambda: (
            core.list_namespaced_pod(
                namespace, label_selector=f"batch.kubernetes.io/job-name={job_name}"
            ).items
        ),
    )[0]
    container = pod.spec.containers[0]
    terminated = {
        "exitCode": exit_code,
        "reason": "Completed" if exit_code == 0 else "Error",
        "message": message,
        "startedAt": "2026-01-01T00:00:00Z",
        "finishedAt": "2026-01-01T00:00:02Z",
    }
    core.patch_namespaced_pod_status(
        pod.metadata.name,
        namespace,
        {
            "status": {
                "phase": "Succeeded" if exit_code == 0 else "Failed",
                "containerStatuses": [
                    {
                        "name": container.name,
                        "image": container.image,
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": terminated},
                    }
                ],
            }
        },
    )


def _last_run(jobs: ScheduledJobs, name: str, job_name: str) -> dict[str, Any] | None:
    last = (jobs.get(name).get("status") or {}).get("lastRun") or {}
    return last if last.get("jobName") == job_name else None


def test_succeeded_run_lands_in_last_run_with_its_correlation_id(
    api_client: Any, namespace: str
) -> None:
    """A succeeded Job gives lastRun Succeeded, the contract's correlation ID and an Event."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("nightly", context={"correlationId": "nightly-report"}))
    jobs.wait_ready("nightly")
    job = start_run(api_client, namespace, "nightly", "nightly-manual-1")
    finish_pod(api_client, namespace, "nightly-manual-1", exit_code=0)

    last = wait_for(
        "lastRun to show the run", lambda: _last_run(jobs, "nightly", "nightly-manual-1"), 60
    )
    assert "Succeeded" == last["result"]
    assert contract.correlation_id("nightly-report", job.metadata.uid) == last["correlationId"]
    assert last["durationSeconds"] >= 0
    status = jobs.get("nightly")["status"]
    assert "lastSuccessfulTime" in status
    assert [] == status["active"]
    reasons = wait_for(
        "a RunSucceeded event",
        lambda: [
            e for e in events_for(api_client, namespace, "nightly") if e.reason == "RunSucceeded"
        ],
    )
    assert last["correlationId"] in reasons[0].message


def test_fatal_failure_fails_the_job_at_once_and_reports_the_error_type(
    api_client: Any, namespace: str
) -> None:
    """Exit code 78 fails the Job via the Pod failure policy; lastRun has the error type."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("fragile", retries=3))
    jobs.wait_ready("fragile")
    start_run(api_client, namespace, "fragile", "fragile-manual-1")
    summary = json.dumps(
        {
            "result": "failed",
            "errorType": "InvalidParameterError",
            "message": "BatchSize must be > 0",
        }
    )
    finish_pod(
        api_client, namespace, "fragile-manual-1", exit_code=contract.EXIT_FATAL, message=summary
    )

    last = wait_for(
        "lastRun to show the failure", lambda: _last_run(jobs, "fragile", "fragile-manual-1"), 60
    )
    assert ("Failed", "InvalidParameterError", "PodFailurePolicy") == (
        last["result"],
        last["errorType"],
        last["reason"],
    )
    assert "BatchSize must be > 0" == last["message"]
    events = wait_for(
        "a RunFailed warning",
        lambda: [
            e for e in events_for(api_client, namespace, "fragile") if e.reason == "RunFailed"
        ],
    )
    assert "Warning" == events[0].type
    assert "InvalidParameterError" in events[0].message
    # Retries were left (3) but the fatal code stopped the Job after one Pod.
    pods = (
        client.CoreV1Api(api_client)
        .list_namespaced_pod(
            namespace, label_selector="batch.kubernetes.io/job-name=fragile-manual-1"
        )
        .items
    )
    assert 1 == len(pods)


def test_transient_failure_is_retried_within_retries(api_client: Any, namespace: str) -> None:
    """Exit code 75 counts against retries: the Job creates a second Pod."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("flaky", retries=1))
    jobs.wait_ready("flaky")
    start_run(api_client, namespace, "flaky", "flaky-manual-1")
    finish_pod(api_client, namespace, "flaky-manual-1", exit_code=contract.EXIT_TRANSIENT)
    core = client.CoreV1Api(api_client)
    wait_for(
        "a retry Pod",
        lambda: (
            len(
                core.list_namespaced_pod(
                    namespace, label_selector="batch.kubernetes.io/job-name=flaky-manual-1"
                ).items
            )
            == 2
        ),
        60,
    )
    active = jobs.get("flaky")["status"]["active"]
    assert ["flaky-manual-1"] == [run["jobName"] for run in active]


def test_scheduled_run_appears_as_active_with_its_correlation_id(
    api_client: Any, namespace: str
) -> None:
    """An every-minute schedule: the CronJob controller starts a Job and status lists it."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("minutely", schedule="* * * * *"))
    jobs.wait_ready("minutely")

    def active_run() -> dict[str, Any] | None:
        current = jobs.get("minutely").get("status") or {}
        return current if current.get("active") and current.get("lastScheduleTime") else None

    current = wait_for("a scheduled run in status", active_run, 90)
    run = current["active"][0]
    job = client.BatchV1Api(api_client).read_namespaced_job(run["jobName"], namespace)
    assert contract.correlation_id("minutely", job.metadata.uid) == run["correlationId"]
    # The CronJob controller names a scheduled Job after its fire time, in minutes.
    fire_minute = int(run["jobName"].rsplit("-", 1)[1])
    scheduled = current["lastScheduleTime"]
    assert fire_minute * 60 == int(
        datetime.datetime.fromisoformat(scheduled.replace("Z", "+00:00")).timestamp()
    )
