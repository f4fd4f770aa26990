"""One OpenTelemetry span per job run, without ever blocking or failing the job.

A run is one short-lived process: it starts, does its work and exits. Its trace is one root
span (continuing the operator's trace when the Pod carries a W3C `TRACEPARENT`), whose IDs also
go into log lines and, as `traceparent`, into calls to external services. Everything is read
from the standard OpenTelemetry environment variables, so any OTLP/HTTP collector works.

Telemetry is secondary to the job: a missing, unreachable or slow collector costs at most
`export_timeout_seconds` at shutdown and never raises. Spans are created even when nothing is
exported, so trace and span IDs still correlate the run's log lines.

Start-up: the OpenTelemetry SDK (`basejob.tracing_sdk`) is imported only when something will
see more of the span than its IDs: an exporter, an OTLP endpoint, a non-default sampler or
propagator, or job code that already imported the OpenTelemetry API (its spans then join the
run's trace). Otherwise the run's span is a W3C trace context of our own: the same IDs, parent
and sampled flag the SDK would give, in log lines and outgoing headers, without ~50 ms of
imports. Job code that imports OpenTelemetry only inside `execute` gets no SDK provider then.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import re
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from basejob import contract

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = [
    "Tracing",
    "TracingSettings",
    "current_trace_ids",
    "outgoing_headers",
]

_LOGGER: Final = logging.getLogger(__name__)

# Variables of the OpenTelemetry specification that basejob.contract does not name.
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
OTEL_PROPAGATORS: Final = "OTEL_PROPAGATORS"
OTEL_SDK_DISABLED: Final = "OTEL_SDK_DISABLED"
OTEL_TRACES_EXPORTER: Final = "OTEL_TRACES_EXPORTER"
OTEL_TRACES_SAMPLER: Final = "OTEL_TRACES_SAMPLER"
TRACEPARENT: Final = "TRACEPARENT"
TRACESTATE: Final = "TRACESTATE"

DEFAULT_SERVICE_NAME: Final = "basejob"
_SERVICE_NAME: Final = "service.name"  # the semantic convention's resource attribute
# The generic endpoint is a base URL; each signal appends its own path (OTLP/HTTP specification).
_TRACES_PATH: Final = "/v1/traces"
_CORRELATION_HEADER: Final = "X-Correlation-ID"
# Propagator lists whose only effect on a run's outgoing headers is W3C traceparent/tracestate.
_DEFAULT_PROPAGATORS: Final = frozenset(
    {"tracecontext,baggage", "tracecontext", "baggage,tracecontext"}
)
# The W3C traceparent, as the OpenTelemetry propagator reads it (version 00 has no extra field).
_TRACEPARENT_RE: Final = re.compile(
    r"^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:(-.*)|[ \t]*)$"
)
_TRACEPARENT_MAXIMUM_LENGTH: Final = 512
# Trace flags as the SDK sets them on a run span with its default sampler and ID generator.
_SAMPLED: Final = 0x01
_RANDOM_TRACE_ID: Final = 0x02
_FLAGS_KEPT: Final = _SAMPLED | _RANDOM_TRACE_ID


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
    propagators: str | None = None
    """`OTEL_PROPAGATORS`; anything but the default W3C Trace Context needs the SDK."""
    sampler: str | None = None
    """`OTEL_TRACES_SAMPLER`; any sampler changes the sampled flag, so it needs the SDK."""
    sdk_disabled: bool = False
    """`OTEL_SDK_DISABLED=true`: no span at all, so no IDs in log lines (as with the SDK)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TracingSettings:
        """Settings from the standard OpenTelemetry variables (and W3C TRACEPARENT/TRACESTATE).

        `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is and wins over
        `OTEL_EXPORTER_OTLP_ENDPOINT`, to which `/v1/traces` is appended. `OTEL_SDK_DISABLED=true`
        or `OTEL_TRACES_EXPORTER=none` disable export. `OTEL_SERVICE_NAME` wins over a
        `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. The export timeout deliberately ignores
        `OTEL_EXPORTER_OTLP_TIMEOUT` (10 s by default): a run must not wait that long on exit.
        `OTEL_PROPAGATORS` and `OTEL_TRACES_SAMPLER` are read by the SDK itself; they are kept
        here only to decide whether the run needs the SDK.
        """
        resource_attributes = _parse_resource_attributes(
            environ.get(contract.OTEL_RESOURCE_ATTRIBUTES, "")
        )
        service_name = (
            _non_empty(environ.get(contract.OTEL_SERVICE_NAME))
            or resource_attributes.get(_SERVICE_NAME)
            or DEFAULT_SERVICE_NAME
        )
        return cls(
            endpoint=_traces_endpoint(environ),
            service_name=service_name,
            resource_attributes=resource_attributes,
            traceparent=_non_empty(environ.get(TRACEPARENT)),
            tracestate=_non_empty(environ.get(TRACESTATE)),
            propagators=_non_empty(environ.get(OTEL_PROPAGATORS)),
            sampler=_non_empty(environ.get(OTEL_TRACES_SAMPLER)),
            sdk_disabled=(_non_empty(environ.get(OTEL_SDK_DISABLED)) or "").lower() == "true",
        )

    @property
    def needs_sdk(self) -> bool:
        """True when something outside this process sees more than the run's IDs.

        That is: spans are exported, or propagation or sampling differ from the defaults that
        `basejob.tracing`'s own W3C span reproduces.
        """
        default_propagation = (self.propagators or "tracecontext,baggage").replace(" ", "")
        return (
            self.endpoint is not None
            or self.sampler is not None
            or default_propagation not in _DEFAULT_PROPAGATORS
        )


class _Backend(Protocol):
    def run_span(
        self, name: str, *, attributes: Mapping[str, str | int | float | bool]
    ) -> contextlib.AbstractContextManager[None]: ...

    def shutdown(self) -> None: ...


class Tracing:
    """The run's span, through the OpenTelemetry SDK or, when nothing would see it, without.

    With an explicit `exporter` (tests pass an InMemorySpanExporter) spans are exported
    synchronously through the SDK, so they are visible as soon as a span ends; the OTLP
    exporter queues them and sends them on a background thread and in `shutdown()`. See
    `basejob.tracing_sdk` for the SDK side and the module docstring for when it is used.
    """

    def __init__(self, settings: TracingSettings, *, exporter: SpanExporter | None = None) -> None:
        self._backend: _Backend
        if exporter is not None or settings.needs_sdk or _opentelemetry_loaded():
            from basejob import tracing_sdk  # noqa: PLC0415 - ~50 ms, only when it is used

            self._backend = tracing_sdk.SdkTracing(settings, exporter=exporter)
        else:
            self._backend = _W3CTracing(settings)
        self._shutdown_lock = threading.Lock()
        self._is_shut_down = False

    def run_span(
        self, name: str, *, attributes: Mapping[str, str | int | float | bool]
    ) -> contextlib.AbstractContextManager[None]:
        """The run's root span, current inside the block; ERROR (re-raised) on an exception."""
        return self._backend.run_span(name, attributes=attributes)

    def shutdown(self) -> None:
        """Flush and shut down within `export_timeout_seconds` in total; never raises.

        Calling it again does nothing.
        """
        with self._shutdown_lock:
            if self._is_shut_down:
                return
            self._is_shut_down = True
        self._backend.shutdown()


def _opentelemetry_loaded() -> bool:
    """True when something imported the OpenTelemetry API (before a run: the job's module)."""
    return "opentelemetry.trace" in sys.modules


@dataclass(frozen=True)
class _W3CSpan:
    """The run's span when no SDK is loaded: the IDs and flags its traceparent carries."""

    trace_id: str
    span_id: str
    flags: str
    tracestate: str | None

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


_CURRENT_W3C_SPAN: Final[contextvars.ContextVar[_W3CSpan | None]] = contextvars.ContextVar(
    "basejob_w3c_span", default=None
)


class _W3CTracing:
    """A run span without the SDK: new IDs, or a child of a valid TRACEPARENT, never exported."""

    def __init__(self, settings: TracingSettings) -> None:
        self._disabled = settings.sdk_disabled
        self._parent = _parse_traceparent(settings.traceparent)
        self._tracestate = settings.tracestate if self._parent is not None else None

    @contextlib.contextmanager
    def run_span(
        self, name: str, *, attributes: Mapping[str, str | int | float | bool]
    ) -> Iterator[None]:
        del name, attributes  # nothing is exported: only the IDs are ever seen
        if self._disabled:  # the SDK's tracers are no-ops then: no span, no IDs
            yield
            return
        if self._parent is None:
            trace_id, flags = _random_hex(128), _SAMPLED | _RANDOM_TRACE_ID
        else:
            # The SDK's default sampler follows the parent's sampled flag, and the SDK keeps
            # the parent's random-trace-ID flag (W3C Trace Context level 2).
            trace_id, flags = self._parent[0], int(self._parent[1], 16) & _FLAGS_KEPT
        span = _W3CSpan(trace_id, _random_hex(64), f"{flags:02x}", self._tracestate)
        token = _CURRENT_W3C_SPAN.set(span)
        try:
            yield
        finally:
            _CURRENT_W3C_SPAN.reset(token)

    def shutdown(self) -> None:
        """Nothing was queued, so nothing to flush."""


def _random_hex(bits: int) -> str:
    """A non-zero random ID as the SDK's RandomIdGenerator makes it, in hex."""
    value = 0
    while value == 0:
        value = random.getrandbits(bits)  # trace IDs, not secrets: as the SDK makes them
    return format(value, f"0{bits // 4}x")


def _parse_traceparent(traceparent: str | None) -> tuple[str, str] | None:
    """(trace ID, flags) of a valid TRACEPARENT, or None (a new trace) when absent or invalid."""
    if traceparent is None:
        return None
    match = _TRACEPARENT_RE.search(traceparent)
    if (
        match is None
        or len(traceparent) > _TRACEPARENT_MAXIMUM_LENGTH
        or not _valid(*match.groups())
    ):
        _LOGGER.warning("Ignoring invalid TRACEPARENT %r; starting a new trace", traceparent)
        return None
    return match.group(2), match.group(4)


def _valid(version: str, trace_id: str, span_id: str, _flags: str, extra: str | None) -> bool:
    """The W3C rules the OpenTelemetry propagator applies beyond the pattern."""
    if trace_id == "0" * 32 or span_id == "0" * 16 or version == "ff":
        return False
    return not (version == "00" and extra)


def _sdk_trace_ids() -> tuple[str, str] | None:
    """The current OpenTelemetry span's IDs, when the API is loaded and a valid span is current."""
    if not _opentelemetry_loaded():
        return None
    from opentelemetry import trace  # noqa: PLC0415 - already imported, see above

    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id), trace.format_span_id(span_context.span_id)


def current_trace_ids() -> tuple[str, str] | None:
    """(trace ID as 32 hex digits, span ID as 16) of the current span, or None without one."""
    ids = _sdk_trace_ids()
    if ids is not None:
        return ids
    span = _CURRENT_W3C_SPAN.get()
    return None if span is None else (span.trace_id, span.span_id)


def outgoing_headers(correlation_id: str) -> dict[str, str]:
    """Headers for a call to an external service: the correlation ID and the trace context.

    `traceparent` (and `tracestate` when non-empty) come from the global propagator (W3C
    Trace Context by default) applied to the current context; outside a span only the
    correlation ID is returned.
    """
    headers: dict[str, str] = {}
    if _opentelemetry_loaded():
        from opentelemetry import propagate  # noqa: PLC0415 - the API is loaded already

        propagate.inject(headers)
    span = _CURRENT_W3C_SPAN.get()
    if "traceparent" not in headers and span is not None:
        headers["traceparent"] = span.traceparent()
        if span.tracestate:
            headers["tracestate"] = span.tracestate
    if not headers.get("tracestate"):
        headers.pop("tracestate", None)
    headers[_CORRELATION_HEADER] = correlation_id
    return headers


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
