"""Schedules the operator starts itself: seconds, jitter, excluded dates, misfire after outages.

Against a private control plane (node agent runs the Pods) whose operator the tests stop and
start, so that outages are real: fire times pass while no operator runs.
"""

from __future__ import annotations

import datetime
import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from basejob import contract, schedules
from scheduledjob_api import naming

from .conftest import start_operator, stop_operator, wait_healthy
from .helpers import ScheduledJobs, scheduledjob, wait_for
from .privateplane import TESTS, Private, jobs, private

__all__ = ["jobs", "private"]  # fixtures used by the tests below
KEEP_ALL = {"successfulRunsHistoryLimit": 100, "failedRunsHistoryLimit": 100}


def _manifest(name: str, schedule: str | None, **spec: Any) -> dict[str, Any]:
    env = [{"name": "PYTHONPATH", "value": str(TESTS)}]
    return scheduledjob(
        name,
        job="support.sample_jobs:NoOpJob",
        env=env,
        schedule=schedule,
        concurrencyPolicy="Allow",
        **KEEP_ALL,
        **spec,
    )


def _runs(jobs: ScheduledJobs, name: str) -> list[Any]:
    batch = client.BatchV1Api(jobs.objects.api_client)
    selector = f"{contract.API_GROUP}/scheduledjob={name}"
    items: list[Any] = batch.list_namespaced_job(jobs.namespace, label_selector=selector).items
    return items


def _fire_times(jobs: ScheduledJobs, name: str) -> list[datetime.datetime]:
    """The fire time each run was started for, oldest first (one entry per Job)."""
    return sorted(
        datetime.datetime.fromisoformat(
            run.metadata.annotations[contract.FIRE_TIME_ANNOTATION].replace("Z", "+00:00")
        )
        for run in _runs(jobs, name)
    )


def _status(jobs: ScheduledJobs, name: str) -> dict[str, Any]:
    found: dict[str, Any] = jobs.get(name).get("status") or {}
    return found


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_seconds_schedule_is_started_by_the_operator_at_each_fire_time(
    jobs: ScheduledJobs,
) -> None:
    """`0/3 * * * * ?`: no CronJob; one Job per fire time, named and annotated after it."""
    jobs.create(_manifest("every-3s", "0/3 * * * * ?"))
    ready = jobs.wait_ready("every-3s")
    status = ready["status"]
    assert ("Operator", "OperatorScheduled") == (
        status["scheduledBy"],
        next(c["reason"] for c in status["conditions"] if c["type"] == "Ready"),
    )
    assert "cronJobName" not in status
    gaps = {
        (_time(later) - _time(earlier)).total_seconds()
        for earlier, later in zip(
            status["nextFireTimes"], status["nextFireTimes"][1:], strict=False
        )
    }
    assert (5, {3.0}) == (len(status["nextFireTimes"]), gaps)

    fires = wait_for(
        "four runs", lambda: len(_runs(jobs, "every-3s")) >= 4 and _fire_times(jobs, "every-3s")
    )
    assert all(fire.second % 3 == 0 for fire in fires)
    assert len(fires) == len(set(fires))
    run = next(r for r in _runs(jobs, "every-3s") if r.metadata.annotations)
    fire = _time(run.metadata.annotations[contract.FIRE_TIME_ANNOTATION])
    env = {v.name: v.value for v in run.spec.template.spec.containers[0].env}
    assert (naming.scheduled_run_name("every-3s", fire), "scheduled") == (
        run.metadata.name,
        run.metadata.labels[contract.RUN_KIND_LABEL],
    )
    assert run.metadata.annotations[contract.FIRE_TIME_ANNOTATION] == env[contract.FIRE_TIME]
    assert "ScheduledJob" == run.metadata.owner_references[0].kind
    wait_for(
        "a run to succeed",
        lambda: (_status(jobs, "every-3s").get("lastRun") or {}).get("result") == "Succeeded",
        timeout=60,
    )
    assert (
        client.BatchV1Api(jobs.objects.api_client).list_namespaced_cron_job(jobs.namespace).items
        == []
    )


def test_jitter_delays_each_run_by_a_fixed_offset(private: Private, jobs: ScheduledJobs) -> None:
    """The offset is the documented hash of namespace/name, and survives an operator restart."""
    jobs.create(_manifest("jittery", "0/10 * * * * ?", jitterSeconds=7))
    expected = schedules.jitter_seconds(f"{jobs.namespace}/jittery", 7)
    status = jobs.wait_ready("jittery")["status"]
    assert expected == status["jitterOffsetSeconds"]
    next_due = _time(status["nextScheduleTime"])
    assert (next_due - _time(status["nextFireTimes"][0])).total_seconds() == expected

    [created] = wait_for("the first run", lambda: _runs(jobs, "jittery"), timeout=30)
    fire = _time(created.metadata.annotations[contract.FIRE_TIME_ANNOTATION])
    # creationTimestamp has whole seconds: the run is created no earlier than fire + offset.
    assert created.metadata.creation_timestamp >= fire + datetime.timedelta(seconds=expected - 1)

    private.stop_operator()
    private.start_operator()
    wait_for("a run after the restart", lambda: len(_runs(jobs, "jittery")) >= 2, timeout=30)
    assert expected == _status(jobs, "jittery")["jitterOffsetSeconds"]


def test_a_schedule_whose_years_are_past_says_it_fires_no_more(jobs: ScheduledJobs) -> None:
    """`0 15 10 * * ? 2005` is valid (Ready) but OnSchedule=False: NoFutureFireTimes, no run."""
    jobs.create(_manifest("expired", "0 15 10 * * ? 2005"))
    status = jobs.wait_ready("expired")["status"]
    on_schedule = wait_for(
        "OnSchedule",
        lambda: next(
            (
                c
                for c in _status(jobs, "expired").get("conditions", [])
                if c["type"] == "OnSchedule"
            ),
            None,
        ),
    )
    assert ("False", "NoFutureFireTimes") == (on_schedule["status"], on_schedule["reason"])
    assert "0 15 10 * * ? 2005" in on_schedule["message"]
    assert ([], []) == (status.get("nextFireTimes", []), _runs(jobs, "expired"))


def test_excluded_dates_start_nothing(jobs: ScheduledJobs) -> None:
    """With today and tomorrow excluded no run starts, and the next fire times skip both."""
    today = datetime.datetime.now(datetime.UTC).date()
    excluded = [str(today), str(today + datetime.timedelta(days=1))]
    jobs.create(_manifest("holiday", "0/2 * * * * ?", excludeDates=excluded))
    status = jobs.wait_ready("holiday")["status"]
    time.sleep(6)
    assert [] == _runs(jobs, "holiday")
    first = _time(status["nextFireTimes"][0])
    assert (today + datetime.timedelta(days=2)) == first.date()


def _sleep_until_second(remainder: int, period: int) -> datetime.datetime:
    """Sleep until the wall clock's second is `remainder` modulo `period`; that instant."""
    while True:
        now = datetime.datetime.now(datetime.UTC)
        if now.second % period == remainder and now.microsecond < 500_000:
            return now
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("FireOnceNow", slice(-1, None)), ("DoNothing", slice(0, 0)), ("FireAll", slice(-2, None))],
)
def test_misfire_policy_after_an_operator_outage(
    private: Private, jobs: ScheduledJobs, policy: str, expected: slice
) -> None:
    """Fire times passed while the operator was down are started or skipped as the policy says.

    Every 6 s, threshold 1 s, FireAll capped at 2 runs. The operator is stopped for about 20 s
    and restarted 2 s after a fire time, so each missed fire time is late for sure and the next
    one is 4 s away. FireOnceNow starts the latest missed one, DoNothing none, FireAll the latest
    two; the rest count as missed. No fire time before the outage gets a second run.
    """
    name = f"misfire-{policy.lower()}"
    misfire = {"policy": policy, "thresholdSeconds": 1, "maxRuns": 2}
    jobs.create(_manifest(name, "0/6 * * * * ?", misfire=misfire))
    jobs.wait_ready(name)
    wait_for("a first run", lambda: _runs(jobs, name), timeout=30)
    private.stop_operator()
    before = _fire_times(jobs, name)
    time.sleep(16)
    restarted = _sleep_until_second(2, 6)
    private.start_operator()
    schedule = schedules.parse_schedule("0/6 * * * * ?")
    missed = [
        moment
        for moment in schedules.next_fire_times(schedule, after=before[-1], count=10)
        if moment < restarted
    ]
    assert len(missed) >= 3
    wait_for(
        "the operator to handle the outage",
        lambda: (
            _time(_status(jobs, name).get("lastFireTime", "1970-01-01T00:00:00Z")) >= missed[-1]
        ),
        timeout=30,
    )
    after = _fire_times(jobs, name)
    # The fire time after the restart is on time and starts as usual; it may or may not have
    # started when `after` is read. If the restarted operator first looked only after it (a
    # loaded machine), it was due together with the missed ones and the policy applied to that
    # due set; otherwise the policy applied to the missed ones alone.
    [next_fire] = schedules.next_fire_times(schedule, after=missed[-1], count=1)
    started_missed = [fire for fire in after if fire in missed]
    started_up_to_next = [fire for fire in after if before[-1] < fire <= next_fire]
    assert (
        started_missed == missed[expected] or started_up_to_next == [*missed, next_fire][expected]
    ), (policy, missed, after)
    assert len(after) == len(set(after))
    assert before == [fire for fire in after if fire <= before[-1]]
    skipped = len(missed) - len(missed[expected])
    assert _status(jobs, name).get("missedRuns", 0) >= skipped


def test_an_outage_shorter_than_the_threshold_gives_every_fire_time_its_run(
    private: Private, jobs: ScheduledJobs
) -> None:
    """`*/2 * * * * ?`, operator down about 8 s (threshold 60 s): each fire time of the outage
    gets its own Job after the restart, and status.missedRuns stays 0.

    Judged by which fire times have a Job (by name), not by when: on a loaded machine the
    restart may take seconds more, and the fire times are then a few seconds later still, but
    far from 60 s late.
    """
    name = "short-outage"
    jobs.create(_manifest(name, "*/2 * * * * ?"))
    jobs.wait_ready(name)
    wait_for("a first run", lambda: _runs(jobs, name), timeout=30)
    private.stop_operator()
    before = _fire_times(jobs, name)
    time.sleep(8)
    restarted = datetime.datetime.now(datetime.UTC)
    private.start_operator()
    schedule = schedules.parse_schedule("*/2 * * * * ?")
    outage = [
        moment
        for moment in schedules.next_fire_times(schedule, after=before[-1], count=30)
        if moment <= restarted
    ]
    assert len(outage) >= 4
    wanted = {naming.scheduled_run_name(name, fire) for fire in outage}
    wait_for(
        "a Job for each fire time of the outage",
        lambda: wanted <= {run.metadata.name for run in _runs(jobs, name)},
        timeout=30,
    )
    status = wait_for(
        "the status to record the outage as handled",
        lambda: (
            (found := _status(jobs, name))
            and _time(found.get("lastFireTime", "1970-01-01T00:00:00Z")) >= outage[-1]
            and found
        ),
        timeout=30,
    )
    assert 0 == status.get("missedRuns", 0)
    fires = _fire_times(jobs, name)
    assert len(fires) == len(set(fires))


def test_two_operators_at_once_start_each_fire_time_exactly_once(
    private: Private, jobs: ScheduledJobs, tmp_path: Path
) -> None:
    """Even without leader election, two replicas never start a fire time twice or skip one,
    never make two CronJobs for one ScheduledJob, never start a one-shot twice."""
    second = start_operator(private.kubeconfig, tmp_path / "second.log")
    try:
        wait_healthy(second)
        jobs.create(_manifest("twice", "0/2 * * * * ?"))
        jobs.create(_manifest("cron-twice", "0 1 * * *"))
        jobs.create(_manifest("once-twice", None, delay="2s"))
        jobs.wait_ready("twice")
        wait_for("six runs", lambda: len(_runs(jobs, "twice")) >= 6, timeout=40)
        wait_for("the one-shot's run", lambda: _runs(jobs, "once-twice"), timeout=30)
    finally:
        assert 0 == stop_operator(second)
    batch = client.BatchV1Api(jobs.objects.api_client)
    cronjobs = [cj.metadata.name for cj in batch.list_namespaced_cron_job(jobs.namespace).items]
    assert (["cron-twice"], 1) == (cronjobs, len(_runs(jobs, "once-twice")))
    fires = _fire_times(jobs, "twice")
    gaps = {(later - earlier).total_seconds() for earlier, later in itertools.pairwise(fires)}
    assert ({2.0}, len(fires)) == (gaps, len(set(fires)))
    logs = [second.log_path, *sorted(private.log_dir.glob("operator-*.log"))]
    announced = sum(
        1
        for log in logs
        for line in log.read_text().splitlines()
        if '"Started run"' in line and '"scheduledjob": "twice"' in line
    )
    assert len(fires) <= announced <= len(_runs(jobs, "twice"))
