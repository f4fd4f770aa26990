"""One OpenTelemetry span per job run, without ever blocking or failing the job.

A run is one short-lived process: it starts, does its work and exits. Its trace is one root
span (continuing the operator's trace when the Pod carries a W3C `TRACEPARENT`), whose IDs also
go into log lines and, as `traceparent`, into calls to external services. Everything is read
from the standard OpenTelemetry environment variables, so any OTLP/HTTP collector works.

Telemetry is secondary to the job: a missing, unreachable or slow collector costs at most
`export_timeout_seconds` at shutdown and never raises. Spans are created even when nothing is
exported, so trace and span IDs still correlate the run's log lines.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk import version as sdk_version
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    TELEMETRY_SDK_LANGUAGE,
    TELEMETRY_SDK_NAME,
    TELEMETRY_SDK_VERSION,
    Resource,
)
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from basejob import contract

__all__ = [
    "Tracing",
    "TracingSettings",
    "current_trace_ids",
    "outgoing_headers",
]

_LOGGER: Final = logging.getLogger(__name__)

# Variables of the OpenTelemetry specification that basejob.contract does not name.
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
OTEL_SDK_DISABLED: Final = "OTEL_SDK_DISABLED"
OTEL_TRACES_EXPORTER: Final = "OTEL_TRACES_EXPORTER"
TRACEPARENT: Final = "TRACEPARENT"
TRACESTATE: Final = "TRACESTATE"

DEFAULT_SERVICE_NAME: Final = "basejob"
# The generic endpoint is a base URL; each signal appends its own path (OTLP/HTTP specification).
_TRACES_PATH: Final = "/v1/traces"
_CORRELATION_HEADER: Final = "X-Correlation-ID"
_W3C: Final = TraceContextTextMapPropagator()


@dataclass(frozen=True, kw_only=True)
class TracingSettings:
    """Where and as whom the run's span is exported, and which trace it continues.

    `endpoint` is the full OTLP/HTTP traces URL (`.../v1/traces`); `None` disables export.
    """

    endpoint: str | None
    service_name: str = DEFAULT_SERVICE_NAME
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    traceparent: str | None = None
    tracestate: str | None = None
    export_timeout_seconds: float = 2.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TracingSettings:
        """Settings from the standard OpenTelemetry variables (and W3C TRACEPARENT/TRACESTATE).

        `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is and wins over
        `OTEL_EXPORTER_OTLP_ENDPOINT`, to which `/v1/traces` is appended. `OTEL_SDK_DISABLED=true`
        or `OTEL_TRACES_EXPORTER=none` disable export. `OTEL_SERVICE_NAME` wins over a
        `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. The export timeout deliberately ignores
        `OTEL_EXPORTER_OTLP_TIMEOUT` (10 s by default): a run must not wait that long on exit.
        """
        resource_attributes = _parse_resource_attributes(
            environ.get(contract.OTEL_RESOURCE_ATTRIBUTES, "")
        )
        service_name = (
            _non_empty(environ.get(contract.OTEL_SERVICE_NAME))
            or resource_attributes.get(SERVICE_NAME)
            or DEFAULT_SERVICE_NAME
        )
        return cls(
            endpoint=_traces_endpoint(environ),
            service_name=service_name,
            resource_attributes=resource_attributes,
            traceparent=_non_empty(environ.get(TRACEPARENT)),
            tracestate=_non_empty(environ.get(TRACESTATE)),
        )


class Tracing:
    """Owns the TracerProvider of one process.

    With an explicit `exporter` (tests pass an InMemorySpanExporter) spans are exported
    synchronously through a SimpleSpanProcessor, so they are visible as soon as a span ends.
    The OTLP exporter goes through a BatchSpanProcessor instead: ending a span only queues it,
    and the network is touched on a background thread and in `shutdown()`, never in the job.

    The newest instance also serves the global tracer provider, so instrumented libraries
    record their spans into this run's trace; constructing several instances in one process
    (tests) switches the global delegate instead of trying to replace the global provider.
    """

    def __init__(self, settings: TracingSettings, *, exporter: SpanExporter | None = None) -> None:
        self._settings = settings
        self._provider = TracerProvider(
            resource=_resource(settings),
            shutdown_on_exit=False,  # shutdown() is bounded; the SDK's exit hook would not be
        )
        processor = _processor(settings, exporter)
        if processor is not None:
            self._provider.add_span_processor(processor)
        self._tracer = self._provider.get_tracer(__name__)
        self._parent = _parent_context(settings.traceparent, settings.tracestate)
        self._shutdown_lock = threading.Lock()
        self._is_shut_down = False
        _GLOBAL_PROVIDER.activate(self._provider)

    @contextlib.contextmanager
    def run_span(
        self, name: str, *, attributes: Mapping[str, str | int | float | bool]
    ) -> Iterator[Span]:
        """The run's root span, current inside the block; ERROR (re-raised) on an exception."""
        with self._tracer.start_as_current_span(
            name,
            context=self._parent,
            kind=SpanKind.INTERNAL,
            attributes=dict(attributes),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except BaseException as error:
                if _is_failure(error):
                    span.record_exception(error, escaped=True)
                    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
                else:
                    span.set_status(Status(StatusCode.OK))
                raise
            span.set_status(Status(StatusCode.OK))

    def shutdown(self) -> None:
        """Flush and shut down within `export_timeout_seconds` in total; never raises.

        Flushing runs on a daemon thread that is abandoned at the deadline: the SDK's
        `force_flush` ignores its timeout, and the exporter's own timeout bounds each request,
        not the whole flush. Calling it again does nothing.
        """
        with self._shutdown_lock:
            if self._is_shut_down:
                return
            self._is_shut_down = True
        _GLOBAL_PROVIDER.deactivate(self._provider)
        timeout = max(self._settings.export_timeout_seconds, 0.0)
        worker = threading.Thread(
            target=self._flush_and_shut_down,
            args=(int(timeout * 1000),),
            name="basejob-tracing-shutdown",
            daemon=True,
        )
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            _LOGGER.warning(
                "Trace export did not finish within %.1f s; the run's spans may be lost",
                timeout,
            )

    def _flush_and_shut_down(self, timeout_millis: int) -> None:
        try:
            self._provider.force_flush(timeout_millis)
            self._provider.shutdown()
        except Exception:
            _LOGGER.warning("Trace export failed at shutdown", exc_info=True)


def current_trace_ids() -> tuple[str, str] | None:
    """(trace ID as 32 hex digits, span ID as 16) of the current span, or None without one."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id), trace.format_span_id(span_context.span_id)


def outgoing_headers(correlation_id: str) -> dict[str, str]:
    """Headers for a call to an external service: the correlation ID and the trace context.

    `traceparent` (and `tracestate` when non-empty) come from the global propagator (W3C
    Trace Context by default) applied to the current context; outside a span only the
    correlation ID is returned.
    """
    headers: dict[str, str] = {}
    propagate.inject(headers)
    if not headers.get("tracestate"):
        headers.pop("tracestate", None)
    headers[_CORRELATION_HEADER] = correlation_id
    return headers


class _SwitchingTracerProvider(trace.TracerProvider):
    """The process-global provider: forwards to the newest live Tracing's provider.

    The API allows setting the global provider only once per process; this stand-in is set
    once and its target switched, so tracers that libraries obtained earlier stay valid.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._target: trace.TracerProvider = trace.NoOpTracerProvider()
        self._installed = False

    @property
    def target(self) -> trace.TracerProvider:
        return self._target

    def activate(self, provider: trace.TracerProvider) -> None:
        with self._lock:
            self._target = provider
            if self._installed:
                return
            self._installed = True
            if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
                trace.set_tracer_provider(self)
            else:
                _LOGGER.info("A global tracer provider is already set; leaving it in place")

    def deactivate(self, provider: trace.TracerProvider) -> None:
        with self._lock:
            if self._target is provider:
                self._target = trace.NoOpTracerProvider()

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> trace.Tracer:
        return _SwitchingTracer(
            self,
            instrumenting_module_name,
            instrumenting_library_version,
            schema_url,
            attributes,
        )


class _SwitchingTracer(trace.Tracer):
    """A tracer that asks its provider's current target for the real tracer on every span."""

    def __init__(
        self,
        provider: _SwitchingTracerProvider,
        name: str,
        version: str | None,
        schema_url: str | None,
        attributes: Mapping[str, Any] | None,
    ) -> None:
        self._provider = provider
        self._name = name
        self._version = version
        self._schema_url = schema_url
        self._attributes = attributes

    def _current(self) -> trace.Tracer:
        return self._provider.target.get_tracer(
            self._name, self._version, self._schema_url, self._attributes
        )

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


_GLOBAL_PROVIDER: Final = _SwitchingTracerProvider()


def _non_empty(value: str | None) -> str | None:
    stripped = (value or "").strip()
    return stripped or None


def _traces_endpoint(environ: Mapping[str, str]) -> str | None:
    if (_non_empty(environ.get(OTEL_SDK_DISABLED)) or "").lower() == "true":
        return None
    if (_non_empty(environ.get(OTEL_TRACES_EXPORTER)) or "").lower() == "none":
        return None
    if traces_endpoint := _non_empty(environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)):
        return traces_endpoint
    if base := _non_empty(environ.get(contract.OTEL_EXPORTER_OTLP_ENDPOINT)):
        return base.rstrip("/") + _TRACES_PATH
    return None


def _parse_resource_attributes(raw: str) -> dict[str, str]:
    """`k=v,k=v` with percent-encoded values; pairs without `=` or without a key are skipped."""
    attributes: dict[str, str] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        key, separator, value = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            _LOGGER.warning("Ignoring malformed OTEL_RESOURCE_ATTRIBUTES entry %r", pair)
            continue
        attributes[key] = urllib.parse.unquote(value.strip())
    return attributes


def _resource(settings: TracingSettings) -> Resource:
    # Built from the settings alone (Resource.create would also read os.environ and run the
    # resource detectors), so the settings stay the single source of truth.
    return Resource(
        {
            TELEMETRY_SDK_LANGUAGE: "python",
            TELEMETRY_SDK_NAME: "opentelemetry",
            TELEMETRY_SDK_VERSION: sdk_version.__version__,
            **settings.resource_attributes,
            SERVICE_NAME: settings.service_name,
        }
    )


def _processor(settings: TracingSettings, exporter: SpanExporter | None) -> SpanProcessor | None:
    if exporter is not None:
        return SimpleSpanProcessor(exporter)
    if settings.endpoint is None:
        return None
    try:
        # Imported here: it costs ~65 ms of start-up, and most local runs export nothing.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        otlp = OTLPSpanExporter(endpoint=settings.endpoint, timeout=settings.export_timeout_seconds)
    except Exception:
        # E.g. an unknown OTEL_PYTHON_EXPORTER_OTLP_*_CREDENTIAL_PROVIDER: must not fail the run.
        _LOGGER.warning("Trace export disabled: cannot create the OTLP exporter", exc_info=True)
        return None
    timeout_millis = int(settings.export_timeout_seconds * 1000)
    return BatchSpanProcessor(otlp, export_timeout_millis=timeout_millis)


def _parent_context(traceparent: str | None, tracestate: str | None) -> Context | None:
    """The context of a valid TRACEPARENT, or None (a new trace) when absent or invalid."""
    if traceparent is None:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    context = _W3C.extract(carrier)
    if not trace.get_current_span(context).get_span_context().is_valid:
        _LOGGER.warning("Ignoring invalid TRACEPARENT %r; starting a new trace", traceparent)
        return None
    return context


def _is_failure(error: BaseException) -> bool:
    """Every exception fails the run except `SystemExit` with a success code."""
    return not (isinstance(error, SystemExit) and error.code in (None, 0))
