"""The operator's /metrics carries per-ScheduledJob gauges that come and go with the object."""

from __future__ import annotations

import datetime
import urllib.request
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import RunningOperator
from .helpers import ScheduledJobs, scheduledjob, wait_for

pytestmark = pytest.mark.usefixtures("operator")


def _series(operator: RunningOperator, namespace: str, name: str) -> dict[str, Any]:
    """The ScheduledJob's samples on /metrics: name to value (info: name to its labels)."""
    with urllib.request.urlopen(operator.metrics_url, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    found: dict[str, Any] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (labels.get("namespace"), labels.get("scheduledjob")) != (namespace, name):
                continue
            found[sample.name] = labels if sample.name == "scheduledjob_info" else sample.value
    return found


def test_scheduledjob_gauges_follow_the_object(
    operator: RunningOperator, api_client: Any, namespace: str
) -> None:
    """A new ScheduledJob gets its series, last success at its creation; deleting drops them."""
    jobs = ScheduledJobs(api_client, namespace)
    created = jobs.create(scheduledjob("watched", schedule="15 3 * * 1-5"))
    ready = jobs.wait_ready("watched")

    def complete() -> dict[str, Any] | None:
        found = _series(operator, namespace, "watched")
        return found if "scheduledjob_next_run_timestamp_seconds" in found else None

    series = wait_for("the ScheduledJob's series on /metrics", complete)
    creation = datetime.datetime.fromisoformat(
        created["metadata"]["creationTimestamp"].replace("Z", "+00:00")
    )
    next_run = datetime.datetime.fromisoformat(
        ready["status"]["nextScheduleTime"].replace("Z", "+00:00")
    )
    expected = {
        "scheduledjob_info": {
            "namespace": namespace,
            "scheduledjob": "watched",
            "job": "DataCleanupJob",
            "schedule": "15 3 * * 1-5",
            "time_zone": "UTC",
        },
        "scheduledjob_suspended": 0.0,
        "scheduledjob_expected_interval_seconds": 3 * 86400.0,  # Friday to Monday
        "scheduledjob_last_success_timestamp_seconds": creation.timestamp(),
        "scheduledjob_next_run_timestamp_seconds": next_run.timestamp(),
        "scheduledjob_active_runs": 0.0,
        "scheduledjob_last_run_failed": 0.0,
    }
    assert expected == series
    jobs.delete("watched")
    wait_for(
        "the ScheduledJob's series to disappear",
        lambda: not _series(operator, namespace, "watched"),
    )
