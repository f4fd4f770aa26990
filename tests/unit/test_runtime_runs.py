"""What every run gets automatically: log context, seed-style lines, metrics, spans, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from basejob import contract
from basejob.testing import run_job
from support.sample_jobs import BrokenJob, CrashingJob, FlakyJob, GreetingJob, NoOpJob

TESTS = Path(__file__).resolve().parents[1]


def test_every_line_carries_the_run_context() -> None:
    """CorrelationId, JobName, JobId, FireTime, tenant, user, trace IDs and Job.<Param>."""
    result = run_job(
        GreetingJob,
        data={"BatchSize": 2, "ApiToken": "hunter2"},
        tenant_id="7",
        application_user_id="9",
        correlation_id="corr-1",
        secret_keys=frozenset({"ApiToken"}),
    )
    assert "success" == result.status
    for line in result.logs:
        assert ("corr-1", "GreetingJob", "7", "9", 2) == (
            line["CorrelationId"],
            line["JobName"],
            line["TenantId"],
            line["ApplicationUserId"],
            line["Job.BatchSize"],
        )
        assert "Job.ApiToken" not in line
        assert "hunter2" not in json.dumps(line, default=str)
    assert {"JobId", "FireTime", "NextFireTime"} <= set(result.logs[0])
    span_ids = {line.get("TraceId") for line in result.logs if line["event"] == "Greeted"}
    assert {format(result.spans[0].context.trace_id, "032x")} == span_ids


def test_start_and_finish_lines_read_like_the_seed() -> None:
    """The start and finish lines read like the seed's ("Starting job X (ID: …) …")."""
    result = run_job(NoOpJob, correlation_id="abc123")
    events = [line["event"] for line in result.logs]
    assert events[0].startswith("Starting job NoOpJob (ID: test-")
    assert events[0].endswith("with correlation ID abc123")
    assert "completed successfully in" in events[-1]


def test_success_is_counted_and_timed() -> None:
    """job_executions_total, job_duration_seconds and the last-success gauge are recorded."""
    result = run_job(GreetingJob, data={"BatchSize": 3})
    assert 1 == result.metric("job_executions_total", job_name="GreetingJob", status="success")
    assert 1 == result.metric("job_duration_seconds_count", job_name="GreetingJob")
    assert result.metric("job_last_success_timestamp_seconds", job_name="GreetingJob") is not None
    assert 3 == result.metric("greetings_total")


@pytest.mark.parametrize(
    ("job", "exit_code", "error_type"),
    [
        (FlakyJob, contract.EXIT_TRANSIENT, "TransientError"),
        (BrokenJob, contract.EXIT_FATAL, "FatalError"),
        (CrashingJob, contract.EXIT_TRANSIENT, "KeyError"),
    ],
    ids=["transient", "fatal", "unexpected"],
)
def test_failures_map_to_exit_codes_and_error_types(
    job: Any, exit_code: int, error_type: str
) -> None:
    """Transient and unexpected errors exit 75, fatal ones 78; the class name is the error type."""
    result = run_job(job)
    assert ("error", exit_code) == (result.status, result.exit_code)
    assert 1 == result.metric("job_errors_total", job_name=job.name, error_type=error_type)
    assert 1 == result.metric("job_executions_total", job_name=job.name, status="error")
    assert f"with {error_type}" in result.logs[-1]["event"]
    span = result.spans[0]
    assert StatusCode.ERROR == span.status.status_code
    assert error_type in [
        event.attributes["exception.type"].rsplit(".", 1)[-1] for event in span.events
    ]


def test_bad_parameters_fail_fatally_naming_the_parameter() -> None:
    """Job data that does not fit the model is fatal and the message names the field."""
    result = run_job(GreetingJob, data={"BatchSize": "many"})
    assert (contract.EXIT_FATAL, "InvalidParameterError") == (
        result.exit_code,
        result.outcome.error_type,
    )
    assert "BatchSize" in (result.outcome.message or "")


def test_span_carries_the_run_attributes() -> None:
    """One span per run, named after the job, with correlation ID and tenant."""
    result = run_job(NoOpJob, tenant_id="42", correlation_id="c-9")
    [span] = result.spans
    assert "basejob.run NoOpJob" == span.name
    assert ("c-9", "42") == (span.attributes["correlation.id"], span.attributes["tenant.id"])


def test_termination_message_summarises_the_outcome() -> None:
    """The operator reads result, error type, message and correlation ID from it."""
    summary = json.loads(run_job(BrokenJob, correlation_id="c-1").outcome.termination_message())
    assert ("failed", "FatalError", "c-1") == (
        summary["result"],
        summary["errorType"],
        summary["correlationId"],
    )


def _basejob(*arguments: str, **environment: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "basejob"), *arguments],
        env={**os.environ, "PYTHONPATH": str(TESTS), **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_cancels_the_run_and_exits_143(tmp_path: Path) -> None:
    """SIGTERM mid-run: status cancelled, metrics recorded, exit 143, well within a grace period."""
    message = tmp_path / "termination"
    process = _basejob(
        "run",
        "support.sample_jobs:SleepyJob",
        **{contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(message)},
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Sleeping" in line:
            break
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert contract.EXIT_CANCELLED_SIGTERM == process.wait(timeout=15)
    assert time.monotonic() - signalled < 5
    assert "cancelled" == json.loads(message.read_text())["result"]
    events = [json.loads(line)["event"] for line in process.stderr if line.startswith("{")]
    assert "Received signal, cancelling the job" in events
    assert any(
        event.startswith("Job SleepyJob (ID: ") and "was cancelled" in event for event in events
    )


def test_local_run_with_flags_needs_no_cluster() -> None:
    """`basejob run` with --data/--tenant/--user/--correlation-id runs locally."""
    process = _basejob(
        "run",
        "support.sample_jobs:GreetingJob",
        "--data",
        "BatchSize=2",
        "--tenant",
        "5",
        "--user",
        "6",
        "--correlation-id",
        "manual-42",
    )
    _, errors = process.communicate(timeout=30)
    assert 0 == process.returncode, errors
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    greeted = next(line for line in lines if line["event"] == "Greeted")
    assert ("manual-42", "5", "6", 2) == (
        greeted["CorrelationId"],
        greeted["TenantId"],
        greeted["ApplicationUserId"],
        greeted["Job.BatchSize"],
    )
    third_party = next(line for line in lines if line["event"] == "Standard logging line")
    assert "manual-42" == third_party["CorrelationId"]


def test_malformed_environment_is_a_fatal_exit_with_an_explanation() -> None:
    """Bad BASEJOB_DATA: exit 78 and a log line naming the variable, not a bare traceback."""
    process = _basejob("run", "support.sample_jobs:NoOpJob", **{contract.DATA: "{oops"})
    _, errors = process.communicate(timeout=30)
    assert contract.EXIT_FATAL == process.returncode
    assert contract.DATA in errors
    assert "Traceback" not in errors


def test_unknown_job_is_fatal_and_lists_the_registered_ones() -> None:
    """A name nobody registered: exit 78 and a message saying how to register it."""
    process = _basejob("run", "NoSuchJob")
    _, errors = process.communicate(timeout=30)
    assert contract.EXIT_FATAL == process.returncode
    assert "basejob.jobs" in errors


def test_list_shows_the_registered_example_jobs() -> None:
    """`basejob list` names the seed's five jobs with a description and target each."""
    process = _basejob("list")
    output, errors = process.communicate(timeout=30)
    assert 0 == process.returncode, errors
    names = {line.split()[0] for line in output.splitlines() if line.strip()}
    assert {
        "DataCleanupJob",
        "SubscriptionGracePeriodJob",
        "ReportGenerationJob",
        "TestMetricsJob",
        "LongRunningJob",
    } <= names
    assert "(basejob_examples.data_cleanup:DataCleanupJob)" in output
