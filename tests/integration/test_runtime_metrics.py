"""Runs push metrics that accumulate in a real Pushgateway and show up in a real Prometheus."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from basejob import contract
from scheduledjob_dev.pytest_plugin import MonitoringStack

TESTS = Path(__file__).resolve().parents[1]


def run_basejob(
    stack: MonitoringStack, scheduledjob: str, tmp_path: Path, *, fail: bool
) -> subprocess.CompletedProcess[str]:
    """`basejob run` as a Kubernetes Pod would start it (the contract's environment)."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(TESTS),
        contract.JOB: "support.sample_jobs:OutcomeJob",
        contract.SCHEDULEDJOB_NAMESPACE: "metrics-test",
        contract.SCHEDULEDJOB_NAME: scheduledjob,
        contract.DATA: json.dumps({"Fail": fail}),
        contract.RUN_UID: str(uuid.uuid4()),
        contract.POD_NAME: f"{scheduledjob}-pod",
        contract.PUSHGATEWAY_URL: stack.pushgateway.url,
        contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(tmp_path / "termination"),
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "basejob"), "run"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _value(stack: MonitoringStack, promql: str, expected: float) -> float:
    result = stack.prometheus.wait_for_query(
        promql, lambda rows: bool(rows) and float(rows[0]["value"][1]) == expected, timeout=30
    )
    return float(result[0]["value"][1])


def test_counts_accumulate_across_runs(prometheus_stack: MonitoringStack, tmp_path: Path) -> None:
    """After 5 runs, 2 of them failed, Prometheus shows 5 executions, 2 errors, 5 durations."""
    scheduledjob = f"acc-{uuid.uuid4().hex[:6]}"
    outcomes = [False, True, False, True, False]
    codes = [
        run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=fail).returncode
        for fail in outcomes
    ]
    assert [0, 75, 0, 75, 0] == codes
    selector = f'scheduledjob="{scheduledjob}"'
    assert 5 == _value(prometheus_stack, f"sum(job_executions_total{{{selector}}})", 5)
    assert 2 == _value(
        prometheus_stack, f'sum(job_executions_total{{{selector},status="error"}})', 2
    )
    assert 2 == _value(
        prometheus_stack, f'sum(job_errors_total{{{selector},error_type="TransientError"}})', 2
    )
    assert 5 == _value(prometheus_stack, f"sum(job_duration_seconds_count{{{selector}}})", 5)
    success = prometheus_stack.prometheus.query(f"job_last_success_timestamp_seconds{{{selector}}}")
    assert abs(time.time() - float(success[0]["value"][1])) < 120


def test_pushgateway_outage_changes_no_outcome_and_loses_no_later_counts(
    prometheus_stack: MonitoringStack, tmp_path: Path
) -> None:
    """With the gateway down a run keeps its exit code and warns; later runs keep counting."""
    scheduledjob = f"outage-{uuid.uuid4().hex[:6]}"
    assert 0 == run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=False).returncode
    prometheus_stack.pushgateway.pause()
    try:
        started = time.monotonic()
        during = run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=True)
        elapsed = time.monotonic() - started
    finally:
        prometheus_stack.pushgateway.resume()
    assert contract.EXIT_TRANSIENT == during.returncode
    assert "Could not push metrics to the Pushgateway" in during.stderr
    assert elapsed < 15
    assert 0 == run_basejob(prometheus_stack, scheduledjob, tmp_path, fail=False).returncode
    # The run during the outage could not be counted; the two others are, on top of each other.
    selector = f'scheduledjob="{scheduledjob}"'
    assert 2 == _value(
        prometheus_stack, f'sum(job_executions_total{{{selector},status="success"}})', 2
    )
    assert 2 == _value(prometheus_stack, f"sum(job_executions_total{{{selector}}})", 2)


@pytest.mark.parametrize("status", ["500"])
def test_gateway_answering_errors_does_not_fail_the_job(tmp_path: Path, status: str) -> None:
    """A gateway answering 500 (a broken one, simulated by a tiny local server) only warns."""

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(int(status))
            self.end_headers()

        do_POST = do_PUT = do_GET  # noqa: N815

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "basejob"), "run", "support.sample_jobs:OutcomeJob"],
            env={
                **os.environ,
                "PYTHONPATH": str(TESTS),
                contract.RUN_UID: str(uuid.uuid4()),
                contract.PUSHGATEWAY_URL: f"http://127.0.0.1:{server.server_address[1]}",
                contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(tmp_path / "t"),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
    assert 0 == completed.returncode
    assert "Could not push metrics" in completed.stderr
