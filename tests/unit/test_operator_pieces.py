"""Pure parts of the operator: settings, drift matching, conditions, run status."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scheduledjob_api.runs import TerminationSummary, run_from_job, termination_summary
from scheduledjob_api.v1alpha1 import ScheduledJobStatus
from scheduledjob_operator import settings
from scheduledjob_operator.domain import conditions, drift, status
from scheduledjob_operator.domain.errors import ConfigurationError

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)


def test_settings_defaults() -> None:
    """With no environment the operator watches all namespaces, logs JSON, elects a leader."""
    loaded = settings.load({})
    assert ((), "json", True, 8080) == (
        loaded.namespaces,
        loaded.log_format,
        loaded.leader_election,
        loaded.metrics_port,
    )


def test_settings_read_namespaces_and_endpoints() -> None:
    """Comma-separated namespaces and run endpoints are read."""
    loaded = settings.load(
        {
            "SCHEDULEDJOB_NAMESPACES": "team-a, team-b",
            "SCHEDULEDJOB_PUSHGATEWAY_URL": "http://pg:9091",
            "SCHEDULEDJOB_DEFAULT_ADMIN_USER_ID": "1",
        }
    )
    assert ("team-a", "team-b") == loaded.namespaces
    assert ("http://pg:9091", "1") == (loaded.run.pushgateway_url, loaded.run.default_admin_user_id)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCHEDULEDJOB_METRICS_PORT", "eighty"),
        ("SCHEDULEDJOB_METRICS_PORT", "-1"),
        ("SCHEDULEDJOB_LEADER_ELECTION", "maybe"),
        ("SCHEDULEDJOB_LOG_FORMAT", "xml"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str) -> None:
    """A bad value is refused with the variable's name in the message."""
    with pytest.raises(ConfigurationError, match=variable):
        settings.load({variable: value})


@pytest.mark.parametrize(
    ("wanted", "live", "expected"),
    [
        ({"a": 1}, {"a": 1, "defaulted": True}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": [1, 2]}, {"a": [1]}, False),
        (
            {"resources": {"requests": {"cpu": "0.5"}}},
            {"resources": {"requests": {"cpu": "500m"}}},
            True,
        ),
        (
            {"resources": {"limits": {"memory": "1Gi"}}},
            {"resources": {"limits": {"memory": "1024Mi"}}},
            True,
        ),
        (
            {"resources": {"limits": {"memory": "1Gi"}}},
            {"resources": {"limits": {"memory": "1G"}}},
            False,
        ),
    ],
    ids=[
        "server-default",
        "changed",
        "shorter-list",
        "cpu-canonical",
        "memory-canonical",
        "memory-differs",
    ],
)
def test_drift_ignores_server_defaults_not_changes(wanted: Any, live: Any, expected: bool) -> None:
    """Extra live fields and canonical quantities are no drift; changed values are."""
    assert expected == drift.matches(wanted, live)


def test_condition_keeps_transition_time_while_status_holds() -> None:
    """lastTransitionTime moves only when the status changes."""
    first = conditions.set_condition(
        [], type_="Ready", status=True, reason="A", message="", generation=1, now=NOW
    )
    later = NOW + datetime.timedelta(hours=1)
    same = conditions.set_condition(
        first, type_="Ready", status=True, reason="B", message="", generation=2, now=later
    )
    flipped = conditions.set_condition(
        same, type_="Ready", status=False, reason="C", message="", generation=2, now=later
    )
    assert "2026-11-28T12:00:00Z" == same[0].to_api()["lastTransitionTime"]
    assert "2026-11-28T13:00:00Z" == flipped[0].to_api()["lastTransitionTime"]


def _job(name: str, condition: str | None, finished: str | None = None) -> dict[str, Any]:
    job_status: dict[str, Any] = {"startTime": "2026-11-28T10:00:00Z"}
    if condition:
        job_status["conditions"] = [
            {
                "type": condition,
                "status": "True",
                "lastTransitionTime": finished,
                "reason": "BackoffLimitExceeded",
            }
        ]
        if condition == "Complete":
            job_status["completionTime"] = finished
    return {"metadata": {"name": name, "uid": f"{name}-uid-0000-0000"}, "status": job_status}


def test_run_fields_pick_the_latest_finished_run_and_list_active_ones() -> None:
    """lastRun is the run that finished last; unfinished runs are active."""
    runs = [
        run_from_job(_job("a", "Complete", "2026-11-28T10:00:05Z")),
        run_from_job(_job("b", "Failed", "2026-11-28T10:01:00Z")),
        run_from_job(_job("c", None)),
    ]
    fields = status.run_fields(
        previous=ScheduledJobStatus(),
        cron_job=None,
        runs=runs,
        correlation_prefix="p",
        last_run_summary=TerminationSummary(error_type="KeyError", message="missing"),
    )
    wire = fields.to_api()
    assert ["c"] == [run["jobName"] for run in wire["active"]]
    assert ("b", "Failed", "KeyError", "BackoffLimitExceeded") == (
        wire["lastRun"]["jobName"],
        wire["lastRun"]["result"],
        wire["lastRun"]["errorType"],
        wire["lastRun"]["reason"],
    )
    assert "2026-11-28T10:00:05Z" == wire["lastSuccessfulTime"]


def test_termination_message_that_is_not_json_is_kept_as_text() -> None:
    """A crash before the runtime wrote its summary still reports the log tail."""
    pod = {
        "status": {"containerStatuses": [{"state": {"terminated": {"message": "Traceback ..."}}}]}
    }
    assert TerminationSummary(message="Traceback ...") == termination_summary(pod)
