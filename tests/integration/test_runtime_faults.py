"""A run in a broken world ends in bounded time, with its exit code and one clear log line.

`basejob run` as a Pod starts it, against a real Pushgateway that hangs (SIGSTOP: it accepts
connections and never answers), a trace collector that refuses or never answers, and
environments the contract forbids. The Pushgateway down (connection refused) and answering 500
are in test_runtime_metrics.py; SIGTERM mid-run is in tests/unit/test_runtime_runs.py and, end
to end, in test_end_to_end.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from basejob import contract, runner
from basejob.tracing import TracingSettings
from scheduledjob_dev.monitoring import Pushgateway

TESTS = Path(__file__).resolve().parents[1]
MARGIN_SECONDS = 4.0  # interpreter start-up and imports on a busy 2-core machine
VALID_UID = "3f1c0a9e-5b7d-4c21-9e0f-0123456789ab"


def _basejob(*arguments: str, **variables: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`basejob run` with only the given contract variables; the process and its duration."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith((contract.RESERVED_PREFIX, "OTEL_", "TRACE"))
    }
    started = time.monotonic()
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "basejob"), "run", *arguments],
        env={**inherited, "PYTHONPATH": str(TESTS), **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed, time.monotonic() - started


def _lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def private_pushgateway() -> Iterator[Pushgateway]:
    """A Pushgateway of this test's own: stopping it stalls no other test."""
    with Pushgateway() as gateway:
        yield gateway


def _outcome_run(
    gateway: Pushgateway, scheduledjob: str, tmp_path: Path, *, fail: bool
) -> tuple[subprocess.CompletedProcess[str], float]:
    return _basejob(
        **{
            contract.JOB: "support.sample_jobs:OutcomeJob",
            contract.SCHEDULEDJOB_NAMESPACE: "faults",
            contract.SCHEDULEDJOB_NAME: scheduledjob,
            contract.DATA: json.dumps({"Fail": fail}),
            contract.RUN_UID: str(uuid.uuid4()),
            contract.PUSHGATEWAY_URL: gateway.url,
            contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(tmp_path / "termination"),
        }
    )


def _executions(gateway: Pushgateway, scheduledjob: str) -> dict[str, float]:
    """job_executions_total by status in the ScheduledJob's group on the gateway."""
    with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=5) as response:  # noqa: S310
        exposition = response.read().decode()
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "job_executions_total"
        and sample.labels.get("scheduledjob") == scheduledjob
    }


def test_a_hung_pushgateway_costs_the_push_timeout_and_changes_no_outcome(
    private_pushgateway: Pushgateway, tmp_path: Path
) -> None:
    """SIGSTOPped gateway: the run keeps its exit code, ends within the push timeout and warns
    naming it; after SIGCONT the next run's counts land on top of the earlier ones."""
    scheduledjob = f"hung-{uuid.uuid4().hex[:6]}"
    assert 0 == _outcome_run(private_pushgateway, scheduledjob, tmp_path, fail=False)[0].returncode
    os.kill(private_pushgateway.pid, signal.SIGSTOP)
    try:
        during, elapsed = _outcome_run(private_pushgateway, scheduledjob, tmp_path, fail=True)
    finally:
        os.kill(private_pushgateway.pid, signal.SIGCONT)

    assert contract.EXIT_TRANSIENT == during.returncode, during.stderr
    assert elapsed < runner.PUSH_TIMEOUT_SECONDS + MARGIN_SECONDS
    [warning] = [
        line
        for line in _lines(during.stderr)
        if line["event"].startswith("Could not push metrics to the Pushgateway")
    ]
    assert ("warning", runner.PUSH_TIMEOUT_SECONDS) == (
        warning["level"],
        warning["timeout_seconds"],
    )
    assert "timed out" in warning["error"]
    assert "failed" == json.loads((tmp_path / "termination").read_text())["result"]

    assert 0 == _outcome_run(private_pushgateway, scheduledjob, tmp_path, fail=False)[0].returncode
    # The hung run could not be counted; the two others are, on top of each other.
    assert {"success": 2.0} == _executions(private_pushgateway, scheduledjob)


@pytest.fixture
def silent_collector() -> Iterator[str]:
    """An OTLP endpoint that accepts connections and never answers (a hung collector)."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def _refused_endpoint() -> str:
    """A loopback endpoint nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("collector", ["refused", "silent"])
def test_a_dead_trace_collector_changes_no_outcome(
    silent_collector: str, tmp_path: Path, collector: str
) -> None:
    """OTLP endpoint refusing or hung: exit code kept, the export given up within its timeout,
    and a log line saying the spans were not exported."""
    endpoint = _refused_endpoint() if collector == "refused" else silent_collector
    completed, elapsed = _basejob(
        "support.sample_jobs:FlakyJob",
        **{
            contract.RUN_UID: VALID_UID,
            contract.OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
            contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(tmp_path / "termination"),
        },
    )

    assert contract.EXIT_TRANSIENT == completed.returncode, completed.stderr
    assert elapsed < TracingSettings.export_timeout_seconds + MARGIN_SECONDS
    export_lines = [
        line["event"]
        for line in _lines(completed.stderr)
        if line["level"] in ("warning", "error") and "export" in line["event"].lower()
    ]
    assert export_lines, completed.stderr


@pytest.mark.parametrize(
    ("arguments", "variables", "named"),
    [
        (["support.sample_jobs:NoOpJob"], {contract.DATA: "{not json"}, contract.DATA),
        (["support.sample_jobs:NoOpJob"], {contract.DATA: "[1, 2]"}, contract.DATA),
        (["support.sample_jobs:NoOpJob"], {contract.RUN_UID: "not a uid!"}, contract.RUN_UID),
        (["support.sample_jobs:NoOpJob"], {contract.FIRE_TIME: "yesterday"}, contract.FIRE_TIME),
        ([], {}, contract.JOB),
        (["NoSuchJob"], {}, "NoSuchJob"),
        (["support.sample_jobs:NoSuchJob"], {}, "NoSuchJob"),
    ],
    ids=[
        "data-not-json",
        "data-not-an-object",
        "run-uid-malformed",
        "fire-time-malformed",
        "job-missing",
        "job-unknown",
        "class-unknown",
    ],
)
def test_a_malformed_environment_exits_fatal_with_one_line_naming_it(
    arguments: list[str], variables: dict[str, str], named: str, tmp_path: Path
) -> None:
    """Exit 78 (retrying cannot help), one error line and a termination message naming it."""
    termination = tmp_path / "termination"
    completed, elapsed = _basejob(
        *arguments,
        **{
            contract.RUN_UID: VALID_UID,
            contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(termination),
            **variables,
        },
    )

    assert contract.EXIT_FATAL == completed.returncode, completed.stderr
    assert elapsed < MARGIN_SECONDS * 2
    [line] = _lines(completed.stderr)
    assert ("error", "Could not start the job") == (line["level"], line["event"])
    assert named in line["error"]
    assert "Traceback" not in completed.stderr
    assert [] == [text for text in completed.stderr.splitlines() if not text.startswith("{")]
    summary = json.loads(termination.read_text())
    assert ("failed", line["error_type"]) == (summary["result"], summary["errorType"])
    assert named in summary["message"]
