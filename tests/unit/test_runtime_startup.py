"""A run loads only what it uses: telemetry, push and job discovery cost start-up only when on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from basejob import contract
from basejob.metrics import RunMetrics

TESTS = Path(__file__).resolve().parents[1]
NOWHERE = "http://127.0.0.1:9"  # the loopback discard port: connections are refused at once

# Runs `basejob` in a fresh interpreter and reports the exit code and every module it loaded.
CHILD = textwrap.dedent(
    """
    import json, sys
    from basejob import cli
    code = cli.main(sys.argv[1:])
    print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
    """
)

HEADERS_JOB = textwrap.dedent(
    '''
    from typing import Any

    from basejob.context import JobContext
    from basejob.job import BaseJob


    class HeadersJob(BaseJob):
        """Logs the headers it would send to an external service."""

        async def execute(self, ctx: JobContext[Any]) -> None:
            ctx.logger.info("Built headers", headers=ctx.headers())
    '''
)

# Modules a run must not load unless it uses them: the OpenTelemetry SDK and API (only for
# span export), prometheus_client (only for a push), the Kubernetes client (never), and
# importlib.metadata (only to find a job by registered name).
UNUSED = ("opentelemetry", "prometheus_client", "kubernetes", "importlib.metadata")


def _pod(job: str) -> dict[str, str]:
    """The environment contract as the operator's Job template sets it, telemetry off."""
    return {
        contract.JOB: job,
        contract.SCHEDULEDJOB_NAMESPACE: "team",
        contract.SCHEDULEDJOB_NAME: "headers",
        contract.POD_NAME: "headers-29000000-abcde",
        contract.RUN_NAME: "headers-29000000",
        contract.RUN_UID: str(uuid.uuid4()),
        contract.OTEL_SERVICE_NAME: "basejob",
    }


def _run(tmp_path: Path, arguments: list[str], environment: dict[str, str]) -> dict[str, Any]:
    """Exit code, loaded modules and JSON log lines of one `basejob` in a fresh interpreter."""
    (tmp_path / "headers_job.py").write_text(HEADERS_JOB)
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BASEJOB_", "OTEL_", "TRACE"))
    }
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, *arguments],
        env={
            **inherited,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS)]),
            contract.TERMINATION_MESSAGE_PATH_VARIABLE: os.devnull,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr
    report = json.loads(completed.stdout.splitlines()[-1])
    report["logs"] = [
        json.loads(line) for line in completed.stderr.splitlines() if line.startswith("{")
    ]
    return dict(report)


def _loaded(modules: list[str], prefix: str) -> bool:
    return any(module == prefix or module.startswith(f"{prefix}.") for module in modules)


@pytest.mark.parametrize(
    ("arguments", "environment"),
    [
        (["run", "headers_job:HeadersJob"], {}),
        (["run"], _pod("headers_job:HeadersJob")),
    ],
    ids=["local", "pod-telemetry-off"],
)
def test_plain_run_loads_no_telemetry_push_kubernetes_or_entry_points(
    tmp_path: Path, arguments: list[str], environment: dict[str, str]
) -> None:
    """A module:Class run without telemetry loads none of the modules it does not use."""
    report = _run(tmp_path, arguments, environment)

    assert 0 == report["code"]
    assert [] == [prefix for prefix in UNUSED if _loaded(report["modules"], prefix)]


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [
        (
            ["run"],
            {**_pod("headers_job:HeadersJob"), contract.OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE},
            "opentelemetry.sdk.trace",
        ),
        (
            ["run"],
            {**_pod("headers_job:HeadersJob"), contract.PUSHGATEWAY_URL: NOWHERE},
            "prometheus_client",
        ),
        (["run", "NoSuchJob"], {}, "importlib.metadata"),
    ],
    ids=["span-export", "push", "registered-name"],
)
def test_a_feature_in_use_loads_its_modules(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], expected: str
) -> None:
    """Span export loads the SDK, a push prometheus_client, a registered name entry points."""
    report = _run(tmp_path, arguments, environment)

    assert _loaded(report["modules"], expected)


def test_run_without_the_sdk_still_correlates_logs_and_headers(tmp_path: Path) -> None:
    """Without the SDK, log lines carry the run's trace IDs and headers its traceparent."""
    parent_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    environment = {
        **_pod("headers_job:HeadersJob"),
        "TRACEPARENT": f"00-{parent_trace_id}-00f067aa0ba902b7-01",
        "TRACESTATE": "vendor=abc",
    }
    report = _run(tmp_path, ["run"], environment)

    line = next(line for line in report["logs"] if line["event"] == "Built headers")
    expected = {
        "traceparent": f"00-{parent_trace_id}-{line['SpanId']}-01",
        "tracestate": "vendor=abc",
        "X-Correlation-ID": line["CorrelationId"],
    }
    assert (parent_trace_id, expected) == (line["TraceId"], line["headers"])
    assert not _loaded(report["modules"], "opentelemetry")


def test_outcomes_recorded_before_the_registry_exists_are_in_it() -> None:
    """The registry, built on first use, holds the outcomes recorded before and after."""
    metrics = RunMetrics()
    metrics.record(
        job_name="Job", status="error", seconds=0.2, error_type="KeyError", finished_at=1.0
    )
    metrics.registry  # noqa: B018 - builds the registry
    metrics.record(job_name="Job", status="success", seconds=0.1, error_type=None, finished_at=2.0)

    registry = metrics.registry
    assert (1, 1, 1, 2, 2.0) == (
        registry.get_sample_value("job_executions_total", {"job_name": "Job", "status": "error"}),
        registry.get_sample_value("job_executions_total", {"job_name": "Job", "status": "success"}),
        registry.get_sample_value(
            "job_errors_total", {"job_name": "Job", "error_type": "KeyError"}
        ),
        registry.get_sample_value("job_duration_seconds_count", {"job_name": "Job"}),
        registry.get_sample_value("job_last_success_timestamp_seconds", {"job_name": "Job"}),
    )
