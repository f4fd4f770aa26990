"""Carries the caller's trace into the runs it schedules, so a run's span is the caller's child.

The W3C Trace Context propagator writes the current span's context as `traceparent` (and
`tracestate`). A one-shot ScheduledJob carries it in `spec.env` as TRACEPARENT/TRACESTATE,
which the runtime continues (basejob.tracing); a trigger carries it in an annotation the
operator copies into the triggered run's TRACEPARENT.

A recurring schedule gets none: every future run would join the one trace of the call that
created the ScheduledJob, days or months later, turning that trace into an unbounded pile of
unrelated runs. Each scheduled run starts its own trace instead.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT: Final = "TRACEPARENT"
TRACESTATE: Final = "TRACESTATE"
_W3C: Final = TraceContextTextMapPropagator()


def current_carrier() -> dict[str, str]:
    """`traceparent` (and a non-empty `tracestate`) of the current span; {} outside a span."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    if not carrier.get("tracestate"):
        carrier.pop("tracestate", None)
    return carrier


def current_traceparent() -> str | None:
    """The current span's W3C traceparent, or None outside a (valid) span."""
    return current_carrier().get("traceparent")


def run_environment() -> dict[str, str]:
    """TRACEPARENT (and TRACESTATE) for a one-shot run's container; {} outside a span."""
    carrier = current_carrier()
    names = {"traceparent": TRACEPARENT, "tracestate": TRACESTATE}
    return {names[key]: value for key, value in carrier.items() if key in names}
