"""Run control, the pure parts: one-shot due times, trigger tokens, missed fire times, counters."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from basejob import contract, schedules
from scheduledjob_api import durations
from scheduledjob_api.runs import Run
from scheduledjob_api.v1alpha1 import ScheduledJobSpec
from scheduledjob_operator.domain import missed, oneshot, triggers
from scheduledjob_operator.domain.builders.job import build_run, job_template
from scheduledjob_operator.domain.builders.owners import Owner
from scheduledjob_operator.domain.builders.runsettings import RunSettings
from scheduledjob_operator.machinery.kube import merge_patch
from scheduledjob_operator.telemetry.run_metrics import RunCounters

UTC = datetime.UTC
CREATED = datetime.datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
OWNER = Owner(name="nightly", namespace="team-a", uid="0f9c8d6e-1111-2222-3333-444455556666")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2h", 7200)]
)
def test_durations_read_like_kubectl_writes_them(text: str, seconds: int) -> None:
    """90s, 10m, 1h30m."""
    assert datetime.timedelta(seconds=seconds) == durations.parse_duration(text)


@pytest.mark.parametrize("text", ["", "10", "m", "1d", "-5s", "10m5"])
def test_malformed_durations_are_refused(text: str) -> None:
    """Anything else is a ValueError naming the text."""
    with pytest.raises(ValueError, match="is not a duration"):
        durations.parse_duration(text)


def test_due_time_is_run_at_or_creation_plus_delay() -> None:
    """runAt wins as given (in UTC); delay counts from creation."""
    at = datetime.datetime(
        2026, 12, 24, 18, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert datetime.datetime(2026, 12, 24, 17, 0, tzinfo=UTC) == oneshot.due_time(
        ScheduledJobSpec(job="NoOpJob", run_at=at), CREATED
    )
    assert CREATED + datetime.timedelta(minutes=10) == oneshot.due_time(
        ScheduledJobSpec(job="NoOpJob", delay="10m"), CREATED
    )


def _body(annotations: dict[str, str], last_token: str | None = None) -> dict[str, Any]:
    status = (
        {"lastTrigger": {"token": last_token, "time": "2026-03-01T00:00:00Z"}} if last_token else {}
    )
    return {"metadata": {"name": "nightly", "annotations": annotations}, "status": status}


@pytest.mark.parametrize(
    ("annotations", "handled", "expected"),
    [
        ({}, None, None),
        ({contract.TRIGGER_ANNOTATION: "t1"}, None, "t1"),
        ({contract.TRIGGER_ANNOTATION: "t1"}, "t1", None),
        ({contract.TRIGGER_ANNOTATION: "t2"}, "t1", "t2"),
        ({contract.TRIGGER_ANNOTATION: ""}, None, None),
    ],
)
def test_only_a_token_not_yet_handled_is_pending(
    annotations: dict[str, str], handled: str | None, expected: str | None
) -> None:
    """A new value is pending; the value status.lastTrigger records is not."""
    assert expected == triggers.pending_token(_body(annotations, handled))


def test_triggered_run_names_are_stable_distinct_and_valid_labels() -> None:
    """Same token, same name; another token, another name; at most 63 characters."""
    long_name = "x" * 253
    names = {triggers.run_name("nightly", token) for token in ("a", "a", "b")}
    assert 2 == len(names)
    assert len(triggers.run_name(long_name, "a")) <= 63
    assert len(oneshot.run_name(long_name)) <= 63


def test_a_run_built_from_the_template_is_labelled_and_continues_the_trace() -> None:
    """Kind label on Job and Pod; TRACEPARENT in the container; the template is untouched."""
    spec = ScheduledJobSpec(job="NoOpJob", schedule="0 2 * * *")
    template = job_template(
        spec,
        owner=OWNER,
        schedule="0 2 * * *",
        settings=RunSettings(default_image="registry.local/scheduledjob:test"),
    )
    before = repr(template)
    job = build_run(
        template,
        name="nightly-m1234",
        namespace="team-a",
        owner_reference={"kind": "CronJob", "name": "nightly", "uid": "u"},
        kind="manual",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    env = {
        v["name"]: v.get("value") for v in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert ("manual", "manual") == (
        job["metadata"]["labels"][contract.RUN_KIND_LABEL],
        pod_labels[contract.RUN_KIND_LABEL],
    )
    assert env["TRACEPARENT"].startswith("00-4bf92f")
    assert before == repr(template)


HOURLY = schedules.parse_schedule("0 * * * *")


def _minute(moment: datetime.datetime) -> int:
    return int(moment.timestamp()) // 60


def test_fire_times_with_a_run_are_honoured_and_others_missed() -> None:
    """Three hourly fire times: runs for 11:00 and 13:00, none for 12:00."""
    runs = {_minute(CREATED.replace(hour=h)) for h in (11, 13)}
    found = missed.check(
        HOURLY,
        time_zone="UTC",
        since=CREATED,
        now=CREATED.replace(hour=13, minute=5),
        started_minutes=runs,
        last_schedule_time=None,
    )
    assert (CREATED.replace(hour=12),) == found.missed
    assert (CREATED.replace(hour=13), True) == (found.last_checked, found.latest_honoured)
    assert CREATED.replace(hour=14, minute=1) == found.next_check


def test_a_fire_time_inside_the_grace_is_not_judged_yet() -> None:
    """13:00 at 13:00:30 with a minute's grace: not examined, checked again at 13:01."""
    found = missed.check(
        HOURLY,
        time_zone="UTC",
        since=CREATED.replace(hour=12, minute=30),
        now=CREATED.replace(hour=13, second=30),
        started_minutes=set(),
        last_schedule_time=None,
    )
    assert ((), None, None) == (found.missed, found.last_checked, found.latest_honoured)
    assert CREATED.replace(hour=13, minute=1) == found.next_check


def test_last_schedule_time_covers_runs_removed_by_history_limits() -> None:
    """No Job left, but the CronJob says it scheduled 12:00: nothing missed."""
    found = missed.check(
        HOURLY,
        time_zone="UTC",
        since=CREATED,
        now=CREATED.replace(hour=12, minute=5),
        started_minutes=set(),
        last_schedule_time=CREATED.replace(hour=12),
    )
    assert () == found.missed


def test_a_long_outage_is_examined_in_bounded_steps() -> None:
    """Every minute for a week: at most the cap per check, the rest next time."""
    every_minute = schedules.parse_schedule("* * * * *")
    found = missed.check(
        every_minute,
        time_zone="UTC",
        since=CREATED,
        now=CREATED + datetime.timedelta(days=7),
        started_minutes=set(),
        last_schedule_time=None,
    )
    assert missed.MAX_FIRE_TIMES_PER_CHECK == len(found.missed)


def test_fire_minutes_come_from_cronjob_job_names() -> None:
    """<cronjob>-<minutes> counts; manual and one-shot names do not."""
    assert {29931871} == missed.fire_minutes(["nightly-29931871", "nightly-mab12cd34", "x-once"])


def test_grace_is_the_starting_deadline_or_a_minute() -> None:
    """startingDeadlineSeconds bounds how late a run may start."""
    assert (datetime.timedelta(seconds=10), missed.DEFAULT_GRACE) == (
        missed.grace_for(10),
        missed.grace_for(None),
    )


def test_merge_patch_nulls_keys_that_went_away_at_any_depth() -> None:
    """A smaller nested object loses its stale keys; unchanged keys are not sent."""
    old = {"a": 1, "lastTrigger": {"token": "t1", "jobName": "j1"}, "gone": True}
    new = {"a": 1, "lastTrigger": {"token": "t2"}}
    assert {"gone": None, "lastTrigger": {"token": "t2", "jobName": None}} == merge_patch(old, new)


def _run(
    uid: str, result: str | None, finished: datetime.datetime | None, reason: str | None = None
) -> Run:
    return Run(
        job_name=f"job-{uid}",
        uid=uid,
        start_time=None,
        finish_time=finished,
        result=result,  # type: ignore[arg-type]
        reason=reason,
        message=None,
    )


def test_runs_are_counted_once_and_only_after_the_process_started() -> None:
    """A run finished before start is history; each later one counts once, by result."""
    registry = CollectorRegistry()
    counters = RunCounters(registry, started=CREATED)
    later = CREATED + datetime.timedelta(minutes=1)
    runs = [
        _run("old", "Succeeded", CREATED - datetime.timedelta(minutes=1)),
        _run("ok", "Succeeded", later),
        _run("slow", "Failed", later, reason="DeadlineExceeded"),
        _run("active", None, None),
    ]
    for _ in range(2):
        counters.count_finished(("team-a", "nightly"), "NoOpJob", runs)

    def value(result: str) -> float | None:
        labels = {"namespace": "team-a", "scheduledjob": "nightly", "job_name": "NoOpJob"}
        return registry.get_sample_value("scheduledjob_runs_total", {**labels, "result": result})

    assert (1.0, 1.0, None) == (value("succeeded"), value("deadline_exceeded"), value("failed"))
    counters.forget(("team-a", "nightly"))
    assert value("succeeded") is None
