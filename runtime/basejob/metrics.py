"""The run's Prometheus metrics, on a registry of its own, built only when something reads it.

Every run counts its outcome (`job_executions_total`, `job_duration_seconds`,
`job_errors_total`, `job_last_success_timestamp_seconds`), but only a run with a Pushgateway,
a test, or a job registering business metrics ever reads them. Importing prometheus_client
costs about 30 ms of start-up, so `RunMetrics` keeps the outcomes and builds the registry on
first use, replaying them; the push itself lives in `basejob.metrics_push`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PUSH_JOB = "basejob"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class BusinessMetrics:
    """Lets a job register its own metrics on the run's registry (pushed with the run).

    `registry` is the registry, or a function returning it, called on first use (so a run
    whose job registers nothing never imports prometheus_client).
    """

    def __init__(self, registry: CollectorRegistry | Callable[[], CollectorRegistry]) -> None:
        self._registry = registry

    def _target(self) -> CollectorRegistry:
        registry = self._registry
        return registry() if callable(registry) else registry

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter that accumulates across runs like the built-in ones."""
        from prometheus_client import Counter  # noqa: PLC0415 - see the module docstring

        return Counter(name, documentation, labels, registry=self._target())

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge; the last run's value is what Prometheus sees."""
        from prometheus_client import Gauge  # noqa: PLC0415 - see the module docstring

        return Gauge(name, documentation, labels, registry=self._target())

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DURATION_BUCKETS,
    ) -> Histogram:
        """A histogram whose buckets accumulate across runs."""
        from prometheus_client import Histogram  # noqa: PLC0415 - see the module docstring

        return Histogram(name, documentation, labels, buckets=buckets, registry=self._target())


@dataclass(frozen=True, kw_only=True)
class _Outcome:
    job_name: str
    status: str
    seconds: float
    error_type: str | None
    finished_at: float


class RunMetrics:
    """The seed's metrics, for one run, on a registry of its own (built on first use).

    Pass `registry` to use that one instead; the seed's metrics are registered on it at once.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._registry: CollectorRegistry | None = None
        self._outcomes: list[_Outcome] = []
        self.business = BusinessMetrics(lambda: self.registry)
        if registry is not None:
            self._register(registry)
            self._registry = registry

    @property
    def registry(self) -> CollectorRegistry:
        """The run's registry: the seed's metrics with every outcome recorded so far."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry  # noqa: PLC0415 - see module docstring

            registry = CollectorRegistry()
            self._register(registry)
            self._registry = registry
            for outcome in self._outcomes:
                self._apply(outcome)
        return self._registry

    def _register(self, registry: CollectorRegistry) -> None:
        from prometheus_client import Counter, Gauge, Histogram  # noqa: PLC0415

        self.executions = Counter(
            "job_executions_total",
            "Job runs by outcome (success, error, cancelled).",
            ["job_name", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "job_duration_seconds",
            "How long job runs took.",
            ["job_name"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "job_errors_total",
            "Failed job runs by error type (the exception's class name).",
            ["job_name", "error_type"],
            registry=registry,
        )
        self.last_success = Gauge(
            "job_last_success_timestamp_seconds",
            "When a run of the job last succeeded.",
            ["job_name"],
            registry=registry,
        )

    def record(
        self,
        *,
        job_name: str,
        status: str,
        seconds: float,
        error_type: str | None,
        finished_at: float,
    ) -> None:
        """Count this run's outcome."""
        outcome = _Outcome(
            job_name=job_name,
            status=status,
            seconds=seconds,
            error_type=error_type,
            finished_at=finished_at,
        )
        self._outcomes.append(outcome)
        if self._registry is not None:
            self._apply(outcome)

    def _apply(self, outcome: _Outcome) -> None:
        job_name = outcome.job_name
        self.executions.labels(job_name=job_name, status=outcome.status).inc()
        self.duration.labels(job_name=job_name).observe(outcome.seconds)
        if outcome.error_type is not None:
            self.errors.labels(job_name=job_name, error_type=outcome.error_type).inc()
        if outcome.status == "success":
            self.last_success.labels(job_name=job_name).set(outcome.finished_at)
