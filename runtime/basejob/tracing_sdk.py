"""The run's span through the OpenTelemetry SDK: used only when something will see the span.

`basejob.tracing` imports this module when spans are exported, when the trace's sampling or
propagation is configured, or when the job's own code already uses the OpenTelemetry API
(so that its spans and instrumented libraries join the run's trace). Importing the SDK costs
about 50 ms of every run's start-up, which a run that exports nothing should not pay.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any, Final

from opentelemetry import trace
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

from basejob.tracing import TracingSettings

# The public face is basejob.tracing: its logger name is the one operators filter on.
_LOGGER: Final = logging.getLogger("basejob.tracing")
_W3C: Final = TraceContextTextMapPropagator()


class SdkTracing:
    """Owns the TracerProvider of one process.

    With an explicit `exporter` (tests pass an InMemorySpanExporter) spans are exported
    synchronously through a SimpleSpanProcessor, so they are visible as soon as a span ends.
    The OTLP exporter goes through a BatchSpanProcessor instead: ending a span only queues it,
    and the network is touched on a background thread and in `shutdown()`, never in the job.

    The newest instance also serves the global tracer provider, so instrumented libraries
    record their spans into this run's trace; constructing several instances in one process
    (tests) switches the global delegate instead of trying to replace the global provider.
    """

    def __init__(self, settings: TracingSettings, *, exporter: SpanExporter | None) -> None:
        self._settings = settings
        self._provider = TracerProvider(
            resource=_resource(settings),
            shutdown_on_exit=False,  # shutdown() is bounded; the SDK's exit hook would not be
        )
        processor = _processor(settings, exporter)
        if processor is not None:
            self._provider.add_span_processor(processor)
        self._tracer = self._provider.get_tracer("basejob.tracing")
        self._parent = _parent_context(settings.traceparent, settings.tracestate)
        _GLOBAL_PROVIDER.activate(self._provider)

    @contextlib.contextmanager
    def run_span(
        self, name: str, *, attributes: Mapping[str, str | int | float | bool]
    ) -> Iterator[None]:
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
                yield
            except BaseException as error:
                _end_with_error(span, error)
                raise
            span.set_status(Status(StatusCode.OK))

    def shutdown(self) -> None:
        """Flush and shut down within `export_timeout_seconds` in total; never raises.

        Flushing runs on a daemon thread that is abandoned at the deadline: the SDK's
        `force_flush` ignores its timeout, and the exporter's own timeout bounds each request,
        not the whole flush.
        """
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


def _end_with_error(span: Span, error: BaseException) -> None:
    """Every exception fails the run except `SystemExit` with a success code."""
    if isinstance(error, SystemExit) and error.code in (None, 0):
        span.set_status(Status(StatusCode.OK))
        return
    span.record_exception(error, escaped=True)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))


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
        # Imported here: it costs ~65 ms of start-up, and a job may use the SDK without export.
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
