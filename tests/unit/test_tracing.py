"""Unit tests for the run's span: settings from the environment, parenting, headers, shutdown."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from basejob import tracing as tracing_module
from basejob.tracing import Tracing, TracingSettings, current_trace_ids, outgoing_headers

PARENT_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01"
UNREACHABLE_COLLECTOR = "http://127.0.0.1:9/v1/traces"  # loopback discard port: nothing listens

NO_EXPORT = TracingSettings(endpoint=None)

MakeTracing = Callable[..., Tracing]


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """Collects the spans a Tracing exports."""
    return InMemorySpanExporter()


@pytest.fixture
def make_tracing(exporter: InMemorySpanExporter) -> Iterator[MakeTracing]:
    """Builds Tracing instances exporting to `exporter` and shuts them all down afterwards."""
    created: list[Tracing] = []

    def make(settings: TracingSettings = NO_EXPORT, *, use_exporter: bool = True) -> Tracing:
        tracing = Tracing(settings, exporter=exporter if use_exporter else None)
        created.append(tracing)
        return tracing

    yield make
    for tracing in created:
        tracing.shutdown()


@pytest.fixture
def silent_collector() -> Iterator[str]:
    """A loopback collector that accepts connections but never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        port = server.getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1/traces"


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    """The single span exported so far."""
    (span,) = exporter.get_finished_spans()
    return span


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    """The span's (trace ID, span ID) as hex."""
    context = span.get_span_context()
    assert context is not None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def test_run_span_carries_name_attributes_and_ok_status(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter
) -> None:
    """A run that returns ends one INTERNAL span with its attributes and status OK."""
    tracing = make_tracing()
    attributes: dict[str, str | int | float | bool] = {
        "basejob.job": "DataCleanupJob",
        "basejob.attempt": 1,
        "basejob.dry_run": False,
    }

    with tracing.run_span("basejob.run DataCleanupJob", attributes=attributes):
        pass

    span = only_span(exporter)
    assert "basejob.run DataCleanupJob" == span.name
    assert SpanKind.INTERNAL == span.kind
    assert attributes == dict(span.attributes or {})
    assert StatusCode.OK == span.status.status_code


def test_resource_carries_service_name_and_resource_attributes(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter
) -> None:
    """The span's resource names the service and adds OTEL_RESOURCE_ATTRIBUTES."""
    tracing = make_tracing(
        TracingSettings(endpoint=None, service_name="cleanup", resource_attributes={"team": "data"})
    )

    with tracing.run_span("run", attributes={}):
        pass

    resource = only_span(exporter).resource.attributes
    assert ("cleanup", "data") == (resource["service.name"], resource["team"])


def test_exception_is_recorded_sets_error_and_is_reraised(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter
) -> None:
    """An exception inside the run becomes an exception event and ERROR, and propagates."""
    tracing = make_tracing()
    message = "bad row"

    with pytest.raises(ValueError, match=message), tracing.run_span("run", attributes={}):
        raise ValueError(message)

    span = only_span(exporter)
    assert StatusCode.ERROR == span.status.status_code
    assert "ValueError: bad row" == span.status.description
    assert ["exception"] == [event.name for event in span.events]
    assert "ValueError" == span.events[0].attributes["exception.type"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "expected_status"),
    [(None, StatusCode.OK), (0, StatusCode.OK), (75, StatusCode.ERROR), ("boom", StatusCode.ERROR)],
)
def test_system_exit_is_an_error_only_with_a_failure_code(
    make_tracing: MakeTracing,
    exporter: InMemorySpanExporter,
    code: int | str | None,
    expected_status: StatusCode,
) -> None:
    """SystemExit(0) or SystemExit() ends the span OK; any other exit code is ERROR."""
    tracing = make_tracing()

    with pytest.raises(SystemExit), tracing.run_span("run", attributes={}):
        raise SystemExit(code)

    assert expected_status == only_span(exporter).status.status_code


def test_valid_traceparent_is_continued(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter
) -> None:
    """A valid TRACEPARENT makes the run span its child, in the same trace."""
    tracing = make_tracing(
        TracingSettings(endpoint=None, traceparent=TRACEPARENT, tracestate="vendor=abc")
    )

    with tracing.run_span("run", attributes={}):
        pass

    span = only_span(exporter)
    assert span.parent is not None
    assert PARENT_TRACE_ID == hex_ids(span)[0]
    assert PARENT_SPAN_ID == trace.format_span_id(span.parent.span_id)
    assert span.parent.is_remote
    assert "vendor=abc" == span.get_span_context().trace_state.to_header()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "traceparent",
    [
        "garbage",
        f"00-{'0' * 32}-{PARENT_SPAN_ID}-01",  # all-zero trace ID
        f"00-{PARENT_TRACE_ID}-{'0' * 16}-01",  # all-zero span ID
        f"ff-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01",  # forbidden version
        f"00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}",  # no flags
    ],
)
def test_invalid_traceparent_is_ignored(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter, traceparent: str
) -> None:
    """An invalid TRACEPARENT is ignored: the run starts a new trace without a parent."""
    tracing = make_tracing(TracingSettings(endpoint=None, traceparent=traceparent))

    with tracing.run_span("run", attributes={}):
        pass

    span = only_span(exporter)
    assert span.parent is None
    assert PARENT_TRACE_ID != hex_ids(span)[0]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, "http://c:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/custom"}, "http://t:4318/custom"),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/v1/traces",
            },
            "http://t:4318/v1/traces",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, None),
    ],
)
def test_from_environ_resolves_the_traces_endpoint(
    environ: dict[str, str], expected: str | None
) -> None:
    """The traces endpoint wins as is; the generic one gets /v1/traces; export can be disabled."""
    assert expected == TracingSettings.from_environ(environ).endpoint


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "basejob"),
        ({"OTEL_SERVICE_NAME": "cleanup"}, "cleanup"),
        ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes"}, "from-attributes"),
        (
            {"OTEL_SERVICE_NAME": "cleanup", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"},
            "cleanup",
        ),
    ],
)
def test_from_environ_resolves_the_service_name(environ: dict[str, str], expected: str) -> None:
    """OTEL_SERVICE_NAME wins over service.name in the resource attributes, then 'basejob'."""
    assert expected == TracingSettings.from_environ(environ).service_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("team=data,env=prod", {"team": "data", "env": "prod"}),
        (" team = data platform , env=prod ", {"team": "data platform", "env": "prod"}),
        ("team=data%20platform,url=a%3Db%2Cc", {"team": "data platform", "url": "a=b,c"}),
        ("plus=a+b", {"plus": "a+b"}),
        ("novalue,=orphan,,team=data", {"team": "data"}),
        ("empty=", {"empty": ""}),
    ],
)
def test_from_environ_parses_resource_attributes(raw: str, expected: dict[str, str]) -> None:
    """k=v pairs are trimmed and percent-decoded; pairs without '=' or key are skipped."""
    settings = TracingSettings.from_environ({"OTEL_RESOURCE_ATTRIBUTES": raw})
    assert expected == dict(settings.resource_attributes)


def test_from_environ_reads_trace_context_and_defaults() -> None:
    """TRACEPARENT and TRACESTATE are read; the export timeout keeps its default."""
    settings = TracingSettings.from_environ(
        {"TRACEPARENT": f" {TRACEPARENT} ", "TRACESTATE": "vendor=abc"}
    )
    expected = TracingSettings(
        endpoint=None, traceparent=TRACEPARENT, tracestate="vendor=abc", export_timeout_seconds=2.0
    )
    assert expected == settings


def test_outgoing_headers_inside_a_span_carry_trace_and_correlation(
    make_tracing: MakeTracing,
) -> None:
    """Inside the run span the headers hold the correlation ID and the span's traceparent."""
    tracing = make_tracing(
        TracingSettings(endpoint=None, traceparent=TRACEPARENT, tracestate="vendor=abc")
    )

    with tracing.run_span("run", attributes={}):
        headers = outgoing_headers("cleanup-0123456789abcdef")
        ids = current_trace_ids()

    assert ids is not None
    trace_id, span_id = ids
    expected = {
        "X-Correlation-ID": "cleanup-0123456789abcdef",
        "traceparent": f"00-{trace_id}-{span_id}-01",
        "tracestate": "vendor=abc",
    }
    assert expected == headers
    assert PARENT_TRACE_ID == trace_id


def test_outgoing_headers_outside_a_span_hold_only_the_correlation_id() -> None:
    """Without a current span there is no trace context to pass on."""
    assert {"X-Correlation-ID": "c-1"} == outgoing_headers("c-1")


def test_current_trace_ids_are_the_run_spans_inside_and_none_outside(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter
) -> None:
    """Inside the run span the IDs are the span's (32 and 16 hex digits); outside, None."""
    tracing = make_tracing()

    with tracing.run_span("run", attributes={}):
        inside = current_trace_ids()

    assert hex_ids(only_span(exporter)) == inside
    assert None is current_trace_ids()


def test_spans_exist_without_endpoint_or_exporter(make_tracing: MakeTracing) -> None:
    """With nothing to export to, the run span still has IDs for the log lines."""
    tracing = make_tracing(use_exporter=False)

    with tracing.run_span("run", attributes={}):
        ids = current_trace_ids()

    assert ids is not None
    assert (32, 16) == tuple(len(part) for part in ids)


@pytest.mark.parametrize("instances", [1, 3])
def test_global_tracer_records_into_the_newest_tracing(
    make_tracing: MakeTracing, exporter: InMemorySpanExporter, instances: int
) -> None:
    """A library using the global tracer API gets child spans of the run, however many instances."""
    for _ in range(instances - 1):
        make_tracing(use_exporter=False)
    tracing = make_tracing()
    library_tracer = trace.get_tracer("some.instrumented.library")

    with (
        tracing.run_span("run", attributes={}),
        library_tracer.start_as_current_span("GET /api"),
    ):
        pass

    library_span, run_span = exporter.get_finished_spans()
    assert run_span.context is not None
    assert library_span.parent is not None
    assert run_span.context.span_id == library_span.parent.span_id


def test_exporter_misconfiguration_disables_export_instead_of_failing(
    make_tracing: MakeTracing, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An OTLP setting the exporter rejects at construction leaves a run span without export."""
    monkeypatch.setenv("OTEL_PYTHON_EXPORTER_OTLP_HTTP_TRACES_CREDENTIAL_PROVIDER", "no-such")
    tracing = make_tracing(TracingSettings(endpoint=UNREACHABLE_COLLECTOR), use_exporter=False)

    with tracing.run_span("run", attributes={}):
        ids = current_trace_ids()

    assert ids is not None
    assert ["Trace export disabled: cannot create the OTLP exporter"] == [
        record.getMessage() for record in caplog.records if record.name == "basejob.tracing"
    ]


@pytest.mark.parametrize(("collector", "timeout"), [("unreachable", 2.0), ("silent", 0.5)])
def test_shutdown_is_bounded_and_silent_when_the_collector_fails(
    make_tracing: MakeTracing, silent_collector: str, collector: str, timeout: float
) -> None:
    """shutdown() returns within the export timeout plus 1 s and raises nothing."""
    endpoint = UNREACHABLE_COLLECTOR if collector == "unreachable" else silent_collector
    tracing = make_tracing(
        TracingSettings(endpoint=endpoint, export_timeout_seconds=timeout), use_exporter=False
    )
    with tracing.run_span("run", attributes={}):
        pass

    started = time.monotonic()
    tracing.shutdown()
    elapsed = time.monotonic() - started

    assert elapsed < timeout + 1.0


def test_shutdown_twice_is_harmless(make_tracing: MakeTracing) -> None:
    """A second shutdown() does nothing."""
    tracing = make_tracing()
    tracing.shutdown()

    started = time.monotonic()
    tracing.shutdown()

    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"TRACEPARENT": TRACEPARENT, "OTEL_SERVICE_NAME": "cleanup"}, False),
        ({"OTEL_PROPAGATORS": "tracecontext, baggage"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, True),
        ({"OTEL_PROPAGATORS": "b3"}, True),
        ({"OTEL_TRACES_SAMPLER": "always_off"}, True),
    ],
)
def test_the_sdk_is_needed_only_when_more_than_the_ids_is_seen(
    environ: dict[str, str], expected: bool
) -> None:
    """Export, a sampler or a non-W3C propagator need the SDK; IDs and a parent do not."""
    assert expected == TracingSettings.from_environ(environ).needs_sdk


def _as_seen(ids: tuple[str, str] | None, headers: dict[str, str]) -> tuple[object, ...]:
    """What logs and external services see of a run span, minus the random IDs."""
    assert ids is not None
    trace_id, span_id = ids
    traceparent = headers["traceparent"]
    return (
        trace_id == PARENT_TRACE_ID,
        traceparent[:-3] == f"00-{trace_id}-{span_id}",
        traceparent[-2:],
        headers.get("tracestate"),
        sorted(headers),
    )


@pytest.mark.parametrize(
    "traceparent",
    [
        None,
        TRACEPARENT,
        f"00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-00",
        f"00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-03",
        "garbage",
    ],
    ids=["new-trace", "sampled-parent", "unsampled-parent", "random-id-parent", "invalid-parent"],
)
def test_a_run_without_the_sdk_looks_like_one_with_it(
    make_tracing: MakeTracing, monkeypatch: pytest.MonkeyPatch, traceparent: str | None
) -> None:
    """Without the SDK the run's IDs, parent, sampled flag and headers are as the SDK's."""
    settings = TracingSettings(endpoint=None, traceparent=traceparent, tracestate="vendor=abc")
    with make_tracing(settings, use_exporter=False).run_span("run", attributes={}):
        with_sdk = _as_seen(current_trace_ids(), outgoing_headers("c-1"))
    monkeypatch.setattr(tracing_module, "_opentelemetry_loaded", lambda: False)
    without = Tracing(settings)

    with without.run_span("run", attributes={}):
        without_sdk = _as_seen(current_trace_ids(), outgoing_headers("c-1"))
    without.shutdown()

    assert with_sdk == without_sdk
    assert (None, {"X-Correlation-ID": "c-1"}) == (current_trace_ids(), outgoing_headers("c-1"))


def test_a_run_without_the_sdk_reraises_and_warns_of_an_invalid_parent(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the SDK an exception still propagates, and a bad TRACEPARENT is still named."""
    monkeypatch.setattr(tracing_module, "_opentelemetry_loaded", lambda: False)
    without = Tracing(TracingSettings(endpoint=None, traceparent="garbage"))
    message = "bad row"

    with pytest.raises(ValueError, match=message), without.run_span("run", attributes={}):
        raise ValueError(message)

    assert ["Ignoring invalid TRACEPARENT 'garbage'; starting a new trace"] == [
        record.getMessage() for record in caplog.records if record.name == "basejob.tracing"
    ]


def test_with_the_sdk_disabled_neither_way_gives_ids(
    make_tracing: MakeTracing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_SDK_DISABLED=true: no span IDs and no traceparent, with the SDK or without."""
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")  # the SDK reads it itself
    settings = TracingSettings.from_environ({"OTEL_SDK_DISABLED": "true"})
    seen = []
    with make_tracing(settings, use_exporter=False).run_span("run", attributes={}):
        seen.append((current_trace_ids(), outgoing_headers("c-1")))
    monkeypatch.setattr(tracing_module, "_opentelemetry_loaded", lambda: False)
    with Tracing(settings).run_span("run", attributes={}):
        seen.append((current_trace_ids(), outgoing_headers("c-1")))

    assert [(None, {"X-Correlation-ID": "c-1"})] * 2 == seen
