"""Unit tests for what `kubectl sj` prints and which arguments it refuses, without a cluster."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
import yaml

from basejob import contract
from scheduledjob_client.kubectl import cli, describe, printers, table, timefmt, values
from scheduledjob_client.kubectl.errors import PluginError

NOW = datetime.datetime(2026, 3, 2, 12, 0, 0, tzinfo=datetime.UTC)
RUN_UID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def _nightly() -> dict[str, Any]:
    return {
        "apiVersion": "jobs.connectflow.io/v1alpha1",
        "kind": "ScheduledJob",
        "metadata": {
            "name": "nightly",
            "namespace": "team-a",
            "creationTimestamp": "2026-03-01T00:00:00Z",
        },
        "spec": {
            "job": "DataCleanupJob",
            "schedule": "0 0 2 * * ?",
            "context": {"tenantId": 123, "correlationId": "nightly-cleanup"},
            "data": {"RetentionDays": 30},
        },
        "status": {
            "schedule": "0 2 * * *",
            "cronJobName": "nightly",
            "nextScheduleTime": "2026-03-03T02:00:00Z",
            "active": [],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "CronJobReady",
                    "message": "CronJob nightly runs 0 2 * * *",
                    "lastTransitionTime": "2026-03-01T00:00:01Z",
                    "observedGeneration": 1,
                }
            ],
            "lastRun": {
                "jobName": "nightly-29543160",
                "correlationId": "nightly-cleanup-6f1c2d3e4a5b4c6d",
                "result": "Failed",
                "startTime": "2026-03-02T02:00:00Z",
                "completionTime": "2026-03-02T02:00:03Z",
                "durationSeconds": 2.5,
                "errorType": "OperationalError",
                "reason": "PodFailurePolicy",
            },
        },
    }  # fmt: skip


def _once() -> dict[str, Any]:
    return {
        "metadata": {
            "name": "report-once",
            "namespace": "team-b",
            "creationTimestamp": "2026-03-02T11:55:00Z",
        },
        "spec": {"job": "ReportGenerationJob", "delay": "10m", "suspend": True},
        "status": {"active": [{"jobName": "x", "correlationId": "c"}]},
    }  # fmt: skip


def _run_job(name: str, created: str, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": RUN_UID,
            "creationTimestamp": created,
            "labels": {contract.RUN_KIND_LABEL: "manual"},
        },
        "status": status,
    }


def test_list_table_shows_schedule_last_run_result_and_next_run() -> None:
    """The standard columns, kubectl-style ages, one row per ScheduledJob."""
    assert [
        "NAME      SCHEDULE      SUSPEND   ACTIVE   LAST RUN                    RESULT   NEXT RUN",
        "nightly   0 0 2 * * ?   False     0        nightly-29543160 (9h ago)   Failed   in 14h",
    ] == table.render([_nightly()], NOW).splitlines()


def test_one_shot_row_shows_once_at_due_time() -> None:
    """A delay ScheduledJob shows `once at` its due time (creation + delay)."""
    name, schedule, suspend, active, last, result, next_run = table.row(_once(), NOW)
    assert ("report-once", "once at 2026-03-02T12:05:00Z") == (name, schedule)
    assert ("True", "1", "<none>", "<none>", "<none>") == (suspend, active, last, result, next_run)


def test_one_shot_due_time_prefers_the_operators_record() -> None:
    """status.oneShot.dueTime wins over the time computed from the spec."""
    once = _once()
    once["spec"]["suspend"] = False
    once["status"]["oneShot"] = {"dueTime": "2026-03-02T12:30:00Z"}
    assert ("once at 2026-03-02T12:30:00Z", "in 30m") == (
        table.row(once, NOW)[1],
        table.row(once, NOW)[6],
    )


def test_wide_and_all_namespaces_add_columns() -> None:
    """-o wide adds job, tenant, correlation ID and duration; -A puts the namespace first."""
    lines = table.render([_once(), _nightly()], NOW, wide=True, with_namespace=True).splitlines()
    assert [
        "NAMESPACE", "NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST", "RUN", "RESULT", "NEXT",
        "RUN", "JOB", "TENANT", "CORRELATION", "ID", "LAST", "DURATION",
    ] == lines[0].split()  # fmt: skip
    assert ["team-a", "nightly"] == lines[1].split()[:2]
    assert ["DataCleanupJob", "123", "nightly-cleanup-6f1c2d3e4a5b4c6d", "2.5s"] == (
        lines[1].split()[-4:]
    )
    assert ["team-b", "report-once"] == lines[2].split()[:2]


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_machine_output_is_a_kubectl_list(output: str) -> None:
    """Several objects print as a v1 List, parseable as JSON or YAML."""
    text = printers.render_many([_nightly()], output)
    document = json.loads(text) if output == "json" else yaml.safe_load(text)
    assert ("List", "v1") == (document["kind"], document["apiVersion"])
    assert [_nightly()] == document["items"]


def test_name_output_is_resource_slash_name() -> None:
    """-o name prints one qualified name a line, as kubectl does."""
    assert (
        "scheduledjob.jobs.connectflow.io/nightly\nscheduledjob.jobs.connectflow.io/report-once"
        == printers.render_many([_nightly(), _once()], "name")
    )


def test_describe_shows_spec_conditions_runs_and_events() -> None:
    """Spec summary, the Ready condition, each run with its correlation ID, and events."""
    jobs = [
        _run_job(
            "nightly-29543160",
            "2026-03-02T02:00:00Z",
            startTime="2026-03-02T02:00:00Z",
            conditions=[
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "PodFailurePolicy",
                    "lastTransitionTime": "2026-03-02T02:00:03Z",
                }
            ],
        )
    ]
    events = [
        {
            "type": "Warning",
            "reason": "RunFailed",
            "message": "boom",
            "lastTimestamp": "2026-03-02T02:00:04Z",
        }
    ]
    text = describe.render(_nightly(), jobs, events, NOW)
    assert "Schedule:             0 0 2 * * ? (runs as 0 2 * * *)" in text
    assert "Tenant:               123" in text
    assert "Application User:     <default admin>" in text
    assert "Next Run:             2026-03-03T02:00:00Z (in 14h)" in text
    assert "  RetentionDays:      30" in text
    assert "  Ready   True     CronJobReady   2026-03-01T00:00:01Z   CronJob nightly runs" in text
    [run_line] = [line for line in text.splitlines() if line.startswith("  nightly-29543160")]
    assert [
        "nightly-29543160", "manual", "nightly-cleanup-6f1c2d3e4a5b4c6d", "2026-03-02T02:00:00Z",
        "3.0s", "Failed", "OperationalError",
    ] == run_line.split()  # fmt: skip
    assert "  Warning   RunFailed   9h    boom" in text


def test_describe_of_a_system_one_shot_without_runs() -> None:
    """A system job says so; a one-shot shows its due time; no runs and events say <none>."""
    text = describe.render(_once(), [], [], NOW)
    assert "Tenant:               <none> (system job)" in text
    assert "Schedule:             once (delay 10m)" in text
    assert "Due:                  2026-03-02T12:05:00Z (in 5m)" in text
    assert "Runs:                 <none>" in text
    assert "Events:               <none>" in text


def test_running_run_shows_elapsed_time() -> None:
    """A run without a final condition is Running, its duration counted to now."""
    job = _run_job("nightly-1", "2026-03-02T11:59:00Z", startTime="2026-03-02T11:59:00Z")
    [row] = describe.run_rows(_nightly(), [job], NOW)
    assert ("60s", "Running", "<none>") == row[4:]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "0s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (3 * 3600 + 60, "3h1m"),
     (9 * 3600, "9h"), (50 * 3600, "2d2h"), (10 * 86400, "10d"), (800 * 86400, "2y70d")],
)  # fmt: skip
def test_durations_read_like_kubectl(seconds: int, expected: str) -> None:
    """Ages follow kubectl's HumanDuration."""
    assert expected == timefmt.human_duration(seconds)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("BatchSize=100", ("BatchSize", 100)),
        ("Ratio=0.5", ("Ratio", 0.5)),
        ("DryRun=true", ("DryRun", True)),
        ("Name=weekly", ("Name", "weekly")),
        ('Code="007"', ("Code", "007")),
        ("Ids=[1,2]", ("Ids", "[1,2]")),
        ("Nothing=null", ("Nothing", "null")),
        ("Big=NaN", ("Big", "NaN")),
        ("Equation=a=b", ("Equation", "a=b")),
        ("Empty=", ("Empty", "")),
    ],
)
def test_data_values_are_json_scalars_else_text(item: str, expected: tuple[str, Any]) -> None:
    """--data reads numbers, booleans and quoted strings as JSON; everything else stays text."""
    assert expected == values.parse_data(item)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (values.parse_data, "novalue", "write key=value"),
        (values.parse_env, "=x", "write NAME=VALUE"),
        (values.parse_at, "tomorrow", "is not a time"),
        (values.parse_at, "2026-12-24T18:00:00", "has no time zone"),
        (values.parse_in, "10 minutes", "is not a duration"),
    ],
)
def test_malformed_flags_are_refused(parse: Any, text: str, message: str) -> None:
    """Each malformed value names the flag and the expected form."""
    with pytest.raises(PluginError, match=message):
        parse(text)


def test_at_accepts_offsets() -> None:
    """--at keeps the given offset; the manifest converts it to UTC."""
    expected = datetime.datetime(2026, 12, 24, 18, tzinfo=datetime.UTC)
    assert expected == values.parse_at("2026-12-24T19:00:00+01:00")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["describe", "x", "-A"], "-A/--all-namespaces applies to list only, not to describe"),
        (["describe", "x", "-o", "json"], "describe does not support -o json (supported: none)"),
        (
            ["trigger", "x", "-o", "wide"],
            "trigger does not support -o wide (supported: json, name, yaml)",
        ),
    ],
)
def test_unsupported_flag_combinations_exit_1_before_connecting(
    argv: list[str], message: str
) -> None:
    """Flags a subcommand does not take are refused as `error: ...` with exit code 1."""
    err = io.StringIO()
    assert 1 == cli.main([*argv, "--kubeconfig", "/nonexistent"], out=io.StringIO(), err=err)
    assert f"error: {message}\n" == err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [["run-once", "DataCleanupJob"], ["run-once", "X", "--at", "t", "--in", "1m"], ["frobnicate"]],
    ids=["no-when", "both-whens", "unknown-command"],
)
def test_usage_errors_exit_1(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Usage errors print kubectl-style `error: ...` and exit with code 1, not argparse's 2."""
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert 1 == exited.value.code
    assert "error: " in capsys.readouterr().err


def test_missing_kubeconfig_is_an_error_not_a_traceback() -> None:
    """A kubeconfig that does not exist is reported with what to do."""
    err = io.StringIO()
    assert 1 == cli.main(["list", "--kubeconfig", "/nonexistent/config"], err=err)
    assert err.getvalue().startswith("error: cannot use the kubeconfig /nonexistent/config")


def test_flags_work_before_and_after_the_subcommand() -> None:
    """`kubectl sj -n x list` and `kubectl sj list -n x` parse the same."""
    parser = cli.build_parser()
    before = parser.parse_args(["-n", "team-a", "-o", "wide", "list"])
    after = parser.parse_args(["list", "-n", "team-a", "-o", "wide"])
    assert (before.namespace, before.output) == (after.namespace, after.output)
    assert ("team-a", "wide") == (after.namespace, after.output)
