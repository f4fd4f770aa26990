"""Reconcile at the edges: foreign objects, colliding names, refusals, failures, strict Forbid.

Against the in-memory API server (support.memory_cluster); the same behaviours are checked
against the real one in tests/integration/test_ownership.py.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from basejob import contract
from scheduledjob_api import naming
from scheduledjob_operator.domain import oneshot, triggers
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.reconcile.reconciler import Reconciler
from support.memory_cluster import MemoryCluster, Write

NAMESPACE = "team-a"
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
SETTINGS = RunSettings(default_image="registry.local/scheduledjob:test")


def _scheduledjob(name: str, created: str = "2026-03-01T00:00:00Z", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "jobs.connectflow.io/v1alpha1",
        "kind": "ScheduledJob",
        "metadata": {"name": name, "namespace": NAMESPACE, "creationTimestamp": created},
        "spec": {"job": "DataCleanupJob", **(spec or {"schedule": "0 2 * * *"})},
    }


def _foreign_job(name: str, scheduledjob: str, **metadata: Any) -> dict[str, Any]:
    """A user's Job carrying the operator's labels and no ownerReference."""
    return {
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": naming.owned_labels(scheduledjob),
            **metadata,
        },
        "spec": {"template": {}},
    }


def _ready(cluster: MemoryCluster, name: str) -> dict[str, Any]:
    body = cluster.get("scheduledjobs", NAMESPACE, name)
    assert body is not None
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    return conditions["Ready"]


def _reconcile(cluster: MemoryCluster, name: str, now: datetime.datetime = NOW) -> str:
    body = cluster.get("scheduledjobs", NAMESPACE, name)
    assert body is not None
    return Reconciler(cluster, SETTINGS).reconcile(body, now=now).result


def test_a_foreign_job_with_the_one_shot_name_is_a_conflict_never_the_run() -> None:
    """A user's Job named as the one-shot's run is reported, left alone, and not taken for it."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _scheduledjob("once", delay="1s"))
    foreign = cluster.put("jobs", _foreign_job(oneshot.run_name("once"), "once"))
    assert "conflict" == _reconcile(cluster, "once")
    ready = _ready(cluster, "once")
    assert ("False", "JobConflict") == (ready["status"], ready["reason"])
    assert "has no owner" in ready["message"]
    assert foreign == cluster.get("jobs", NAMESPACE, oneshot.run_name("once"))
    status = cluster.get("scheduledjobs", NAMESPACE, "once")["status"]  # type: ignore[index]
    assert "oneShot" not in status
    assert ["JobConflict"] == [e.reason for e in cluster.events if e.type == "Warning"]


def test_a_foreign_job_with_a_trigger_run_name_is_a_conflict() -> None:
    """A user's Job named as a trigger's run is not adopted: JobConflict, token not handled."""
    cluster = MemoryCluster()
    body = _scheduledjob("nightly")
    body["metadata"]["annotations"] = {contract.TRIGGER_ANNOTATION: "t-1"}
    cluster.put("scheduledjobs", body)
    foreign = cluster.put("jobs", _foreign_job(triggers.run_name("nightly", "t-1"), "nightly"))
    assert "conflict" == _reconcile(cluster, "nightly")
    assert "JobConflict" == _ready(cluster, "nightly")["reason"]
    assert foreign == cluster.get("jobs", NAMESPACE, foreign["metadata"]["name"])


def test_our_own_job_of_that_name_is_the_run_started_before() -> None:
    """A Job of the run's name that we own (a restart after create) is the run: no conflict."""
    cluster = MemoryCluster()
    sj = cluster.put("scheduledjobs", _scheduledjob("once", delay="1s"))
    owner = {"kind": "ScheduledJob", "name": "once", "uid": sj["metadata"]["uid"]}
    cluster.put("jobs", _foreign_job(oneshot.run_name("once"), "once", ownerReferences=[owner]))
    assert "success" == _reconcile(cluster, "once")
    status = cluster.get("scheduledjobs", NAMESPACE, "once")["status"]  # type: ignore[index]
    assert oneshot.run_name("once") == status["oneShot"]["jobName"]


@pytest.mark.parametrize("policy", ["Replace", "Forbid", "Allow"])
def test_foreign_labelled_jobs_survive_replace_and_history_trimming(policy: str) -> None:
    """Jobs with our labels but no ownerReference are never deleted: not by Replace, not by
    the history limits of an operator-started schedule, and they are not counted as runs."""
    cluster = MemoryCluster()
    cluster.put(
        "scheduledjobs",
        _scheduledjob(
            "every-second",
            schedule="* * * * * ?",
            concurrencyPolicy=policy,
            successfulRunsHistoryLimit=0,
            failedRunsHistoryLimit=0,
        ),
    )
    for index in range(3):
        cluster.put("jobs", _foreign_job(f"user-job-{index}", "every-second"))
    cluster.finish_job(NAMESPACE, "user-job-1")
    cluster.finish_job(NAMESPACE, "user-job-2", "Failed")
    for second in range(5):
        _reconcile(cluster, "every-second", NOW + datetime.timedelta(seconds=second))
    deleted = [w.name for w in cluster.writes if w.verb == "delete"]
    assert not any(name.startswith("user-job") for name in deleted)
    assert {f"user-job-{i}" for i in range(3)} <= {key[1] for key in cluster.objects["jobs"]}
    status = cluster.get("scheduledjobs", NAMESPACE, "every-second")["status"]  # type: ignore[index]
    assert not any(run["jobName"].startswith("user-job") for run in status["active"])


def test_replace_deletes_our_own_active_run() -> None:
    """The uid check does not stop Replace from replacing a run that really is ours."""
    cluster = MemoryCluster()
    cluster.put(
        "scheduledjobs",
        _scheduledjob("every-second", schedule="* * * * * ?", concurrencyPolicy="Replace"),
    )
    _reconcile(cluster, "every-second", NOW)
    first = [w.name for w in cluster.writes if w.verb == "create" and w.kind == "jobs"]
    _reconcile(cluster, "every-second", NOW + datetime.timedelta(seconds=2))
    assert [w.name for w in cluster.writes if w.verb == "delete"] == first[-1:]


LONG = "nightly-report-for-the-tenant-with-a-long-name-0123456789abc"


@pytest.mark.parametrize(
    ("older", "newer"),
    [(LONG, naming.cronjob_name(LONG)), (naming.cronjob_name(LONG), LONG)],
    ids=["long-first", "short-first"],
)
def test_colliding_derived_names_are_a_conflict_on_the_newer(older: str, newer: str) -> None:
    """A short name equal to another's shortened one: the newer starts nothing, says why."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _scheduledjob(older, created="2026-03-01T00:00:00Z"))
    cluster.put("scheduledjobs", _scheduledjob(newer, created="2026-03-01T00:00:05Z"))
    assert "conflict" == _reconcile(cluster, newer)
    assert "success" == _reconcile(cluster, older)
    ready = _ready(cluster, newer)
    assert ("False", "NameConflict") == (ready["status"], ready["reason"])
    assert older in ready["message"]
    assert "True" == _ready(cluster, older)["status"]
    cron_job = cluster.get("cronjobs", NAMESPACE, naming.cronjob_name(LONG))
    assert cron_job is not None
    older_uid = cluster.get("scheduledjobs", NAMESPACE, older)["metadata"]["uid"]  # type: ignore[index]
    assert older_uid == cron_job["metadata"]["ownerReferences"][0]["uid"]


def test_the_newer_gives_up_a_cronjob_it_made_before_it_saw_the_older() -> None:
    """The newer of two colliding ScheduledJobs deletes the CronJob it made (it is its own), so
    the older can take the names."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _scheduledjob(LONG, created="2026-03-01T00:00:05Z"))
    assert "success" == _reconcile(cluster, LONG)  # alone so far
    cluster.put(
        "scheduledjobs", _scheduledjob(naming.cronjob_name(LONG), created="2026-03-01T00:00:00Z")
    )
    assert "conflict" == _reconcile(cluster, LONG)
    assert Write("delete", "cronjobs", naming.cronjob_name(LONG)) in cluster.writes
    assert "success" == _reconcile(cluster, naming.cronjob_name(LONG))


def test_a_cronjob_conflict_names_the_actual_owner() -> None:
    """CronJobConflict says who owns the CronJob in the way."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _scheduledjob("nightly"))
    owner = {"kind": "Deployment", "name": "legacy", "uid": "u-9", "controller": True}
    cluster.put(
        "cronjobs",
        {"metadata": {"name": "nightly", "namespace": NAMESPACE, "ownerReferences": [owner]}},
    )
    assert "conflict" == _reconcile(cluster, "nightly")
    ready = _ready(cluster, "nightly")
    assert "CronJobConflict" == ready["reason"]
    assert "is owned by Deployment legacy (uid u-9)" in ready["message"]


@pytest.mark.parametrize(
    "spec",
    [
        {"delay": "1s"},
        {"schedule": "*/5 * * * * ?"},
        {"schedule": "0 2 * * *", "jitterSeconds": 5},
    ],
    ids=["one-shot", "seconds-schedule", "jitter"],
)
def test_a_run_the_api_server_refuses_is_reported_not_ready(spec: dict[str, Any]) -> None:
    """Runs the operator starts itself are dry-run first: a refusal is Ready=False with the
    API server's message, a Warning Event, and no run."""
    cluster = MemoryCluster(
        refuse=lambda kind, body: (
            "Job.batch is invalid: spec.template: nope" if kind == "jobs" else None
        )
    )
    cluster.put("scheduledjobs", _scheduledjob("refused", **spec))
    assert "invalid" == _reconcile(cluster, "refused")
    ready = _ready(cluster, "refused")
    assert ("False", "RefusedByAPIServer") == (ready["status"], ready["reason"])
    assert "422 Job.batch is invalid: spec.template: nope" in ready["message"]
    assert [] == [w for w in cluster.writes if w.kind == "jobs"]
    assert "RefusedByAPIServer" in [e.reason for e in cluster.events if e.type == "Warning"]


def test_a_refused_cronjob_is_reported_not_retried() -> None:
    """A CronJob create answered 422 is a spec problem: Ready=False, not an exception."""
    cluster = MemoryCluster(
        refuse=lambda kind, body: "CronJob.batch is invalid" if kind == "cronjobs" else None
    )
    cluster.put("scheduledjobs", _scheduledjob("nightly"))
    assert "invalid" == _reconcile(cluster, "nightly")
    assert "RefusedByAPIServer" == _ready(cluster, "nightly")["reason"]


def test_an_error_in_the_operators_own_logic_is_reported_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Arithmetic that fails on a value (OverflowError) ends as Ready=False ReconcileFailed
    with a Warning Event, not as an exception retried forever."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _scheduledjob("once", delay="1s"))

    def overflow(*_: Any) -> datetime.datetime:
        message = "date value out of range"
        raise OverflowError(message)

    monkeypatch.setattr(oneshot, "due_time", overflow)
    assert "failed" == _reconcile(cluster, "once")
    ready = _ready(cluster, "once")
    assert ("False", "ReconcileFailed") == (ready["status"], ready["reason"])
    assert "OverflowError: date value out of range" in ready["message"]
    assert ["ReconcileFailed"] == [e.reason for e in cluster.events if e.type == "Warning"]
    writes = len(cluster.writes)
    assert "failed" == _reconcile(cluster, "once")  # again: same status, nothing written
    assert writes == len(cluster.writes)


# -- strict Forbid ------------------------------------------------------------------------------


def _cron_spec(name: str) -> dict[str, Any]:
    return _scheduledjob(name, schedule="* * * * *", concurrencyPolicy="Forbid")


def test_a_triggered_run_suspends_the_cronjob_before_it_starts_and_until_it_ends() -> None:
    """Under Forbid the CronJob is held while a run it did not start is active, and the hold
    is taken before the triggered run is created."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _cron_spec("nightly"))
    _reconcile(cluster, "nightly")
    body = cluster.get("scheduledjobs", NAMESPACE, "nightly")
    assert body is not None
    body["metadata"]["annotations"] = {contract.TRIGGER_ANNOTATION: "t-1"}
    cluster.objects["scheduledjobs"][(NAMESPACE, "nightly")] = body
    before = len(cluster.writes)
    _reconcile(cluster, "nightly")
    run_name = triggers.run_name("nightly", "t-1")
    assert [Write("replace", "cronjobs", "nightly"), Write("create", "jobs", run_name)] == [
        w for w in cluster.writes[before:] if w.kind != "scheduledjobs"
    ]
    assert cluster.get("cronjobs", NAMESPACE, "nightly")["spec"]["suspend"] is True  # type: ignore[index]
    assert "suspended while run" in _reconcile_message(cluster)
    cluster.finish_job(NAMESPACE, run_name)
    _reconcile(cluster, "nightly")
    assert cluster.get("cronjobs", NAMESPACE, "nightly")["spec"]["suspend"] is False  # type: ignore[index]


def _reconcile_message(cluster: MemoryCluster) -> str:
    _reconcile(cluster, "nightly")
    return str(_ready(cluster, "nightly")["message"])


@pytest.mark.parametrize(
    ("policy", "by_cronjob", "held"),
    [("Forbid", False, True), ("Forbid", True, False), ("Allow", False, False)],
    ids=["by-hand-forbid", "cronjob-run", "allow"],
)
def test_the_hold_is_for_runs_the_cronjob_did_not_start_under_forbid(
    policy: str, by_cronjob: bool, held: bool
) -> None:
    """A `kubectl create job --from` run holds the CronJob under Forbid; the CronJob's own
    runs and other policies do not."""
    cluster = MemoryCluster()
    cluster.put(
        "scheduledjobs", _scheduledjob("nightly", schedule="* * * * *", concurrencyPolicy=policy)
    )
    _reconcile(cluster, "nightly")
    cron_job = cluster.get("cronjobs", NAMESPACE, "nightly")
    assert cron_job is not None
    owner = {"kind": "CronJob", "name": "nightly", "uid": cron_job["metadata"]["uid"]}
    annotations = (
        {"batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-03-01T11:59:00Z"}
        if by_cronjob
        else {"cronjob.kubernetes.io/instantiate": "manual"}
    )
    cluster.put(
        "jobs",
        _foreign_job(
            "nightly-by-hand", "nightly", ownerReferences=[owner], annotations=annotations
        ),
    )
    _reconcile(cluster, "nightly")
    assert held == cluster.get("cronjobs", NAMESPACE, "nightly")["spec"]["suspend"]  # type: ignore[index]


def test_a_foreign_labelled_job_holds_nothing() -> None:
    """An unowned Job with our labels is not a run: it neither holds the CronJob nor shows."""
    cluster = MemoryCluster()
    cluster.put("scheduledjobs", _cron_spec("nightly"))
    cluster.put("jobs", _foreign_job("user-job", "nightly"))
    _reconcile(cluster, "nightly")
    assert cluster.get("cronjobs", NAMESPACE, "nightly")["spec"]["suspend"] is False  # type: ignore[index]
