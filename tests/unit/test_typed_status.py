"""The typed status: read back and written again, a ScheduledJob's status keeps its exact form.

The operator builds the status as a `ScheduledJobStatus` and serialises it once, where it is
written; these pin the wire form that the status dicts of earlier versions had.
"""

from __future__ import annotations

import datetime
from typing import Any

from scheduledjob_api.v1alpha1 import LastRun, ScheduledJobStatus
from scheduledjob_operator.domain import conditions, status

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 28, 12, 0, 0, 654321, tzinfo=UTC)

WRITTEN: dict[str, Any] = {
    "observedGeneration": 3,
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "CronJobReady",
            "message": "CronJob x matches the spec",
            "lastTransitionTime": "2026-11-28T10:00:00Z",
            "observedGeneration": 3,
        }
    ],
    "active": [],
    "missedRuns": 0,
    "lastRun": {
        "jobName": "x-1",
        "correlationId": "x-1",
        "result": "Succeeded",
        "durationSeconds": 1.5,
    },
    "nextFireTimes": ["2026-11-28T13:00:00Z"],
}


def test_a_status_read_back_is_written_as_it_was() -> None:
    """Fields present stay, with their values; fields absent (lastTrigger, oneShot) stay out."""
    assert WRITTEN == status.read({"status": WRITTEN}).to_api()


def test_times_are_written_as_kubernetes_writes_them() -> None:
    """UTC, whole seconds, a Z: whatever offset or precision the moment has."""
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    built = ScheduledJobStatus(
        last_schedule_time=NOW.astimezone(berlin), next_fire_times=[NOW, NOW]
    )
    assert {
        "lastScheduleTime": "2026-11-28T12:00:00Z",
        "nextFireTimes": ["2026-11-28T12:00:00Z", "2026-11-28T12:00:00Z"],
    } == built.to_api()


def test_what_was_never_set_is_left_out() -> None:
    """Defaults (missedRuns 0, empty lists) and unset optional fields are not written."""
    last = LastRun(job_name="a", correlation_id="c", result="Failed", reason=None)
    assert {"lastRun": {"jobName": "a", "correlationId": "c", "result": "Failed"}} == (
        ScheduledJobStatus(last_run=last).to_api()
    )


def test_overlay_sets_what_a_part_sets_and_never_clears() -> None:
    """A part's None leaves the base's value; fields the schema does not know are kept."""
    base = status.read({"status": {"schedule": "* * * * *", "someoneElses": {"a": 1}}})
    part = ScheduledJobStatus(schedule=None, observed_generation=4)
    assert {"schedule": "* * * * *", "someoneElses": {"a": 1}, "observedGeneration": 4} == (
        status.overlay(base, part).to_api()
    )


def test_a_field_not_as_the_schema_says_is_dropped_on_read() -> None:
    """A broken field (written around the API server's validation) does not fail the read."""
    read = status.read({"status": {"lastRun": {"jobName": "x"}, "missedRuns": 2}})
    assert {"missedRuns": 2} == read.to_api()


def test_missed_record_carries_only_what_the_previous_status_had() -> None:
    """missedRuns 0 present stays present; absent stays absent."""
    assert {"missedRuns": 0} == status.missed_record(status.read({"status": WRITTEN})).to_api()
    assert {} == status.missed_record(ScheduledJobStatus()).to_api()


def test_a_transition_time_is_kept_while_the_status_holds() -> None:
    """The previous condition's time is kept as read; a flip takes now, in whole seconds."""
    previous = status.read({"status": WRITTEN}).conditions
    same = conditions.set_condition(
        previous, type_="Ready", status=True, reason="B", message="", generation=4, now=NOW
    )
    flipped = conditions.set_condition(
        same, type_="Ready", status=False, reason="C", message="", generation=4, now=NOW
    )
    assert "2026-11-28T10:00:00Z" == same[0].to_api()["lastTransitionTime"]
    assert "2026-11-28T12:00:00Z" == flipped[0].to_api()["lastTransitionTime"]
