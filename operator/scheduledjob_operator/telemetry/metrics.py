"""The operator's own Prometheus metrics, on a registry of their own (never the global one)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from scheduledjob_operator.telemetry.run_metrics import RunCounters
from scheduledjob_operator.telemetry.scheduledjob_metrics import ScheduledJobCollector


@dataclass(frozen=True)
class OperatorMetrics:
    """Reconcile counts, errors and durations, and the per-ScheduledJob gauges."""

    registry: CollectorRegistry
    reconciles: Counter
    reconcile_errors: Counter
    reconcile_duration: Histogram
    scheduledjobs: ScheduledJobCollector
    run_counters: RunCounters

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> OperatorMetrics:
        """Register the metrics on `registry` (a fresh one by default)."""
        registry = registry or CollectorRegistry()
        scheduledjobs = ScheduledJobCollector()
        registry.register(scheduledjobs)
        return cls(
            registry=registry,
            reconciles=Counter(
                "scheduledjob_operator_reconcile_total",
                "Reconciles of ScheduledJobs, by result "
                "(success, invalid, conflict, failed, error).",
                ["result"],
                registry=registry,
            ),
            reconcile_errors=Counter(
                "scheduledjob_operator_reconcile_errors_total",
                "Reconciles that failed with a transient error and were retried, by error type.",
                ["error_type"],
                registry=registry,
            ),
            reconcile_duration=Histogram(
                "scheduledjob_operator_reconcile_duration_seconds",
                "Time one reconcile took, including its API calls.",
                registry=registry,
            ),
            scheduledjobs=scheduledjobs,
            run_counters=RunCounters(registry),
        )

    def serve(self, port: int) -> None:
        """Expose /metrics on `port` in a background thread."""
        start_http_server(port, registry=self.registry)
