"""Run now, run once, missed runs: against a private control plane whose operator tests restart."""

from __future__ import annotations

import datetime
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

from kubernetes import client

from basejob import contract

from .helpers import ScheduledJobs, scheduledjob, wait_for
from .privateplane import Private, jobs, private

__all__ = ["jobs", "private"]  # fixtures used by the tests below

TESTS = Path(__file__).resolve().parents[1]
NEVER_SOON = "0 0 1 1 *"
RUN_TIMEOUT = 60.0


def _manifest(name: str, job: str = "NoOpJob", **spec: Any) -> dict[str, Any]:
    env = [{"name": "PYTHONPATH", "value": str(TESTS)}]
    return scheduledjob(name, job=f"support.sample_jobs:{job}", env=env, **spec)


def _annotate(jobs: ScheduledJobs, name: str, token: str) -> None:
    jobs.objects.patch_namespaced_custom_object(
        *jobs._args(),
        name,
        {"metadata": {"annotations": {contract.TRIGGER_ANNOTATION: token}}},
    )


def _runs(jobs: ScheduledJobs, name: str, kind: str | None = None) -> list[Any]:
    selector = f"{contract.API_GROUP}/scheduledjob={name}"
    if kind is not None:
        selector += f",{contract.RUN_KIND_LABEL}={kind}"
    batch = client.BatchV1Api(jobs.objects.api_client)
    items: list[Any] = batch.list_namespaced_job(jobs.namespace, label_selector=selector).items
    return items


def _status(jobs: ScheduledJobs, name: str) -> dict[str, Any]:
    found: dict[str, Any] = jobs.get(name).get("status") or {}
    return found


def _settle(jobs: ScheduledJobs, name: str, data: dict[str, Any]) -> None:
    """Change the spec and wait until the operator has reconciled the new generation."""
    generation = jobs.patch_spec(name, {"data": data})["metadata"]["generation"]
    wait_for(
        f"{name} generation {generation} observed",
        lambda: _status(jobs, name).get("observedGeneration") == generation,
    )


def test_a_trigger_token_starts_exactly_one_run(jobs: ScheduledJobs) -> None:
    """A new token runs once; the same token again (a GitOps re-sync) runs nothing."""
    jobs.create(_manifest("now", schedule=NEVER_SOON))
    jobs.wait_ready("now")
    _annotate(jobs, "now", "deploy-41")

    last = wait_for(
        "the triggered run to succeed",
        lambda: (
            (_status(jobs, "now").get("lastRun") or {}).get("result") == "Succeeded"
            and _status(jobs, "now")
        ),
        timeout=RUN_TIMEOUT,
    )
    [run] = _runs(jobs, "now", "manual")
    assert {"token": "deploy-41", "jobName": run.metadata.name} == {
        key: last["lastTrigger"][key] for key in ("token", "jobName")
    }
    _annotate(jobs, "now", "deploy-41")
    _settle(jobs, "now", {"Touched": 1})
    assert 1 == len(_runs(jobs, "now", "manual"))
    _annotate(jobs, "now", "deploy-42")
    wait_for("a second run", lambda: len(_runs(jobs, "now", "manual")) == 2)


def test_a_trigger_obeys_forbid_while_a_run_is_active(jobs: ScheduledJobs) -> None:
    """With a run active and concurrencyPolicy Forbid, a token is recorded but runs nothing."""
    jobs.create(_manifest("busy", "SleepyJob", schedule=NEVER_SOON, concurrencyPolicy="Forbid"))
    jobs.wait_ready("busy")
    _annotate(jobs, "busy", "first")
    wait_for("the first run active", lambda: _status(jobs, "busy").get("active"))
    _annotate(jobs, "busy", "second")

    wait_for(
        "the second token recorded",
        lambda: (_status(jobs, "busy").get("lastTrigger") or {}).get("token") == "second",
    )
    assert "jobName" not in _status(jobs, "busy")["lastTrigger"]
    assert 1 == len(_runs(jobs, "busy", "manual"))


def test_a_delayed_scheduledjob_runs_once_and_cleans_up_after_itself(
    jobs: ScheduledJobs,
) -> None:
    """delay: no CronJob, one run when due, reported in status, then deleted as asked."""
    created = jobs.create(_manifest("later", schedule=None, delay="4s", ttlSecondsAfterRun=5))
    ready = jobs.wait_ready("later")
    assert ready["status"]["oneShot"]["dueTime"] == ready["status"]["nextScheduleTime"]
    assert "cronJobName" not in ready["status"]

    done = wait_for(
        "the run to finish",
        lambda: (
            (_status(jobs, "later").get("oneShot") or {}).get("finishedTime")
            and _status(jobs, "later")
        ),
        timeout=RUN_TIMEOUT,
    )
    [run] = _runs(jobs, "later", "once")
    assert ("Succeeded", run.metadata.name) == (
        done["lastRun"]["result"],
        done["oneShot"]["jobName"],
    )
    started = run.status.start_time
    due = datetime.datetime.fromisoformat(done["oneShot"]["dueTime"].replace("Z", "+00:00"))
    assert started >= due - datetime.timedelta(seconds=1)
    uid = created["metadata"]["uid"]

    def gone() -> bool:
        try:
            return jobs.get("later")["metadata"]["uid"] != uid
        except client.exceptions.ApiException as error:
            return error.status == 404

    wait_for("the ScheduledJob to delete itself", gone, timeout=30)


def test_a_one_shot_runs_exactly_once_across_operator_restarts(
    private: Private, jobs: ScheduledJobs
) -> None:
    """Stopped just before the due time and restarted after it: one run, and no second later."""
    run_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=8)
    jobs.create(_manifest("once", schedule=None, runAt=run_at.strftime("%Y-%m-%dT%H:%M:%SZ")))
    jobs.wait_ready("once")
    private.stop_operator()
    try:
        time.sleep(max(0.0, (run_at - datetime.datetime.now(datetime.UTC)).total_seconds() + 2))
        assert [] == _runs(jobs, "once")  # nobody started it while the operator was down
    finally:
        private.start_operator()

    wait_for(
        "the run to succeed",
        lambda: (_status(jobs, "once").get("lastRun") or {}).get("result") == "Succeeded",
        timeout=RUN_TIMEOUT,
    )
    private.stop_operator()
    private.start_operator()
    _settle(jobs, "once", {"Touched": 1})
    assert 1 == len(_runs(jobs, "once"))


def test_a_missed_fire_time_raises_the_condition_and_the_counter(
    private: Private, jobs: ScheduledJobs
) -> None:
    """kube-controller-manager down across a fire time: the fire time is reported missed."""
    jobs.create(_manifest("starved", schedule="* * * * *", startingDeadlineSeconds=5))
    jobs.wait_ready("starved")
    controller_manager = private.plane.pids()["kube-controller-manager"]
    os.kill(controller_manager, signal.SIGSTOP)  # down, as far as the API server can tell
    try:
        condition = wait_for(
            "OnSchedule=False",
            lambda: (c := jobs.condition("starved", "OnSchedule")) and c["status"] == "False" and c,
            timeout=80,
        )
    finally:
        os.kill(controller_manager, signal.SIGCONT)
    assert "MissedRun" == condition["reason"]
    assert _status(jobs, "starved")["missedRuns"] >= 1
    assert private.operator is not None
    with urllib.request.urlopen(private.operator.metrics_url, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    sample = (
        f'scheduledjob_missed_runs_total{{namespace="{jobs.namespace}",scheduledjob="starved"}}'
    )
    assert sample in text


def test_a_job_quota_that_stops_runs_is_reported_as_missed_runs(
    private: Private, jobs: ScheduledJobs
) -> None:
    """A quota that forbids Jobs stops the CronJob from starting runs: missed, not silent."""
    client.CoreV1Api(private.api_client).create_namespaced_resource_quota(
        jobs.namespace,
        {"metadata": {"name": "no-jobs"}, "spec": {"hard": {"count/jobs.batch": "0"}}},
    )
    jobs.create(_manifest("quota", schedule="* * * * *", startingDeadlineSeconds=5))
    jobs.wait_ready("quota")

    wait_for(
        "OnSchedule=False",
        lambda: (c := jobs.condition("quota", "OnSchedule")) and c["status"] == "False",
        timeout=80,
    )
