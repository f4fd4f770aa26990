"""A minimal OTLP/HTTP traces receiver on loopback, decoding the real protobuf payload.

No OpenTelemetry Collector can be installed here (it is in no registry this machine reaches),
so the receiving end is this small endpoint. It decodes each export request with the official
`opentelemetry-proto` messages: a stand-in for the collector, but the exporter, the wire format
and the process boundary are real.
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass
from typing import Any, Self

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span


@dataclass(frozen=True)
class ReceivedSpan:
    """One span with its resource's attributes, as the receiver decoded them."""

    span: Span
    resource: ResourceSpans

    @property
    def attributes(self) -> dict[str, str]:
        """The span's string attributes."""
        return {a.key: a.value.string_value for a in self.span.attributes}

    @property
    def resource_attributes(self) -> dict[str, str]:
        """The resource's string attributes (service.name, k8s.* ...)."""
        return {a.key: a.value.string_value for a in self.resource.resource.attributes}


class OtlpReceiver:
    """Collects decoded trace export requests; a context manager."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        received = self.requests

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

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)

    @property
    def endpoint(self) -> str:
        """The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far."""
        return [
            ReceivedSpan(span, resource_spans)
            for request in list(self.requests)
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
