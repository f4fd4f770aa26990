"""A run's span really leaves the process over OTLP/HTTP, in the caller's trace."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from basejob import contract
from support.otlp import OtlpReceiver

TESTS = Path(__file__).resolve().parents[1]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP traces endpoint on loopback collecting decoded export requests."""
    with OtlpReceiver() as receiver:
        yield receiver


def test_run_span_is_exported_in_the_callers_trace(
    otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """`basejob run` with OTEL_EXPORTER_OTLP_ENDPOINT and TRACEPARENT exports one span."""
    endpoint = otlp_receiver.endpoint
    run_uid = str(uuid.uuid4())
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "basejob"),
            "run",
            "support.sample_jobs:GreetingJob",
            "--data",
            "BatchSize=1",
        ],
        env={
            **os.environ,
            "PYTHONPATH": str(TESTS),
            contract.OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
            contract.OTEL_SERVICE_NAME: "basejob",
            "TRACEPARENT": f"00-{TRACE_ID}-{PARENT_SPAN}-01",
            contract.RUN_UID: run_uid,
            contract.CORRELATION_PREFIX: "traced",
            contract.TERMINATION_MESSAGE_PATH_VARIABLE: str(tmp_path / "termination"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr
    [received] = otlp_receiver.spans()
    assert "basejob.run GreetingJob" == received.span.name
    assert (TRACE_ID, PARENT_SPAN) == (
        received.span.trace_id.hex(),
        received.span.parent_span_id.hex(),
    )
    assert contract.correlation_id("traced", run_uid) == received.attributes["correlation.id"]
    assert "basejob" == received.resource_attributes["service.name"]
