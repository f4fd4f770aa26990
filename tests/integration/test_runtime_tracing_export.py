"""A run's span really leaves the process over OTLP/HTTP, in the caller's trace.

No OpenTelemetry Collector can be installed here (it is in no registry this machine reaches),
so the receiving end is a small OTLP/HTTP endpoint on loopback that decodes the protobuf
export request with the official `opentelemetry-proto` messages: a stand-in for the collector,
but the exporter, the wire format and the process boundary are real.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from basejob import contract

TESTS = Path(__file__).resolve().parents[1]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """An OTLP/HTTP traces endpoint on loopback collecting decoded export requests."""
    received: list[ExportTraceServiceRequest] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            received.append(request)
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()


def test_run_span_is_exported_in_the_callers_trace(
    otlp_receiver: tuple[str, list[ExportTraceServiceRequest]], tmp_path: Path
) -> None:
    """`basejob run` with OTEL_EXPORTER_OTLP_ENDPOINT and TRACEPARENT exports one span."""
    endpoint, received = otlp_receiver
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
    spans = [
        (resource_spans, span)
        for request in received
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    [(resource_spans, span)] = spans
    assert "basejob.run GreetingJob" == span.name
    assert (TRACE_ID, PARENT_SPAN) == (span.trace_id.hex(), span.parent_span_id.hex())
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert contract.correlation_id("traced", run_uid) == attributes["correlation.id"]
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert "basejob" == resource["service.name"]
