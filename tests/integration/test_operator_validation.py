"""Bad input is refused at admission where Kubernetes can, otherwise reported precisely.

Either way nothing else is harmed: no CronJob for an invalid spec, no hot loop, and other
ScheduledJobs keep working.
"""

from __future__ import annotations

import datetime
import json
import time
import zoneinfo
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from .helpers import ScheduledJobs, events_for, read_or_none, scheduledjob, wait_for
from .test_operator_runs import start_run

pytestmark = pytest.mark.usefixtures("operator")

REFUSED_AT_ADMISSION = [
    (
        "user-without-tenant",
        {"context": {"applicationUserId": 7}},
        "applicationUserId needs tenantId",
    ),
    (
        "both-refs",
        {
            "dataFrom": [
                {
                    "key": "k",
                    "secretKeyRef": {"name": "s", "key": "k"},
                    "configMapKeyRef": {"name": "c", "key": "k"},
                }
            ]
        },
        "exactly one of secretKeyRef",
    ),
    ("reserved-env", {"env": [{"name": "BASEJOB_JOB", "value": "x"}]}, "reserved for the runtime"),
    ("bad-policy", {"concurrencyPolicy": "Sometimes"}, "Unsupported value"),
    ("too-many-retries", {"retries": 11}, "should be less than or equal to 10"),
    ("two-field-schedule", {"schedule": "0 2"}, "spec.schedule"),
    ("bad-job-name", {"job": "rm -rf /"}, "spec.job"),
    ("zero-ttl", {"ttlSecondsAfterFinished": 0}, "contradicts keeping"),
    ("bad-zone-chars", {"timeZone": "Europe/Berlin; rm"}, "spec.timeZone"),
]


@pytest.mark.parametrize(
    ("name", "spec", "fragment"), REFUSED_AT_ADMISSION, ids=[r[0] for r in REFUSED_AT_ADMISSION]
)
def test_schema_and_cel_refuse_bad_specs(
    api_client: Any, namespace: str, name: str, spec: dict[str, Any], fragment: str
) -> None:
    """The API server refuses the object with a message naming the problem."""
    with pytest.raises(ApiException) as refused:
        ScheduledJobs(api_client, namespace).create(scheduledjob(name, **spec))
    assert 422 == refused.value.status
    assert fragment in json.loads(refused.value.body)["message"]


@pytest.mark.parametrize(
    "name",
    ["x" * 64, "has.dots"],
    ids=["longer-than-63", "dots"],
)
def test_names_that_cannot_be_labels_are_refused(
    api_client: Any, namespace: str, name: str
) -> None:
    """Names must fit a label value: 63 characters, no dots."""
    with pytest.raises(ApiException) as refused:
        ScheduledJobs(api_client, namespace).create(scheduledjob(name))
    assert 422 == refused.value.status


REPORTED_BY_OPERATOR = [
    ("sixth-friday", {"schedule": "0 15 10 ? * 6#6"}, "InvalidSchedule", "day-of-week"),
    ("second-60", {"schedule": "60 * * * * ?"}, "InvalidSchedule", "seconds"),
    ("nonsense", {"schedule": "a b c d e"}, "InvalidSchedule", "minute"),
    ("mars", {"timeZone": "Mars/Olympus"}, "InvalidTimeZone", "Mars/Olympus"),
    ("nested-data", {"data": {"Options": {"deep": True}}}, "InvalidSpec", "Options is an object"),
    ("bad-data-key", {"data": {"bad-key": 1}}, "InvalidSpec", "key 'bad-key' is not a data"),
    (
        "duplicate-key",
        {
            "data": {"Token": "x"},
            "dataFrom": [{"key": "Token", "secretKeyRef": {"name": "s", "key": "t"}}],
        },
        "InvalidSpec",
        "both data and dataFrom",
    ),
]


@pytest.mark.parametrize(
    ("name", "spec", "reason", "fragment"),
    REPORTED_BY_OPERATOR,
    ids=[r[0] for r in REPORTED_BY_OPERATOR],
)
def test_operator_reports_what_admission_cannot_check(
    api_client: Any, namespace: str, name: str, spec: dict[str, Any], reason: str, fragment: str
) -> None:
    """Ready=False with a precise reason and message, one Warning Event, and no CronJob."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob(name, **spec))
    current = jobs.wait_ready(name, status="False")
    ready = next(c for c in current["status"]["conditions"] if c["type"] == "Ready")
    assert reason == ready["reason"]
    assert fragment in ready["message"]
    warnings = wait_for(
        "a Warning event",
        lambda: [e for e in events_for(api_client, namespace, name) if e.type == "Warning"],
    )
    assert reason == warnings[0].reason
    batch = client.BatchV1Api(api_client)
    assert [] == batch.list_namespaced_cron_job(namespace).items


def test_invalid_spec_causes_no_hot_loop(api_client: Any, namespace: str) -> None:
    """After reporting once, the operator leaves the invalid object alone (no writes, no events)."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("stuck", schedule="0 0 12 ? * 6#6"))
    reported = jobs.wait_ready("stuck", status="False")
    time.sleep(5)
    assert (
        reported["metadata"]["resourceVersion"] == jobs.get("stuck")["metadata"]["resourceVersion"]
    )
    assert 1 == len(events_for(api_client, namespace, "stuck"))


def test_fixing_the_spec_recovers(api_client: Any, namespace: str) -> None:
    """An invalid ScheduledJob that is corrected gets its CronJob and Ready=True."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("fixme", schedule="0 0 12 1-15W * ?"))
    jobs.wait_ready("fixme", status="False")
    jobs.patch_spec("fixme", {"schedule": "0 0 12 15 * ?"})
    ready = jobs.wait_ready("fixme")
    assert "0 12 15 * *" == ready["status"]["schedule"]


def test_one_invalid_scheduledjob_does_not_stop_the_others(api_client: Any, namespace: str) -> None:
    """A valid ScheduledJob created after an invalid one still becomes Ready."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("broken", timeZone="Nowhere/Atlantis"))
    jobs.create(scheduledjob("healthy"))
    jobs.wait_ready("broken", status="False")
    jobs.wait_ready("healthy")


def _next_weekday_at(
    zone: str, weekday: int, hour: int, now: datetime.datetime
) -> datetime.datetime:
    """The next `weekday` (Monday=0) at `hour`:00 local time, computed by hand."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    for days in range(8):
        day = (local + datetime.timedelta(days=days)).date()
        candidate = datetime.datetime(
            day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo(zone)
        )
        if day.weekday() == weekday and candidate > local:
            return candidate
    raise AssertionError


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [("0 0 8 ? * MON", "0 8 * * MON"), ("0 0 8 ? * 2", "0 8 * * 1")],
    ids=["name", "number"],
)
def test_quartz_schedule_is_translated_with_correct_fire_times(
    api_client: Any, namespace: str, quartz: str, cron: str
) -> None:
    """Quartz Monday 08:00 (Berlin) becomes cron `... MON` or `... 1`; next run Monday 08:00."""
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(scheduledjob("weekly", schedule=quartz, timeZone="Europe/Berlin"))
    ready = jobs.wait_ready("weekly")
    cron_job = client.BatchV1Api(api_client).read_namespaced_cron_job("weekly", namespace)
    assert (cron, "Europe/Berlin") == (cron_job.spec.schedule, cron_job.spec.time_zone)
    expected = _next_weekday_at("Europe/Berlin", 0, 8, datetime.datetime.now(datetime.UTC))
    shown = datetime.datetime.fromisoformat(
        ready["status"]["nextScheduleTime"].replace("Z", "+00:00")
    )
    assert expected == shown


def test_generated_pods_pass_restricted_pod_security(api_client: Any, namespace: str) -> None:
    """In a namespace enforcing `restricted`, a run's Pod is admitted."""
    core = client.CoreV1Api(api_client)
    core.patch_namespace(
        namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    )
    jobs = ScheduledJobs(api_client, namespace)
    jobs.create(
        scheduledjob(
            "secure", dataFrom=[{"key": "Token", "secretKeyRef": {"name": "creds", "key": "t"}}]
        )
    )
    jobs.wait_ready("secure")
    start_run(api_client, namespace, "secure", "secure-manual-1")
    pods = wait_for(
        "the run's Pod to be admitted",
        lambda: (
            core.list_namespaced_pod(
                namespace, label_selector="batch.kubernetes.io/job-name=secure-manual-1"
            ).items
        ),
    )
    assert (
        read_or_none(lambda: core.read_namespaced_pod(pods[0].metadata.name, namespace)) is not None
    )
